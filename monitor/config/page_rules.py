"""A page's rules as the config writes them: CSS selectors and ranges ({ start_before | start_after = CSS,
end_before | end_after = CSS }), the same in config.toml and, once read, in Open Terms Archive declarations."""

from __future__ import annotations

from collections.abc import Mapping

START_KEYS = ("start_before", "start_after")
END_KEYS = ("end_before", "end_after")


def range_problem(rule: Mapping[str, object]) -> str | None:
    """Why `rule` is not a range (exactly one start and one end key, nothing else), or None."""
    unknown = [key for key in rule if key not in START_KEYS + END_KEYS]
    if unknown:
        return f"unknown key {unknown[0]!r} in a range (write start_before or start_after, end_before or end_after)"
    if sum(key in rule for key in START_KEYS) != 1 or sum(key in rule for key in END_KEYS) != 1:
        return "a range needs one of start_before/start_after and one of end_before/end_after"
    return None


def check_rules(value: list[str | dict[str, str]]) -> list[str | dict[str, str]]:
    from cssselect import GenericTranslator, SelectorError

    for rule in value:
        if isinstance(rule, dict):
            if (problem := range_problem(rule)) is not None:
                raise ValueError(problem)
            selectors = list(rule.values())
        else:
            selectors = [rule]
        for selector in selectors:
            try:
                GenericTranslator().css_to_xpath(selector)
            except SelectorError as error:
                raise ValueError(f"not a CSS selector: {selector!r} ({error})") from None
    return value
