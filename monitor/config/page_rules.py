"""A page's rules as the config writes them: CSS selectors and ranges ({ start_before | start_after = CSS,
end_before | end_after = CSS }), the same in config.toml and, once read, in Open Terms Archive declarations; the
parts of a combined document, and what one check read of a page's rules (`ReadRules`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import field_validator

from monitor.config.fields import Strict, check_http_url
from monitor.config.range_keys import END_KEYS, START_KEYS
from monitor.config.selectors import browser_css


def range_problem(rule: Mapping[str, object]) -> str | None:
    """Why `rule` is not a range (exactly one start and one end key, nothing else), or None."""
    unknown = [key for key in rule if key not in START_KEYS + END_KEYS]
    if unknown:
        return f"unknown key {unknown[0]!r} in a range (write start_before or start_after, end_before or end_after)"
    if sum(key in rule for key in START_KEYS) != 1 or sum(key in rule for key in END_KEYS) != 1:
        return "a range needs one of start_before/start_after and one of end_before/end_after"
    return None


def check_rules(value: list[str | dict[str, str]]) -> list[str | dict[str, str]]:
    """`value` with each selector as cssselect reads it with a browser's meaning (`selectors.browser_css`: a
    string left open closed, an of-type pseudo-class without an element name spelled out); ValueError naming a
    range that is not one or a selector this tool cannot follow."""
    checked: list[str | dict[str, str]] = []
    for rule in value:
        if isinstance(rule, dict):
            if (problem := range_problem(rule)) is not None:
                raise ValueError(problem)
            checked.append({key: browser_css(selector) for key, selector in rule.items()})
        else:
            checked.append(browser_css(rule))
    return checked


Rule = str | dict[str, str]
# One entry of a declaration's `filter` as (name, parameters, whether parameters were written).
FilterItem = tuple[str, object, bool]


@dataclass(frozen=True, slots=True)
class Part:
    """One page of a combined document: its URL and its rules (the part's own keys over the shared ones),
    from a declaration's `combine` or the page's own `combine` in config.toml."""

    url: str
    select: list[Rule]
    remove: list[Rule]
    filters: tuple[FilterItem, ...] = ()  # a declaration's, in order
    client_scripts: bool = False
    selector_problem: str | None = None  # as ReadRules.selector_problem, for this part


@dataclass(frozen=True, slots=True)
class ReadRules:
    """What one check read of a page's rules, once: the parts of a combined document (none for one page), the
    filters a declaration names (all parts' in order, for a combined document) with the filters file, or why
    the declaration cannot be followed now (the check fails naming it).

    `selector_problem`: the declaration's `select` or `remove` is no CSS selector (naming the file and key). A
    PDF has no DOM to select in, so it is ignored there, as OTA's engine ignores it (its schema asks for a
    `select` even for a PDF); a capture that is not a PDF fails its check with it (`extract_capture`)."""

    parts: tuple[Part, ...] = ()
    filters: tuple[FilterItem, ...] = ()
    script_file: Path | None = None
    script: str = ""  # the filters file's text; "" when none is needed or it is missing
    problem: str | None = None
    selector_problem: str | None = None

    def selector_problem_of(self, part: Part | None) -> str | None:
        """Why the rules of `part` (of the whole page with None) cannot select in a DOM, or None."""
        return self.selector_problem if part is None else part.selector_problem

    def filters_of(self, part: Part | None) -> tuple[list[FilterItem], Path | None, str]:
        """The filters that run on `part` (on the whole page with None), with the filters file and its text.
        Without the file only the engine's own filters run (`config check` notes the others)."""
        named = list(self.filters if part is None else part.filters)
        if not named:
            return [], None, ""
        if self.script_file is None:
            return [item for item in named if item[0] in BUILT_IN_FILTERS], None, ""
        return named, self.script_file, self.script


def one_or_list(value: Any) -> Any:
    return [value] if isinstance(value, str | dict) else value


class CombinePart(Strict):
    """One page of a combined document written in config.toml: `{ url = ..., select = ..., remove = ... }`,
    its `select`/`remove` (when written) over the page's shared ones."""

    url: str
    select: list[Rule] | None = None
    remove: list[Rule] | None = None

    _http_url = field_validator("url")(classmethod(lambda cls, value: check_http_url(value)))
    _lists = field_validator("select", "remove", mode="before")(classmethod(lambda cls, v: one_or_list(v)))

    @field_validator("select", "remove")
    @classmethod
    def _selectors(cls, value: list[Rule] | None) -> list[Rule] | None:
        return None if value is None else check_rules(value)


# The filters OTA's engine provides itself (monitor/fetch/filters.py runs them): no filters file needed.
BUILT_IN_FILTERS = frozenset({"removeQueryParams", "convertSpacesToStandard"})
