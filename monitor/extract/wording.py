"""How a watch's wording is compared with a page's text, shared by the watches and the diff's summary: both
sides folded alike (typography, spaces, case), and a term or heading as one pattern over folded text."""

from __future__ import annotations

import re

from monitor.errors import ConfigError
from monitor.extract.normalize import fold_typography, normalize_text


def fold(text: str) -> str:
    """The form both sides are compared in."""
    return fold_typography(normalize_text(text)).casefold()


def wording_pattern(text: str, *, regex: bool = False, watch_id: str = "") -> re.Pattern[str]:
    """A watch's term or heading as a pattern over folded text (see `fold`): a phrase on word boundaries, or
    the user's regex, case-insensitive, its quotes and dashes folded like the text (ß matches "ss" too). The
    watches and the summary's ranking match with it alike."""
    if regex:
        folded = fold_typography(text.replace("…", r"\.\.\.")).replace("ß", "ss").replace("ẞ", "ss")
        try:
            return re.compile(folded, re.IGNORECASE)
        except re.error as error:
            raise ConfigError(f"watch {watch_id!r}: `text` is not a regular expression: {error}") from None
    # re.escape writes a space as "\ "; any run of spaces (NBSP included) between the words matches
    return re.compile(r"(?<!\w)" + re.escape(fold(text)).replace(r"\ ", r"\s+") + r"(?!\w)")
