"""What `config check` says about the Open Terms Archive declarations a config's pages follow, without the
network: the problems (a declaration missing, unknown or that cannot be followed: that page's checks fail) and
the notes (something left out: a filter without its file, an unknown key, selectors that are no CSS, which only
a PDF may have). One line each, naming the page, the file and the key."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from monitor.config.declarations import DeclarationError, declared, read_service, service_file, terms_entry
from monitor.config.filter_files import script_problem
from monitor.config.page_rules import BUILT_IN_FILTERS
from monitor.config.schema import Config

_KNOWN = {"fetch", "select", "remove", "filter", "executeClientScripts", "combine", "validUntil"}


def unsupported(file: Path, terms: str, entry: Mapping[str, Any]) -> list[str]:
    """What this tool leaves out of an entry, one line each, naming the file and key."""
    notes: list[str] = []
    script_file = file.with_name(f"{file.stem}.filters.js")
    raw = entry.get("filter") or []
    for item in raw if isinstance(raw, list) else [raw]:
        name = item if isinstance(item, str) else next(iter(item), "") if isinstance(item, dict) else ""
        if name and name not in BUILT_IN_FILTERS and not script_file.exists():
            notes.append(f"{file}: terms.{terms}.filter: {name}: not applied ({script_file.name} not found)")
    notes += [f"{file}: terms.{terms}.{key}: unknown key, ignored" for key in entry if key not in _KNOWN]
    named = raw or any(isinstance(part, dict) and part.get("filter") for part in entry.get("combine") or [])
    if named and (problem := script_problem(script_file)):
        notes.append(problem)
    return notes


def unselectable(file: Path, terms: str, entry: Mapping[str, Any]) -> list[str]:
    """The entry's `select`/`remove` (its parts' for a combined document) that are no CSS selectors, one line
    each: a PDF has no DOM, so they are ignored there (OTA's schema asks for a `select` even for a PDF), and a
    capture that is not a PDF fails its check naming them. Raises DeclarationError as `declared` does."""
    _, parts, problem = declared(file, terms, entry)
    found = [problem] if problem else [part.selector_problem for part in parts if part.selector_problem]
    return [
        f"{line} (ignored while the document is a PDF; any other capture fails its check)" for line in found
    ]


def declaration_notes(config: Config, base_dir: Path) -> tuple[list[str], list[str]]:
    """For `config check`: (problems, notes). A problem is a declaration that is missing, unknown or cannot be
    followed (its page's checks fail); a note is something left out (a filter, an unknown key, selectors that
    only a PDF can do without). One line each, naming the page, the file and the key."""
    problems: list[str] = []
    notes: list[str] = []
    for page in config.pages:
        ref = page.declaration
        if ref is None:
            continue
        if page.declaration_problem is not None:
            problems.append(f"page {page.id}: {page.declaration_problem}")
            continue
        file = service_file(base_dir, ref.path, ref.service)
        try:
            entry = terms_entry(file, read_service(file), ref.terms)
            found = unsupported(file, ref.terms, entry) + unselectable(file, ref.terms, entry)
        except DeclarationError as error:  # changed since the config was loaded
            problems.append(f"page {page.id}: {error}")
            continue
        notes.extend(f"page {page.id}: {note}" for note in found)
    return problems, notes
