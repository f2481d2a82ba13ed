"""Range rules, with Open Terms Archive's meaning: `{start_before | start_after = CSS, end_before | end_after = CSS}`
is everything between two boundaries in document order, across elements, as a DOM Range is.

A boundary is always at an element's edge (before or after the first element its selector matches, as
`querySelector` finds it), so no text node is ever split: each element and each text node (an element's
`text` or `tail`) lies inside a range, outside it, or (elements only) partly inside, when the range starts or
ends within it. `select` keeps what lies inside (partly inside elements stay as shells holding their inside
part, as `Range.cloneContents` does); `remove` deletes it (as `Range.deleteContents` does).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from lxml import etree
from lxml.html import HtmlElement

from monitor.config.range_keys import END_KEYS, START_KEYS
from monitor.extract.parse import xml_text
from monitor.extract.region import common_ancestor

Rule = str | Mapping[str, str]  # a CSS selector, or a range


def is_range(rule: Rule) -> bool:
    return not isinstance(rule, str)


def describe(rule: Rule) -> str:
    """'#main' -> '#main'; a range -> 'from before [role=main] to after hr'."""
    if isinstance(rule, str):
        return rule
    start = next(key for key in START_KEYS if key in rule)
    end = next(key for key in END_KEYS if key in rule)
    return f"from {start.split('_')[1]} {rule[start]} to {end.split('_')[1]} {rule[end]}"


def selectors_of(rule: Rule) -> list[str]:
    """The CSS selectors a rule holds (a range: its two boundaries)."""
    return [rule] if isinstance(rule, str) else [rule[key] for key in START_KEYS + END_KEYS if key in rule]


class Positions:
    """Places in one document-order count: before and after each element, its text just inside it (one after
    `before`), its tail just after it (one after `after`). Boundaries and nodes are compared at double these
    numbers, so a boundary (odd) never coincides with a node (even)."""

    def __init__(self, root: HtmlElement) -> None:
        self.before: dict[HtmlElement, int] = {}
        self.after: dict[HtmlElement, int] = {}
        # Two dicts, not four: the text's and the tail's places follow from these (`text`, `tail`).
        before, after = self.before, self.after
        count = 1
        for event, element in etree.iterwalk(root, events=("start", "end")):
            if event == "start":
                before[element] = count
            else:
                after[element] = count
            count += 2

    def text(self, element: HtmlElement) -> int:
        return self.before[element] + 1

    def tail(self, element: HtmlElement) -> int:
        return self.after[element] + 1


Span = tuple[int, int]


def spans(
    rules: Sequence[Rule],
    root: HtmlElement,
    match: Callable[[str], list[HtmlElement]],
    places: Positions,
) -> tuple[list[Span], list[HtmlElement]]:
    """The document-order spans of `rules` in `root`, merged, and the element holding each rule's content
    (a CSS rule: each element it matches, whole; a range: the nearest ancestor of both its boundaries). A
    range whose boundary matches nothing, or whose end comes before its start, spans nothing. `places`:
    `Positions(root)`, counted once for these spans and the `prune` that follows them."""
    found: list[Span] = []
    holders: list[HtmlElement] = []
    for rule in rules:
        if isinstance(rule, str):
            for element in match(rule):
                if element in places.before:
                    found.append((places.before[element] * 2 - 1, places.after[element] * 2 + 1))
                    holders.append(element)
            continue
        start_key = next(key for key in START_KEYS if key in rule)
        end_key = next(key for key in END_KEYS if key in rule)
        starts, ends = match(rule[start_key]), match(rule[end_key])
        if not starts or not ends or starts[0] not in places.before or ends[0] not in places.before:
            continue
        start, end = starts[0], ends[0]  # querySelector's: the first in document order
        low = places.before[start] * 2 - 1 if start_key == "start_before" else places.after[start] * 2 + 1
        high = places.before[end] * 2 - 1 if end_key == "end_before" else places.after[end] * 2 + 1
        if high > low:
            found.append((low, high))
            holders.append(common_ancestor(start, end))
    found.sort()
    merged: list[Span] = []
    for low, high in found:
        if merged and low <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], high))
        else:
            merged.append((low, high))
    return merged, holders


def prune(root: HtmlElement, kept: list[Span], *, keep_inside: bool, places: Positions) -> None:
    """Keep only what lies inside `kept` (`keep_inside`), or delete what lies inside it, in place. `places`:
    the `Positions(root)` its `spans` counted (the tree unchanged since)."""

    def inside(place: int) -> bool:
        place *= 2
        return any(low < place < high for low, high in kept)

    def where(element: HtmlElement) -> str:
        low, high = places.before[element] * 2, places.after[element] * 2
        for span_low, span_high in kept:
            if span_low < low and high < span_high:
                return "in"
            if span_low < high and low < span_high:
                return "partly"
        return "out"

    dropped: list[HtmlElement] = []
    stack = [root]
    while stack:
        element = stack.pop()
        if element is not root and element.tail and inside(places.tail(element)) != keep_inside:
            element.tail = None
        state = "partly" if element is root else where(element)
        if state == "partly":
            if element.text and inside(places.text(element)) != keep_inside:
                element.text = None
            stack.extend(reversed(list(element)))
        elif (state == "in") != keep_inside:
            dropped.append(element)
    for element in reversed(dropped):  # later ones first: a tail moves onto a sibling that is still there
        _remove_keeping_tail(element)


def _remove_keeping_tail(element: HtmlElement) -> None:
    parent = element.getparent()
    if parent is None:
        return
    tail = element.tail or ""
    previous = element.getprevious()
    if tail:
        # Through xml_text: libxml2's tree keeps characters XML forbids, which lxml refuses to set again.
        if previous is not None:
            previous.tail = xml_text(_joined(previous.tail, tail))
        else:
            parent.text = xml_text(_joined(parent.text, tail))
    element.tail = None
    parent.remove(element)


def _joined(left: str | None, right: str) -> str:
    if not left:
        return right
    return left + right if left[-1:].isspace() or right[:1].isspace() else f"{left} {right}"
