"""How a change is named for a reader: its kind ("Changed", "New text"), a renamed section ("A › Old → New")
and what an edit touches ("AI, sharing; may (permission or duty)"). Shared by the summary, the renderers
and the templates, so every output says it the same way."""

from __future__ import annotations

from collections.abc import Sequence

from monitor.diff.topics import topics_in

KIND_LABELS = {
    "added": "New text",
    "removed": "Removed",
    "modified": "Changed",
    "moved": "Moved",
    "restructured": "Regrouped",
}
_MEANING = {
    "modal": "permission or duty",
    "negation": "negation",
    "scope": "scope",
    "date": "dates",
    "number": "numbers",
    "product": "products",
}


def kind_label(kind: str) -> str:
    """'Changed', 'New text' ...; a kind this code does not know yet reads as itself ('Regrouped')."""
    return KIND_LABELS.get(kind) or kind.replace("_", " ").capitalize() or "Changed"


def renamed(old: str, new: str) -> str:
    """'Parent › Old name → New name': the shared breadcrumb once."""
    old_parts, new_parts = old.split(" › "), new.split(" › ")
    if len(old_parts) == len(new_parts) > 1 and old_parts[:-1] == new_parts[:-1]:
        return f"{old} → {new_parts[-1]}"
    return f"{old} → {new}"


def touches(topics: Sequence[str], signals: Sequence[str]) -> str:
    """'AI, sharing; may, can (permission or duty); no (negation)': what an edit is about, then the words
    that change its force, each group named."""
    from monitor.diff.signals import find_signals

    groups: dict[str, list[str]] = {}
    for word in signals:
        word = {"n't": "not", "n’t": "not"}.get(word, word)  # the suffix of "don't" reads as what it means
        found = find_signals(word)
        category = found[0].category if found else "number"
        if category == "product" and set(topics_in(word)) & set(topics):
            continue  # "AI at Meta" says no more than the topic AI already does
        if category in _MEANING:
            groups.setdefault(category, []).append(word)
    parts = [", ".join(topics)] if topics else []
    parts += [f"{', '.join(words)} ({_MEANING[category]})" for category, words in groups.items()]
    return "; ".join(parts)
