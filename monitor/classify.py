"""The text layer of a diff: word-level operations, the cosmetic/substantive rule, and signal words.

`word_diff` splits text into words, single punctuation marks and whitespace runs, so every operation
keeps its whitespace: joining the `old` sides gives the old text exactly, the `new` sides the new one.

`classify` calls an edit cosmetic when the two texts read the same once case, punctuation, typography
(quote/dash variants), whitespace and list numbering are set aside. German is handled on top of that:
a case change of a pronoun of address ("Sie" / "sie": you / they) changes who is meant.

Signal words (modal verbs, negations, numbers and dates, scope words, product names) are the words a
reader of a legal text should look at first; they live in the `SIGNALS` table, easy to extend.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from monitor.align import opcodes
from monitor.normalize import fold_typography

OpTag = Literal["equal", "insert", "delete", "replace"]
ChangeClass = Literal["cosmetic", "substantive"]


@dataclass(frozen=True, slots=True)
class Op:
    """One word-level operation. `equal`: old == new; `insert`: old == ""; `delete`: new == ""."""

    tag: OpTag
    old: str
    new: str


# --- signal words -------------------------------------------------------------------------------------


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
    found = [Signal(m.start(), m.end(), m.group(), "number") for m in _NUMBER.finditer(text)]
    found += [Signal(m.start(), m.end(), m.group(), m.lastgroup or "") for m in _PHRASE.finditer(text)]
    for match in _WORD.finditer(text):
        word = match.group()
        category = _EXACT.get(word) or _FOLDED.get(word.casefold())
        if category:
            found.append(Signal(match.start(), match.end(), word, category))
    found.sort(key=lambda signal: (signal.start, signal.start - signal.end))
    result: list[Signal] = []
    for signal in found:
        if not result or signal.start >= result[-1].end:
            result.append(signal)
    return tuple(result)


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


# --- word diff ------------------------------------------------------------------------------------------

_TOKEN = re.compile(r"\s+|\w+|[^\w\s]")


def tokenize(text: str) -> list[str]:
    """Words, single punctuation marks and whitespace runs; they join back to `text`."""
    return _TOKEN.findall(text)


def word_diff(old: str, new: str) -> list[Op]:
    """Word-level operations turning `old` into `new`; adjacent edits split by a lone space are merged."""
    if old == new:
        return [Op("equal", old, new)] if old else []
    if not old or not new:
        return [Op("insert", "", new)] if new else [Op("delete", old, "")]
    a, b = tokenize(old), tokenize(new)
    ops = [Op(tag, "".join(a[i1:i2]), "".join(b[j1:j2])) for tag, i1, i2, j1, j2 in opcodes(a, b)]  # type: ignore[arg-type]
    return _merge_fragments(ops)


def _is_glue(text: str) -> bool:
    """An unchanged piece too small to read on its own between two edits: spaces, punctuation, 'a'."""
    core = text.strip()
    return len(core) <= 1 or (len(text) <= 3 and not any(ch.isalnum() for ch in core))


def _merge_fragments(ops: list[Op]) -> list[Op]:
    merged: list[Op] = []
    for index, op in enumerate(ops):
        between_edits = (
            op.tag == "equal"
            and 0 < index < len(ops) - 1
            and ops[index + 1].tag != "equal"
            and _is_glue(op.old)
        )
        if between_edits and merged and merged[-1].tag != "equal":
            op = Op("replace", op.old, op.new)
        if merged and merged[-1].tag != "equal" and op.tag != "equal":
            last = merged.pop()
            old, new = last.old + op.old, last.new + op.new
            op = Op("replace" if old and new else ("insert" if new else "delete"), old, new)
        merged.append(op)
    return merged


# --- cosmetic or substantive ----------------------------------------------------------------------------

# A list marker at the start of a line: "1.", "12)", "a)", "(b)", "iv.", "•".
_NUMBERING = re.compile(
    r"^\s*(?:\(?(?:\d{1,3}|[a-z]|[ivxlc]{1,6})[.)]|[•·▪◦*-])\s+", re.IGNORECASE | re.MULTILINE
)
# A footnote reference ("See examples[12]"): renumbered whenever a note is added earlier in the text.
_NOTE_REFERENCE = re.compile(r"\[\d{1,3}\]")
# A visible URL: its query string and fragment are dropped for the comparison, since tracking and signature
# parameters (`oh=`, `oe=`, `h=` on Meta's link shims) change at every fetch without changing the text.
_URL_EXTRAS = re.compile(r"(https?://[^\s?#()\[\]]*)[?#][^\s()\[\]]*")
# What the comparison keeps: words, numbers with their inner separators, and symbols that carry meaning.
_MEANINGFUL = re.compile(r"\d+(?:[.,:/]\d+)*|\w+|[%€$£§&+@]")

_GERMAN_HINTS = frozenset(
    _words("der die das und nicht ist wir sie ihre ihnen werden können wenn oder auch mit für von zu")
)
# In German the capital marks the polite "you": "Sie können" (you can) vs "sie können" (they can).
_GERMAN_CASE_MATTERS = frozenset(_words("sie ihr ihre ihrer ihren ihrem ihres ihnen"))


def looks_german(text: str) -> bool:
    words = re.findall(r"\w+", text.casefold())
    if not words:
        return False
    hits = sum(word in _GERMAN_HINTS for word in words)
    return hits >= 2 and hits / len(words) > 0.05


def cosmetic_key(text: str) -> list[str]:
    """What must stay the same for an edit to count as cosmetic."""
    folded = _URL_EXTRAS.sub(r"\1", unicodedata.normalize("NFKC", fold_typography(text)))
    folded = _NUMBERING.sub("", _NOTE_REFERENCE.sub(" ", folded.replace("\n\n", "\n")))
    return [token.casefold() for token in _MEANINGFUL.findall(folded)]


def _address_changed(old: str, new: str) -> bool:
    """A German pronoun whose capital changed somewhere other than the start of a sentence."""
    old_words = _MEANINGFUL.findall(_NUMBERING.sub("", old))
    new_words = _MEANINGFUL.findall(_NUMBERING.sub("", new))
    old_starts = _sentence_starts(old_words, old)
    new_starts = _sentence_starts(new_words, new)
    for index, (a, b) in enumerate(zip(old_words, new_words, strict=False)):
        pronoun = a != b and a.casefold() == b.casefold() and a.casefold() in _GERMAN_CASE_MATTERS
        if pronoun and index not in old_starts and index not in new_starts:
            return True
    return False


def _sentence_starts(words: list[str], text: str) -> set[int]:
    starts = {0}
    position = 0
    for index, word in enumerate(words):
        found = text.find(word, position)
        before = text[position:found].strip()
        if index and before[-1:] in {".", "!", "?", ":", '"', "„", "“"}:
            starts.add(index)
        position = found + len(word)
    return starts


def classify(old: str, new: str) -> ChangeClass:
    """'cosmetic' when only case, punctuation, typography, whitespace or numbering (of list items and
    of footnote references like "[12]") differ."""
    if old == new:
        return "cosmetic"
    if cosmetic_key(old) != cosmetic_key(new):
        return "substantive"
    if (looks_german(old) or looks_german(new)) and _address_changed(old, new):
        return "substantive"
    return "cosmetic"
