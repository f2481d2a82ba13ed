"""The text layer of a diff: word-level operations and the cosmetic/substantive rule.

`word_diff` splits text into words, single punctuation marks and whitespace runs, so every operation
keeps its whitespace: joining the `old` sides gives the old text exactly, the `new` sides the new one.

`classify` calls an edit cosmetic when the two texts read the same once case, punctuation, typography
(quote/dash variants), whitespace and list numbering are set aside. German is handled on top of that:
a case change of a pronoun of address ("Sie" / "sie": you / they) changes who is meant.
The signal words a substantive edit touches are in monitor.diff.signals.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Literal

from monitor.diff.align import opcodes
from monitor.extract.normalize import fold_typography

OpTag = Literal["equal", "insert", "delete", "replace"]
ChangeClass = Literal["cosmetic", "substantive"]


@dataclass(frozen=True, slots=True)
class Op:
    """One word-level operation. `equal`: old == new; `insert`: old == ""; `delete`: new == ""."""

    tag: OpTag
    old: str
    new: str


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# --- word diff ------------------------------------------------------------------------------------------

# Words first: the three kinds never start alike, so the order only decides how soon each is found.
_TOKEN = re.compile(r"\w+|\s+|[^\w\s]")


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
# A line that is only such a number ("12", "[12]", "(12)"): the label of a footnote, which moves and is renumbered
# with its note (Meta's printable policy holds 87 of them), never a sentence of its own.
_NOTE_LABEL = re.compile(r"^[ \t]*[\[(]?\d{1,3}[\])]?[ \t]*$", re.MULTILINE)
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


def _comparable(text: str) -> str:
    """The text with what never counts folded away: typography, URL parameters, notes and list numbers."""
    folded = _URL_EXTRAS.sub(r"\1", unicodedata.normalize("NFKC", fold_typography(text)))
    if "\n" in folded or len(folded) <= 7:  # a label is a line of its own: most texts skip the search
        folded = _NOTE_LABEL.sub("", folded)
    return _NUMBERING.sub("", _NOTE_REFERENCE.sub(" ", folded.replace("\n\n", "\n")))


# A hyphen between two letters: "Konten-Übersicht", "e-mail", "plug-in" (U+2010 and U+2011 are folded to "-"
# by then); not before a lone letter ("U-S", "no-t"), which joins no word.
_INNER_HYPHEN = re.compile(r"(?<=[^\W\d_])-(?=[^\W\d_]{2}|[^\W\d_]-)")
# Words the hyphen makes into others when it goes: re-sign (sign again) is not resign (quit).
_OTHER_WITHOUT_HYPHEN = re.compile(
    r"\bre-(?=(sign|cover|creation|form|lease|press|collect|count|act|mark|serve|sort|treat|solve|signed|"
    r"covered|formed|leased|pressed|collected|counted|acted|marked|served|sorted|treated|solved)\b)",
    re.IGNORECASE,
)


def _hyphenation_only(old: str, new: str) -> bool:
    """Whether the texts differ only by words a hyphen joins or splits ("Kontenübersicht" and
    "Konten-Übersicht", "e-mail" and "email"): the key splits words at a hyphen, so it alone sees two words
    against one. A hyphen read as a space ("opt-out", "opt out") is the key's own case."""
    old, new = fold_typography(old), fold_typography(new)
    if "-" not in old and "-" not in new:
        return False
    return cosmetic_key(hyphens_joined(old)) == cosmetic_key(hyphens_joined(new))


def hyphens_joined(text: str) -> str:
    """`text` with the words a hyphen joins written as one ("Konten-Übersicht" -> "KontenÜbersicht")."""
    text = fold_typography(text)
    kept = {found.end() - 1 for found in _OTHER_WITHOUT_HYPHEN.finditer(text)}  # the hyphen of re-sign...
    return _INNER_HYPHEN.sub(lambda hyphen: "-" if hyphen.start() in kept else "", text)


def cosmetic_key(text: str) -> tuple[str, ...]:
    """What must stay the same for an edit to count as cosmetic (once per text within `keys_kept`)."""
    memo = _KEYS.get()
    if memo is not None and (known := memo.get(text)) is not None:
        return known
    comparable = _comparable(text)
    if comparable.isascii():  # folding the whole text then cannot move a token boundary
        key = tuple(_MEANINGFUL.findall(comparable.lower()))
    else:
        key = tuple(token.casefold() for token in _MEANINGFUL.findall(comparable))
    if memo is not None:
        memo[text] = key
    return key


_KEYS: ContextVar[dict[str, tuple[str, ...]] | None] = ContextVar("cosmetic_keys", default=None)


@contextmanager
def keys_kept() -> Iterator[None]:
    """Within it, each text's cosmetic key is worked out once: one diff asks for a block's key several times
    (pairing, regrouping, classifying). The keys go with the diff, not with the process."""
    if _KEYS.get() is not None:
        yield
        return
    token = _KEYS.set({})
    try:
        yield
    finally:
        _KEYS.reset(token)


def _tokens_and_sentence_starts(text: str) -> list[tuple[str, bool]]:
    comparable = _comparable(text)
    result: list[tuple[str, bool]] = []
    end = 0
    for match in _MEANINGFUL.finditer(comparable):
        between = comparable[end : match.start()]
        starts = not result or "\n" in between or between.strip()[-1:] in {".", "!", "?", ":", '"'}
        result.append((match.group(), starts))
        end = match.end()
    return result


def _address_changed(old: str, new: str) -> bool:
    """A German pronoun whose capital changed somewhere other than the start of a sentence."""
    pairs = zip(_tokens_and_sentence_starts(old), _tokens_and_sentence_starts(new), strict=False)
    return any(
        a != b
        and a.casefold() == b.casefold()
        and a.casefold() in _GERMAN_CASE_MATTERS
        and not (a_start or b_start)
        for (a, a_start), (b, b_start) in pairs
    )


def classify(old: str, new: str) -> ChangeClass:
    """'cosmetic' when only case, punctuation, typography, whitespace or numbering (of list items, of footnote
    references like "[12]" and of footnote labels: a line that is only a number) differ."""
    if old == new:
        return "cosmetic"
    if cosmetic_key(old) != cosmetic_key(new) and not _hyphenation_only(old, new):
        return "substantive"
    if (looks_german(old) or looks_german(new)) and _address_changed(old, new):
        return "substantive"
    return "cosmetic"
