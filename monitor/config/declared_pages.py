"""Pages whose rules are read besides their own keys, as the config holds them and as each check reads them:
pages that follow an Open Terms Archive declaration, and pages made of several parts (`combine`).

When the config is loaded, a declaration page takes its url, select, remove and renderer from the declaration
(keys written on the page win; `resolve_pages`). At each check the declaration is read again, once
(`page_now`): the page the check works with carries what that one reading gave (its keys, the parts of a
combined document, the filters), so a `git pull` in the checkout changes the rules of a running service at its
next check, and nothing in the check reads the file again. A page with its own `combine` in config.toml takes
its parts from there, and is known by its first part's URL (`combined_pages`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from monitor.config.declarations import (
    DeclarationError,
    page_keys,
    read_declaration,
    read_service,
    service_file,
    terms_entry,
)
from monitor.config.fields import check_http_url
from monitor.config.page_rules import ReadRules
from monitor.config.schema import Config, PageConfig, _Located


def page_now(base_dir: Path, page: PageConfig, *, at: datetime | None = None) -> PageConfig:
    """`page` as a check reads it now: a declaration page with its declaration read once (the keys it gives
    that the page does not write, its parts, its filters and their file), a page with its own `combine` with
    its parts. The result carries that reading (`read_rules`); a declaration that cannot be followed now is
    its `problem` (the check fails naming the file, the other pages are checked). `at`: the page under the
    declaration in force then (`<service>.history.json`), for a capture of that date imported."""
    ref = page.declaration
    if ref is None:
        if not page.combine:
            return page
        fresh = page.model_copy()
        fresh._read = ReadRules(parts=tuple(page.own_parts()))
        return fresh
    try:
        keys, read = read_declaration(base_dir, ref, at)  # the one read of the declaration
    except DeclarationError as error:
        fresh = page.model_copy()
        fresh._read = ReadRules(problem=str(error))
        return fresh
    fresh = page.model_copy(update={key: keys[key] for key in page.declared_keys if key in keys})
    fresh._declaration_problem, fresh._read = None, read
    return fresh


def rules_read(base_dir: Path, page: PageConfig) -> ReadRules:
    """What a check reads of `page`'s rules: the reading it carries, else one made now."""
    read = page.read_rules
    if read is None:
        read = page_now(base_dir, page).read_rules
    return read or ReadRules()


RULE_KEYS = ("select", "remove", "filter", "combine")
DECLARED_KEYS = frozenset({"url", "select", "remove", "renderer"})  # what a declaration gives a page


def resolve_pages(
    data: dict[str, Any], base_dir: Path
) -> tuple[dict[str, Any], dict[int, str], dict[int, frozenset[str]]]:
    """`data` with each declaration page's url, select, remove and renderer filled from its declaration (keys
    written on the page win), the problem of each page whose declaration cannot be followed, and the keys each
    page takes from its declaration (read again at each check), by index.

    Raises _Located for a page that also writes its own rules, or whose `declaration` is not a table of three
    strings: that is the config's mistake, not the checkout's."""
    pages = data.get("pages")
    if not isinstance(pages, list) or not any(isinstance(p, dict) and "declaration" in p for p in pages):
        return data, {}, {}
    resolved: list[Any] = []
    problems: dict[int, str] = {}
    declared_keys: dict[int, frozenset[str]] = {}
    for index, table in enumerate(pages):
        if not isinstance(table, dict) or "declaration" not in table:
            resolved.append(table)
            continue
        ref = table["declaration"]
        if (
            not isinstance(ref, dict)
            or set(ref) != {"path", "service", "terms"}
            or not all(isinstance(value, str) and value for value in ref.values())
        ):
            raise _Located(
                ("pages", index, "declaration"),
                "not a declaration reference",
                'write declaration = { path = "DIR", service = "Meta AI", terms = "Terms of Service" }',
            )
        file = service_file(base_dir, ref["path"], ref["service"])
        for key in RULE_KEYS:
            if key in table:
                raise _Located(
                    ("pages", index, key),
                    f"the page's rules come from its declaration ({file}, terms {ref['terms']!r}) and from this key",
                    f"one place holds a page's rules: remove `{key}` here, or remove `declaration`",
                )
        try:
            keys = page_keys(file, ref["terms"], terms_entry(file, read_service(file), ref["terms"]))
        except DeclarationError as error:
            problems[index] = str(error)
            keys = {"url": placeholder_url(ref["service"], ref["terms"]), "renderer": "http"}
        resolved.append(keys | table)  # keys written on the page win
        declared_keys[index] = DECLARED_KEYS - set(table)
    return {**data, "pages": resolved}, problems, declared_keys


def placeholder_url(service: str, terms: str) -> str:
    return f"https://declaration.invalid/{quote(service)}/{quote(terms)}"


def mark_pages(
    config: Config, broken: Mapping[int, str], declared_keys: Mapping[int, frozenset[str]]
) -> None:
    """Mark each declaration page with the keys its declaration gives (each check reads them again) and, when
    its declaration cannot be followed, the reason: `config check` names it, and its check fails with it
    unless the declaration reads again by then. The other pages are checked as usual."""
    for index, keys in declared_keys.items():
        page = config.pages[index].model_copy()
        page._declared_keys = keys
        page._declaration_problem = broken.get(index)
        config.pages[index] = page


def combined_pages(data: dict[str, Any]) -> dict[str, Any]:
    """`data` with each page written as `combine = [{ url = ... }, ...]` known by its first part's URL; _Located
    for a page that writes both `url` and `combine`."""
    pages = data.get("pages")
    if not isinstance(pages, list) or not any(isinstance(p, dict) and "combine" in p for p in pages):
        return data
    named: list[Any] = []
    for index, table in enumerate(pages):
        if not isinstance(table, dict) or "combine" not in table or "declaration" in table:
            named.append(table)  # a declaration page's `combine` is refused where declarations are read
            continue
        if "url" in table:
            raise _Located(
                ("pages", index, "url"),
                "a page with `combine` is fetched from its parts' URLs, not from `url`",
                "remove `url` (the first part's URL names the page), or remove `combine`",
            )
        parts = table["combine"]
        first = parts[0] if isinstance(parts, list) and parts and isinstance(parts[0], dict) else {}
        url = first.get("url")  # a part that is no part is reported on its own key, not as the page's `url`
        named.append({"url": url if _http(url) else "https://combine.invalid/", **table})
    return {**data, "pages": named}


def _http(url: object) -> bool:
    try:
        return isinstance(url, str) and bool(check_http_url(url))
    except ValueError:
        return False
