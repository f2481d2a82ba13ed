"""Topic words: what a privacy notice's reader cares about most (AI, objection, consent, sharing, retention,
deletion, sale, transfer, training), English and German.

signals.py marks the words that change a sentence's force (may, not, all, dates); these name its subject, so
the summary can put the edits about *what happens to your data* first. Each topic is a list of word stems
matched at the start of a word ("object" finds objection, objecting; "lösch" finds löschen, Löschung), except
the short all-capitals abbreviations, matched whole and case-sensitively (AI, KI: not "aim" or "Kind").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True, slots=True)
class Topic:
    name: str  # as a reader would say it: "objection", "sharing"
    stems: tuple[str, ...]  # case-insensitive, matched at a word start
    words: tuple[str, ...] = ()  # case-sensitive whole words (abbreviations)


TOPICS: tuple[Topic, ...] = (
    Topic("AI", ("artificial intelligence", "künstliche intelligenz", "generative", "llama"), ("AI", "KI")),
    Topic("AI training", ("train", "trainier")),
    Topic("objection", ("object", "opt out", "opt-out", "widerspr", "widerspruch")),
    Topic("consent", ("consent", "einwillig", "zustimm")),
    Topic("sharing", ("share", "sharing", "disclos", "teilen", "geteilt", "weitergeb", "weitergegeben")),
    Topic("third parties", ("third part", "third-part", "partner", "dritte")),
    Topic("retention", ("retain", "retention", "keep your", "store", "speicher", "aufbewahr")),
    Topic("deletion", ("delet", "erase", "lösch")),
    Topic("sale", ("sell", "sold", "sale", "verkauf")),
    Topic("transfer", ("transfer", "übermitt", "übertrag")),
)


def _pattern(topic: Topic) -> re.Pattern[str]:
    stems = "|".join(re.escape(stem).replace(r"\ ", r"[\s-]+") for stem in topic.stems)
    words = "|".join(re.escape(word) for word in topic.words)
    parts = [rf"(?i:\b(?:{stems}))"] + ([rf"\b(?:{words})\b"] if words else [])
    return re.compile("|".join(parts))


_PATTERNS = tuple((topic.name, _pattern(topic)) for topic in TOPICS)


@lru_cache(maxsize=4096)
def topics_in(text: str) -> tuple[str, ...]:
    """The topics `text` touches, in TOPICS order, each once."""
    return tuple(name for name, pattern in _PATTERNS if pattern.search(text))
