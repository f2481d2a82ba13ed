"""Strict configuration: `config.toml` is read and validated here, nowhere else.

Unknown keys and wrong types are rejected with one line naming the file, the key and a hint
(never silently merged into defaults). Paths in the file are relative to the file.
The models themselves live in `monitor.config.schema` and are re-exported here.
"""

from __future__ import annotations

import tomllib
from difflib import get_close_matches
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from monitor.config.schema import (  # noqa: F401 - re-exported: callers import the models from here
    DEFAULT_CONFIG,
    DEFAULT_USER_AGENT,
    AppriseConfig,
    Config,
    DigestConfig,
    EmailConfig,
    FetchConfig,
    NotifyConfig,
    PageConfig,
    QualityConfig,
    ServiceConfig,
    StoreConfig,
    WallConfig,
    WatchConfig,
    _Located,
    parse_duration,
)
from monitor.errors import ConfigError


class LoadedConfig:
    """A validated `Config` plus where it came from (paths in it are relative to `base_dir`)."""

    def __init__(self, config: Config, path: Path | None) -> None:
        self.config = config
        self.path = path
        self.base_dir = path.parent if path else Path.cwd()

    def resolve(self, relative: str) -> Path:
        candidate = Path(relative).expanduser()
        return candidate if candidate.is_absolute() else self.base_dir / candidate

    @property
    def store_path(self) -> Path:
        return self.resolve(self.config.store.path)


def load_config(path: Path | str) -> LoadedConfig:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: no such config file (give one with -c FILE, or run from the project folder)"
        ) from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot read the config file: {error.strerror}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text (save the config file as UTF-8)") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    return LoadedConfig(parse_config(data, source=str(path)), path)


def parse_config(data: dict[str, Any], *, source: str = DEFAULT_CONFIG) -> Config:
    try:
        config = Config.model_validate(data)
        config.check_references()
        return config
    except ValidationError as error:
        raise ConfigError(_describe(error, data, source)) from None
    except _Located as error:
        raise ConfigError(
            f"{source}: {_key(error.loc, data)}: {error.message} (hint: {error.hint})"
        ) from None


def _key(loc: tuple[str | int, ...], data: dict[str, Any]) -> str:
    """('pages', 2, 'url') -> "pages[2] (id 'x').url", naming the table by its id where it has one."""
    out = ""
    node: Any = data
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
            node = node[part] if isinstance(node, list) and part < len(node) else None
            if isinstance(node, dict) and isinstance(node.get("id"), str):
                out += f" (id {node['id']!r})"
        else:
            out += ("." if out else "") + part
            node = node.get(part) if isinstance(node, dict) else None
    return out


def _describe(error: ValidationError, data: dict[str, Any], source: str) -> str:
    problems = error.errors(include_url=False)
    first = problems[0]
    loc = tuple(part for part in first["loc"] if not (isinstance(part, str) and part.startswith("function-")))
    key = _key(loc, data)
    kind = first["type"]
    if kind == "extra_forbidden":
        parent = _fields_at(loc[:-1])
        close = get_close_matches(str(loc[-1]), parent, n=1)
        hint = (
            f"did you mean {close[0]!r}?"
            if close
            else f"allowed keys: {', '.join(parent)}"
            if parent
            else "remove it"
        )
        message = f"unknown key (hint: {hint})"
    elif kind == "missing":
        message = "required key is missing (hint: add it)"
    elif kind == "value_error":
        message = str(first["msg"]).removeprefix("Value error, ")
    elif kind.endswith("_type") or kind in {"literal_error", "int_from_float"}:
        got = type(first.get("input")).__name__
        message = f"{first['msg'].lower()} (got {got} {first.get('input')!r})"
    else:
        message = f"{first['msg']} (got {first.get('input')!r})"
    more = (
        f" (and {len(problems) - 1} more problem{'s' if len(problems) > 2 else ''})"
        if len(problems) > 1
        else ""
    )
    return f"{source}: {key}: {message}{more}"


def _fields_at(loc: tuple[str | int, ...]) -> list[str]:
    """The keys allowed at a location, for 'did you mean' hints."""
    model: Any = Config
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        if field is None:
            return []
        annotation = field.annotation
        args = getattr(annotation, "__args__", ())
        candidates = [annotation, *args]
        model = next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)
        if model is None:
            return []
    return [field.alias or name for name, field in model.model_fields.items()]
