"""Strict configuration: `config.toml` is read and validated here, nowhere else.

Unknown keys and wrong types are rejected with one line naming the file, the key and a hint
(never silently merged into defaults). Paths in the file are relative to the file.
The models themselves live in `monitor.config.schema` and are re-exported here.
"""

from __future__ import annotations

import re
import tomllib
from difflib import get_close_matches
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from monitor import fsutil
from monitor.config.defaults import DEFAULT_CONFIG
from monitor.config.delivery import (  # noqa: F401 - re-exported: callers import the models from here
    AppriseConfig,
    DigestConfig,
    EmailConfig,
    NotifyConfig,
)
from monitor.config.schema import (  # noqa: F401 - re-exported: callers import the models from here
    DEFAULT_USER_AGENT,
    Config,
    FetchConfig,
    PageConfig,
    QualityConfig,
    ServiceConfig,
    StoreConfig,
    WallConfig,
    WatchConfig,
    _Located,
)
from monitor.durations import parse_duration  # noqa: F401 - re-exported
from monitor.errors import ConfigError, UsageError


class LoadedConfig:
    """A validated `Config` plus where it came from (paths in it are relative to `base_dir`)."""

    def __init__(self, config: Config, path: Path | None) -> None:
        self.config = config
        self.path = path
        self.base_dir = path.parent if path else Path.cwd()

    def resolve(self, relative: str) -> Path:
        return fsutil.resolve_path(self.base_dir, relative)

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
        text = raw.decode("utf-8-sig")  # a byte-order mark (as Notepad writes) is not part of the TOML
        data = tomllib.loads(text)
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text (save the config file as UTF-8)") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: {toml_error(text, str(error))}") from None
    return LoadedConfig(parse_config(data, source=str(path), base_dir=path.parent), path)


_AT = re.compile(r"\s*\(at (?:line (\d+), column (\d+)|end of document)\)$")
_OPENED = {"[": "array", "{": "inline table"}


def toml_error(text: str, message: str) -> str:
    """tomllib's message with its place as `line N`; for an array or inline table left open, where it began.

    'Unclosed array (at line 7, column 1)' -> 'line 7: not valid TOML: unclosed array (it began on line 5)'.
    """
    found = _AT.search(message)
    what = message[: found.start()] if found else message
    if found and found.group(1):
        line, column = int(found.group(1)), int(found.group(2))
    else:  # at the end of the document
        line = text.count("\n") + (0 if text.endswith("\n") else 1)
        column = len(text) + 1  # scan to the very end
    where = f"line {line}" + ("" if found and found.group(1) else " (the end of the file)")
    detail = what[:1].lower() + what[1:]
    opened = _open_bracket(text, line, column)
    if opened and (what.startswith("Unclosed") or not (found and found.group(1))):
        kind, began = opened
        if not what.startswith("Unclosed"):
            detail += f": unclosed {kind}"
        detail += f" (it began on line {began})"
    return f"{where}: not valid TOML: {detail}"


def _open_bracket(text: str, line: int, column: int) -> tuple[str, int] | None:
    """The outermost array or inline table still open at (line, column), with the line it began on."""
    stack: list[tuple[str, int]] = []
    row, i, end = 1, 0, len(text)
    at_line_start = True
    while i < end:
        char = text[i]
        if row > line or (row == line and i - (text.rfind("\n", 0, i) + 1) + 1 >= column):
            break
        if char == "\n":
            row, at_line_start = row + 1, True
            i += 1
            continue
        if char in " \t\r":
            i += 1
            continue
        if char == "#":
            i = text.find("\n", i) if "\n" in text[i:] else end
            continue
        if char in "\"'":
            quote = text[i : i + 3] if text[i : i + 3] in ('"""', "'''") else char
            close = text.find(quote, i + len(quote))
            while quote[0] == '"' and close > 0 and _escaped(text, close):
                close = text.find(quote, close + 1)
            stop = end if close < 0 else close + len(quote)
            row += text.count("\n", i, stop)
            i = stop
            at_line_start = False
            continue
        if char == "[" and at_line_start and not stack:  # a [table] or [[table]] header
            stop = text.find("\n", i)
            i = end if stop < 0 else stop
            continue
        if char in _OPENED:
            stack.append((_OPENED[char], row))
        elif char in "]}" and stack:
            stack.pop()
        at_line_start = False
        i += 1
    return stack[0] if stack else None


def _escaped(text: str, index: int) -> bool:
    backslashes = 0
    while index - backslashes - 1 >= 0 and text[index - backslashes - 1] == "\\":
        backslashes += 1
    return backslashes % 2 == 1


# Control characters (C0, DEL, C1) and the line separators str.splitlines() and the email package break at:
# a title or address holding one breaks the mail header it reaches, or rewrites the terminal it is shown on.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_MULTILINE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")  # keeps tab and newline
# Keys whose text may run over lines (a clause quoted as a TOML multi-line string, a verbose pattern).
MULTILINE_KEYS = {("watches", "text"), ("walls", "pattern")}


def control_character(data: Any, loc: tuple[str | int, ...] = ()) -> tuple[tuple[str | int, ...], str] | None:
    """The first string of the config (a value or a table's key) holding a control character: its place and
    the character; None when there is none."""
    if isinstance(data, str):
        names = tuple(part for part in loc if isinstance(part, str))
        pattern = _MULTILINE if names[:1] + names[-1:] in MULTILINE_KEYS else _CONTROL
        found = pattern.search(data)
        return (loc, found.group()) if found else None
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for key, value in items:
        if isinstance(key, str) and (found := _CONTROL.search(key)):
            return (*loc, repr(key)[1:-1]), found.group()  # the key escaped: the message stays one line
        if (hit := control_character(value, (*loc, key))) is not None:
            return hit
    return None


def parse_config(
    data: dict[str, Any], *, source: str = DEFAULT_CONFIG, base_dir: Path | None = None
) -> Config:
    """The validated config; pages with a `declaration` read it now (relative to `base_dir`, default: the
    folder of `source`), and a declaration that cannot be followed fails only its page's checks."""
    from monitor.config.declared_pages import combined_pages, mark_pages, resolve_pages

    hit = control_character(data)
    if hit is not None:
        loc, char = hit
        raise ConfigError(
            f"{source}: {_key(loc, data)}: control character U+{ord(char):04X} in the text "
            "(hint: write it on one line, without control characters)"
        )
    try:
        base = Path(source).parent if base_dir is None else base_dir
        resolved, broken, declared_keys = resolve_pages(combined_pages(data), base)
        config = Config.model_validate(resolved)
        config.check_references()
        mark_pages(config, broken, declared_keys)
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
        node = _child(node, part)
        if isinstance(part, int):
            out += f"[{part}]"
            if isinstance(node, dict) and isinstance(node.get("id"), str):
                out += f" (id {node['id']!r})"
        else:
            out += ("." if out else "") + part
    return out


def validate_page(data: dict[str, Any], where: str) -> PageConfig:
    """A page made on the command line (`test URL`, `add URL`, `--select`): UsageError in one line, naming `where`
    and the key, as the config file's own errors do."""
    try:
        return PageConfig.model_validate(data)
    except ValidationError as error:
        raise UsageError(_describe(error, data, where)) from None


# What a union member is tagged with in an error's place: `select = [...]` is a list of `str | dict[str, str]`.
_MEMBER_TAGS = {str: "str", dict: "dict[", list: "list[", int: "int", float: "float", bool: "bool"}


def _problems(error: ValidationError, data: dict[str, Any]) -> list[Any]:
    """The errors as places in the file: pydantic's function wrappers dropped, and of a union's members only
    the one of the value's own type (a table in `select` is told its key's problem, not "should be a string")."""
    problems = []
    for problem in error.errors(include_url=False):
        loc, node, fits = [], data, True
        for part in problem["loc"]:
            if isinstance(part, str) and part.startswith("function-"):
                continue
            if isinstance(part, str) and _is_member_tag(part):
                tag = _MEMBER_TAGS.get(type(node), "")
                fits = fits and bool(tag) and part.startswith(tag)
                continue
            loc.append(part)
            node = _child(node, part)
        problems.append((fits, {**problem, "loc": tuple(loc)}))
    fitting = [problem for fits, problem in problems if fits]
    return fitting or [problem for _, problem in problems]


def _is_member_tag(part: str) -> bool:
    return part in _MEMBER_TAGS.values() or "[" in part


def _child(node: Any, part: str | int) -> Any:
    """What `part` (a list index or a table key) names in `node` of the file's data, or None."""
    if isinstance(part, int):
        return node[part] if isinstance(node, list) and part < len(node) else None
    return node.get(part) if isinstance(node, dict) else None


def _describe(error: ValidationError, data: dict[str, Any], source: str) -> str:
    problems = _problems(error, data)
    first = problems[0]
    loc = first["loc"]
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
        candidates, model = [field.annotation], None
        while candidates and model is None:  # through list[...] and ... | None to the model they hold
            annotation = candidates.pop(0)
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                model = annotation
            candidates += getattr(annotation, "__args__", ())
        if model is None:
            return []
    return [field.alias or name for name, field in model.model_fields.items()]
