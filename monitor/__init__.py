"""privacy-monitor: watch privacy notices and report precisely when their wording changes."""

__version__ = "0.1.0"
