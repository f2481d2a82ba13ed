"""privacy-monitor: watch privacy notices and report precisely when their wording changes."""

import os

__version__ = "0.1.0"

# The package uses no pydantic plugins, whose discovery reads the metadata of every installed distribution the
# first time a model is built: a sixth of a `check`'s start. Set only when the environment says nothing.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
