"""Pages whose rules come from an Open Terms Archive declaration: `declaration = { path, service, terms }`.

`declarations/<service>.json` in the user's checkout is read when the config is loaded and again, once, at each
check (`declared.page_now`), so a `git pull` there updates the rules of a running service. Declarations are AGPL-licensed data: they are read from that folder, never
copied into this project. The keys OTA writes in camelCase (`startBefore`) are this tool's snake_case keys
(`start_before`) once read.

A declaration that cannot be read (gone, bad JSON, the terms type removed) never stops the loading: its page
is marked with the problem (`PageConfig.declaration_problem`), so that page's check fails naming the file and the
others run. A `select` or `remove` that is no CSS (OTA's schema asks for a `select` even for a PDF) is carried
as `ReadRules.selector_problem`: ignored for a PDF, it fails the check of any capture with a DOM.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from difflib import get_close_matches
from pathlib import Path
from typing import Any

from monitor.config.fields import check_http_url
from monitor.config.filter_files import FiltersFileError, filters_script
from monitor.config.page_rules import (
    END_KEYS,
    START_KEYS,
    FilterItem,
    Part,
    ReadRules,
    Rule,
    check_rules,
    range_problem,
)
from monitor.config.schema import DeclarationRef, PageConfig
from monitor.errors import ConfigError

_CAMEL = {
    "startBefore": "start_before",
    "startAfter": "start_after",
    "endBefore": "end_before",
    "endAfter": "end_after",
}


class DeclarationError(ConfigError):
    """A declaration that is missing, unreadable or says something this tool cannot follow."""


def declarations_folder(base_dir: Path, path: str) -> Path:
    """DIR is a checkout (the folder holding `declarations/`) or that folder itself."""
    folder = (base_dir / Path(path).expanduser()).resolve()
    return folder / "declarations" if (folder / "declarations").is_dir() else folder


def service_file(base_dir: Path, path: str, service: str) -> Path:
    return declarations_folder(base_dir, path) / f"{service}.json"


def read_service(file: Path) -> dict[str, Any]:
    """The whole `<service>.json`, or DeclarationError naming the file and what to do."""
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        folder = file.parent
        if not folder.is_dir():
            raise DeclarationError(
                f"{folder}: no such declarations folder (check declaration.path)"
            ) from None
        names = [p.stem for p in folder.glob("*.json") if not p.stem.endswith(".history")]
        close = get_close_matches(file.stem, names, n=1)
        hint = f"did you mean {close[0]!r}?" if close else "check declaration.service"
        raise DeclarationError(f"{file}: no such declaration ({hint})") from None
    except (OSError, UnicodeDecodeError) as error:
        raise DeclarationError(f"{file}: cannot read the declaration: {error}") from None
    except json.JSONDecodeError as error:
        raise DeclarationError(f"{file}: not valid JSON: line {error.lineno}: {error.msg}") from None
    if not isinstance(data, dict) or not isinstance(data.get("terms"), dict):
        raise DeclarationError(f"{file}: not a declaration (no `terms` object)")
    return data


def terms_entry(file: Path, data: Mapping[str, Any], terms: str) -> dict[str, Any]:
    entry = data["terms"].get(terms)
    if not isinstance(entry, dict):
        close = get_close_matches(terms, list(data["terms"]), n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"known: {', '.join(data['terms']) or 'none'}"
        raise DeclarationError(f"{file}: terms.{terms}: unknown terms type ({hint})")
    return entry


def in_force(file: Path, terms: str, current: Mapping[str, Any], at: datetime) -> dict[str, Any]:
    """The declaration of `terms` in force at `at`: from `<service>.history.json` next to `file`, the entry
    with the earliest `validUntil` at or after `at`, else `current`. A naive `at` is UTC. `validUntil` is
    inclusive, as in OTA's engine (`getDocumentDeclaration`: `date <= validUntil`): a capture dated exactly
    then was extracted by OTA under that entry, so it is read under it here too."""
    history_file = file.with_name(f"{file.stem}.history.json")
    at = at if at.tzinfo else at.replace(tzinfo=UTC)
    if not history_file.exists():
        return dict(current)
    try:
        history = json.loads(history_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DeclarationError(f"{history_file}: cannot read the history: {error}") from None
    entries = history.get(terms, []) if isinstance(history, dict) else []
    dated = []
    for index, entry in enumerate(entries):
        try:
            until = datetime.fromisoformat(str(entry["validUntil"]).replace("Z", "+00:00"))
        except (KeyError, TypeError, ValueError):
            raise DeclarationError(
                f"{history_file}: {terms}[{index}].validUntil: not an ISO date (write e.g. 2024-05-01T00:00:00Z)"
            ) from None
        dated.append((until if until.tzinfo else until.replace(tzinfo=UTC), index, entry))
    for until, _index, entry in sorted(dated, key=lambda item: (item[0], item[1])):
        if until >= at:  # inclusive: see the docstring
            return {key: value for key, value in entry.items() if key != "validUntil"}
    return dict(current)


def _rule(value: Any, where: str) -> Rule:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        rule: dict[str, Any] = {_CAMEL.get(str(key), str(key)): item for key, item in value.items()}
        problem = range_problem(rule)
        if problem is None and not all(isinstance(item, str) for item in rule.values()):
            problem = "a range's boundaries are CSS selectors (strings)"
        if problem:
            raise DeclarationError(f"{where}: {problem.replace('_b', 'B').replace('_a', 'A')}")
        return {key: rule[key] for key in (*START_KEYS, *END_KEYS) if key in rule}
    raise DeclarationError(f"{where}: a CSS selector, a range or a list of them is expected")


def rules(value: Any, where: str) -> tuple[list[Rule], str | None]:
    """`select`/`remove` as a declaration writes them (one rule or a list) in this tool's keys, and why they
    cannot select in a DOM (None when they can). A rule that is neither a selector nor a range is
    DeclarationError; selectors that are no CSS are left out ([]) with that reason, which fails the check of a
    capture that has a DOM and not of a PDF (`ReadRules.selector_problem`)."""
    if value is None:
        return [], None
    items = value if isinstance(value, list) else [value]
    found = [
        _rule(item, f"{where}[{n}]" if isinstance(value, list) else where) for n, item in enumerate(items)
    ]
    try:  # checked here, as the page's own keys are: a bad selector fails this page, never the config's loading
        return check_rules(found), None
    except ValueError as error:
        return [], f"{where}: {error}"


def page_keys(file: Path, terms: str, entry: Mapping[str, Any]) -> dict[str, Any]:
    """The page keys a declaration entry gives: url, select, remove, renderer."""
    return declared(file, terms, entry)[0]


def declared(
    file: Path, terms: str, entry: Mapping[str, Any]
) -> tuple[dict[str, Any], list[Part], str | None]:
    """What a declaration entry says, checked once: the page keys it gives (url, select, remove, renderer),
    the parts of its combined document ([] for one page; each carries its own selector problem), and why its
    `select`/`remove` cannot select in a DOM (`rules`), or DeclarationError naming the file and key."""
    where = f"{file}: terms.{terms}"
    if "combine" in entry:
        parts = combine_parts(file, terms, entry)
        keys = {
            "url": parts[0].url,  # what the page is known by; each part is fetched from its own
            "select": rules(entry.get("select"), f"{where}.select")[0],
            "remove": rules(entry.get("remove"), f"{where}.remove")[0],
            "renderer": "browser" if any(part.client_scripts for part in parts) else "http",
        }
        return keys, parts, None
    fetch = entry.get("fetch")
    if not isinstance(fetch, str):
        raise DeclarationError(f"{where}.fetch: missing (the document's URL)")
    try:
        check_http_url(fetch)
    except ValueError as error:
        raise DeclarationError(f"{where}.fetch: {error}") from None
    select, unselectable = rules(entry.get("select"), f"{where}.select")
    remove, unremovable = rules(entry.get("remove"), f"{where}.remove")
    keys = {
        "url": fetch,
        "select": select,
        "remove": remove,
        "renderer": "browser" if entry.get("executeClientScripts") else "http",
    }
    return keys, [], unselectable or unremovable


def read_declaration(
    base_dir: Path, ref: DeclarationRef, at: datetime | None = None
) -> tuple[dict[str, Any], ReadRules]:
    """One reading of the declaration `ref` names: the page keys it gives and what a check needs besides (the
    parts of a combined document, the filters and their file), or DeclarationError naming the file. `at`: the
    entry in force then (`in_force`: a capture of that date imported), else today's."""
    file = service_file(base_dir, ref.path, ref.service)
    entry = terms_entry(file, read_service(file), ref.terms)
    if at is not None:
        entry = in_force(file, ref.terms, entry, at)
    keys, parts, selector_problem = declared(file, ref.terms, entry)
    filters = (
        tuple(item for part in parts for item in part.filters)
        if parts
        else tuple(filter_list(entry.get("filter"), f"{file}: terms.{ref.terms}.filter"))
    )
    script_file = file.with_name(f"{ref.service}.filters.js")
    if not filters or not script_file.exists():  # without it only the engine's own filters run
        return keys, ReadRules(tuple(parts), filters, selector_problem=selector_problem)
    try:
        script = filters_script(script_file)  # with the filters it re-exports from sibling files
    except (OSError, UnicodeDecodeError) as error:
        raise DeclarationError(f"{script_file}: cannot read the filters: {error}") from None
    except FiltersFileError as error:
        raise DeclarationError(str(error)) from None
    return keys, ReadRules(tuple(parts), filters, script_file, script, selector_problem=selector_problem)


def page_filters(
    base_dir: Path, page: PageConfig, part: Part | None = None
) -> tuple[list[FilterItem], Path | None, str]:
    """The filters that run on `page` (on `part` of its combined document), with the `<service>.filters.js`
    file and its text ("" when none is needed): from what its check read (`read_rules`), else read now."""
    read = page.read_rules
    if read is None:
        if page.declaration is None:
            return [], None, ""
        read = read_declaration(base_dir, page.declaration)[1]
    if read.problem is not None:
        raise DeclarationError(read.problem)
    return read.filters_of(part)


def combine_parts(file: Path, terms: str, entry: Mapping[str, Any]) -> list[Part]:
    """The parts of a `combine` entry in declaration order, or DeclarationError naming the file and key."""
    where = f"{file}: terms.{terms}.combine"
    raw = entry.get("combine")
    if not isinstance(raw, list) or not raw:
        raise DeclarationError(f"{where}: a list of parts (each with its `fetch` URL) is expected")
    parts = []
    for index, part in enumerate(raw):
        at = f"{where}[{index}]"
        if not isinstance(part, dict) or not isinstance(part.get("fetch"), str) or not part["fetch"]:
            raise DeclarationError(f"{at}.fetch: missing (the part's URL)")
        merged = {**{k: v for k, v in entry.items() if k != "combine"}, **part}
        select, unselectable = rules(merged.get("select"), f"{at}.select")
        remove, unremovable = rules(merged.get("remove"), f"{at}.remove")
        parts.append(
            Part(
                url=part["fetch"],
                select=select,
                remove=remove,
                filters=tuple(filter_list(merged.get("filter"), f"{at}.filter")),
                client_scripts=bool(merged.get("executeClientScripts")),
                selector_problem=unselectable or unremovable,
            )
        )
    return parts


def filter_list(raw: Any, where: str) -> list[FilterItem]:
    """A declaration's `filter` value as (name, params, has_params), in order."""
    filters: list[FilterItem] = []
    for index, item in enumerate(raw if isinstance(raw, list) else [raw] if raw else []):
        if isinstance(item, str) and item:
            filters.append((item, None, False))
        elif isinstance(item, dict) and len(item) == 1:
            name, params = next(iter(item.items()))
            filters.append((str(name), params, True))
        else:
            raise DeclarationError(f"{where}[{index}]: a filter's name or {{name: parameters}} is expected")
    return filters
