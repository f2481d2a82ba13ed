"""Config: `config.toml` read and validated strictly, nowhere else.

Takes a TOML file; gives a `LoadedConfig` (loading.py) of frozen pydantic models (schema.py) whose paths
resolve against the file's folder, or one `ConfigError` line naming the file, the key and a hint.
edit.py appends a page to the file (`privacy-monitor add`) without rewriting the rest of it.
"""
