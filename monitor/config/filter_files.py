"""A service's `<service>.filters.js` as one self-contained module (`filters_script`): the filters it takes from a
sibling file (`export { cleanUrls } from './Facebook.filters.js';`, as Facebook Ads, Gmail, MSN and Microsoft's
files in OTA's contrib repository do) are written into it, so the browser that runs the filters
(monitor/fetch/filters.py) gets every function the declaration names from one text.

The sibling's text is placed in a function scope of its own, its `export` keywords dropped, and each re-exported
name becomes `export const NAME = <that scope>.NAME;`: a plain exported binding of the module, as the ones it
defines itself. Only siblings in the same declarations folder are read; a file that is missing, outside the
folder, or re-exported in a cycle is DeclarationError naming the file and the line.
"""

from __future__ import annotations

import re
from pathlib import Path

from monitor.errors import ConfigError

_RE_EXPORT = re.compile(r"^[ \t]*export\s*\{([^}]*)\}\s*from\s*(['\"])([^'\"]+)\2\s*;?[ \t]*$", re.M)
_EXPORT = re.compile(r"^(\s*)export\s+(?=(?:async\s+)?function|const\s|let\s|var\s|class\s)", re.M)
_NAMES = re.compile(
    r"^\s*export\s+(?:async\s+)?(?:function\s*\*?\s*|const\s+|let\s+|var\s+|class\s+)([A-Za-z_$][\w$]*)", re.M
)
_IMPORT = re.compile(r"^\s*import\b[^'\"]*(['\"])([^'\"]+)\1", re.M)
_MAX_DEPTH = 8


class FiltersFileError(ConfigError):
    """A filters file whose re-exports cannot be followed."""


def filters_script(file: Path) -> str:
    """The text of `file` with the filters it re-exports from sibling files written into it; OSError and
    UnicodeDecodeError as reading `file` raises them, FiltersFileError for a re-export that cannot be followed."""
    return _module(file, (file.resolve(),))


def _module(file: Path, chain: tuple[Path, ...]) -> str:
    text = file.read_text(encoding="utf-8")
    if not _RE_EXPORT.search(text):
        return text
    scopes: dict[Path, str] = {}
    defined: dict[Path, list[str]] = {}
    lines: list[str] = []

    def inline(found: re.Match[str]) -> str:
        line = text.count("\n", 0, found.start()) + 1
        sibling = (file.parent / found.group(3)).resolve()
        where = f"{file}: line {line}"
        if sibling.parent != file.parent.resolve() or not sibling.name.endswith(".js"):
            raise FiltersFileError(
                f"{where}: re-exports from {found.group(3)}, outside the declarations folder"
            )
        if sibling in chain or len(chain) > _MAX_DEPTH:
            raise FiltersFileError(f"{where}: re-exports from {sibling.name} in a cycle")
        if sibling not in scopes:
            try:
                inner = _module(sibling, (*chain, sibling))
            except (OSError, UnicodeDecodeError) as error:
                raise FiltersFileError(f"{where}: cannot read {sibling.name}: {error}") from None
            scope = f"__reexported{len(scopes)}"
            plain, names = module_source(inner)
            lines.append(f"const {scope} = (() => {{\n{plain}\nreturn {{ {', '.join(names)} }};\n}})();")
            scopes[sibling], defined[sibling] = scope, names
        exported = []
        for item in filter(None, (part.strip() for part in found.group(1).split(","))):
            name, _, alias = (word.strip() for word in item.partition(" as "))
            if name not in defined[sibling]:
                raise FiltersFileError(f"{where}: {name} is not exported by {sibling.name}")
            exported.append(f"export const {alias or name} = {scopes[sibling]}.{name};")
        return "\n".join(exported)

    body = _RE_EXPORT.sub(inline, text)
    return "\n".join(lines) + "\n" + body


def module_source(text: str) -> tuple[str, list[str]]:
    """A filters module's text without its `export` keywords (a plain script to place in a function scope),
    and the names it exports, in order: `export function`, `async function`, `function*`, `const`, `let`,
    `var` and `class`, indented or not. The one reading of a module's exports, for `config check` and for the
    browser that runs the filters (monitor/fetch/filters.py)."""
    return _EXPORT.sub(r"\1", text), list(dict.fromkeys(_NAMES.findall(text)))


def imported_module(script: str) -> str | None:
    """The module an `import` of `script` names (the first), or None: filters that import cannot run here."""
    found = _IMPORT.search(script)
    return found.group(2) if found else None


def script_problem(file: Path) -> str | None:
    """Why the filters of `file` cannot run here (for `config check`), naming the file; None when they can or
    there is no such file."""
    if not file.exists():
        return None
    try:
        script = filters_script(file)
    except (OSError, UnicodeDecodeError) as error:
        return f"{file}: cannot read the filters: {error}"
    except FiltersFileError as error:
        return str(error)
    if imported := imported_module(script):
        return f"{file}: imports {imported}: filters that import modules cannot run here (their checks fail)"
    return None
