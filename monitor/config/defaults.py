"""Config values the CLI needs before any config is read (an option's default), apart from the pydantic models
so that a command that never loads a config (`diff a.html b.html`, `--help`) does not import them."""

DEFAULT_CONFIG = "config.toml"
