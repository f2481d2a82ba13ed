"""Signal words: the words a reader of a legal text should look at first when it changes.

Modal verbs, negations, numbers and dates, scope words and product names, English and German. The lists are
data (`SIGNALS`), easy to extend; `find_signals` finds them in a text, `change_signals` in the edited parts of
a word diff (what `Change.signals` holds), and renderers use `signals_in` to highlight them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from monitor.diff.classify import Op


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_MONTHS_EN = "January February March April May June July August September October November December"
_MONTHS_DE = "Januar Jänner Februar März April Mai Juni Juli August September Oktober November Dezember"


@dataclass(frozen=True, slots=True)
class SignalCategory:
    name: str
    words: tuple[str, ...]  # single words or phrases; matched on word boundaries
    case_sensitive: bool = False  # product names and month names are only signals when capitalized
    suffixes: tuple[str, ...] = ()  # glued to the word before them: "n't"


SIGNALS: tuple[SignalCategory, ...] = (
    SignalCategory(
        "modal",
        (
            *_words("may might will shall must can could should would cannot"),
            *_words("kann können darf dürfen muss müssen wird werden soll sollen möglicherweise"),
        ),
    ),
    SignalCategory(
        "negation",
        (
            *_words("not no never without neither nor none"),
            *_words("nicht kein keine keinen keinem keiner keines nie niemals ohne weder noch"),
        ),
        suffixes=("n't", "n’t"),
    ),
    SignalCategory(
        "scope",
        (
            *_words("all any every each some only including except unless always"),
            *_words(
                "alle allen aller jede jeder jedes jeden einige nur einschließlich außer sämtliche immer"
            ),
        ),
    ),
    SignalCategory("date", (*_words(_MONTHS_EN), *_words(_MONTHS_DE)), case_sensitive=True),
    SignalCategory(
        "product",
        (
            "Accounts Center",
            "Accounts Centre",
            "Kontenübersicht",
            "Meta AI",
            "KI bei Meta",
            "AI at Meta",
            "Facebook",
            "Instagram",
            "Threads",
            "WhatsApp",
            "Messenger",
        ),
        case_sensitive=True,
    ),
)
# Any token with a digit is a number or a date ("30 days", "2025", "§ 6", "1.5").
_NUMBER = re.compile(r"(?<!\w)\w*\d(?:\w|[.,:/-](?=\w))*")


# Lookup tables built from SIGNALS. At one word the first category in this order wins: products, then months
# (both case-sensitive: a capitalized "May" is a month before it is a modal verb), then the rest.
_ORDER = sorted(SIGNALS, key=lambda c: {"product": 0, "date": 1}.get(c.name, 2))
_EXACT: dict[str, str] = {}  # case-sensitive single words -> category
_FOLDED: dict[str, str] = {}  # casefolded single words -> category
_PHRASES: list[str] = []  # multi-word entries and glued suffixes, as named regex groups
for _category in _ORDER:
    for _word in _category.words:
        if " " not in _word:
            if _category.case_sensitive:
                _EXACT.setdefault(_word, _category.name)
            else:
                _FOLDED.setdefault(_word.casefold(), _category.name)
    _phrases = [re.escape(w).replace(r"\ ", r"\s+") for w in _category.words if " " in w]
    _alternatives = [rf"\b(?:{'|'.join(_phrases)})"] if _phrases else []
    _alternatives += [re.escape(suffix) for suffix in _category.suffixes]
    if _alternatives:
        _group = "(?:" if _category.case_sensitive else "(?i:"
        _PHRASES.append(rf"(?P<{_category.name}>{_group}{'|'.join(_alternatives)}))(?!\w)")
_PHRASE = re.compile("|".join(_PHRASES))
_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class Signal:
    start: int
    end: int
    word: str
    category: str  # a SignalCategory name, or "number"


def find_signals(text: str) -> list[Signal]:
    """Every signal word or phrase in `text`, in order of position (where two overlap, the longer)."""
    return list(_find_signals(text))


@lru_cache(maxsize=4096)
def _find_signals(text: str) -> tuple[Signal, ...]:
    return _scan(text, numbers=_DIGIT.search(text) is not None, phrases=_may_hold_phrase(text))


def _scan(text: str, *, numbers: bool = True, phrases: bool = True) -> tuple[Signal, ...]:
    """The signals of `text`; `numbers`/`phrases` False skips a search that cannot match (most blocks have
    no digit, and no apostrophe or product name: both searches try every position of the text)."""
    found = (
        [Signal(m.start(), m.end(), m.group(), "number") for m in _NUMBER.finditer(text)] if numbers else []
    )
    if phrases:
        found += [Signal(m.start(), m.end(), m.group(), m.lastgroup or "") for m in _PHRASE.finditer(text)]
    exact, folded = _EXACT.get, _FOLDED.get
    for match in _WORD.finditer(text):
        word = match.group()
        category = exact(word) or folded(word.casefold())
        if category:
            found.append(Signal(match.start(), match.end(), word, category))
    found.sort(key=lambda signal: (signal.start, signal.start - signal.end))
    result: list[Signal] = []
    for signal in found:
        if not result or signal.start >= result[-1].end:
            result.append(signal)
    return tuple(result)


def _needle(entry: str, case_sensitive: bool) -> str | None:
    """Text that every match of a phrase or suffix holds as it is, or None when there is none: the first word of
    a case-sensitive phrase, else a mark without case (the apostrophe of "n't")."""
    if case_sensitive:
        return entry.split()[0]
    return next((ch for ch in entry if not ch.isalnum() and not ch.isspace()), None)


_DIGIT = re.compile(r"\d")  # _NUMBER matches nothing without one


def _needles() -> tuple[str, ...] | None:
    entries = [
        (entry, category.case_sensitive)
        for category in SIGNALS
        for entry in (*(word for word in category.words if " " in word), *category.suffixes)
    ]
    needles = [_needle(entry, case_sensitive) for entry, case_sensitive in entries]
    if any(needle is None for needle in needles):
        return None  # a phrase without a needle: every text is searched
    return tuple(dict.fromkeys(needle for needle in needles if needle is not None))


_NEEDLES = _needles()


def _may_hold_phrase(text: str) -> bool:
    return _NEEDLES is None or any(needle in text for needle in _NEEDLES)


def changed_spans(ops: Iterable[Op]) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Character spans of the edited text on the old side and on the new side."""
    old_spans: list[tuple[int, int]] = []
    new_spans: list[tuple[int, int]] = []
    old_at = new_at = 0
    for op in ops:
        if op.tag != "equal":
            if op.old:
                old_spans.append((old_at, old_at + len(op.old)))
            if op.new:
                new_spans.append((new_at, new_at + len(op.new)))
        old_at += len(op.old)
        new_at += len(op.new)
    return old_spans, new_spans


def signals_in(text: str, spans: Sequence[tuple[int, int]]) -> list[Signal]:
    """The signals of `text` that overlap one of the edited `spans` (sorted, non-overlapping)."""
    if not spans:
        return []
    return [s for s in find_signals(text) if any(s.start < end and start < s.end for start, end in spans)]


def change_signals(ops: Sequence[Op]) -> list[str]:
    """The signal words an edit touches: removed ones first, then added ones, each once."""
    old_spans, new_spans = changed_spans(ops)
    old_text = "".join(op.old for op in ops)
    new_text = "".join(op.new for op in ops)
    words: list[str] = []
    seen: set[str] = set()
    for signal in [*signals_in(old_text, old_spans), *signals_in(new_text, new_spans)]:
        word = " ".join(signal.word.split())
        if word.casefold() not in seen:
            seen.add(word.casefold())
            words.append(word)
    return words
