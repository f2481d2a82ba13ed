"""What an import reads of its source, and what it refuses before anything is stored.

Imports never leave their source: a folder's symbolic link whose target resolves outside the folder is refused
with one line naming the file, not skipped, so a folder never imports less than its owner thinks. So are names
that are not printable UTF-8, dates that no clock can hold (a zone past +-23:59, a moment past year 9999 in UTC)
and .md/.txt files that are not UTF-8 text. Every message names the file as one printable line (`shown`).
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from monitor.errors import ImportSourceError
from monitor.models import isoformat

_NAME_DATE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T _](\d{2})[-:h]?(\d{2})(?:[-:m]?(\d{2}))?(?:[.,]\d+)?(Z|[+-]\d{2}:?\d{2})?)?",
    re.I,
)


def name_time(file: Path) -> str:
    """The ISO UTC time a file's name begins with (UTC when it names no zone)."""
    match = _NAME_DATE.match(file.name)
    if match is None:
        raise ImportSourceError(f"{shown(file)}: no date in its name (names must begin with YYYY-MM-DD)")
    year, month, day, hour, minute, second, zone = match.groups()
    try:
        moment = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0))
    except ValueError:
        raise ImportSourceError(f"{shown(file)}: its name begins with an impossible date") from None
    return utc(moment.replace(tzinfo=_zone(zone, file)), shown(file))


def _zone(text: str | None, file: Path) -> timezone:
    if not text or text.upper() == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:])
    if hours > 23 or minutes > 59:
        raise ImportSourceError(
            f"{shown(file)}: its name's time zone {text} is impossible (offsets run from -23:59 to +23:59); "
            "rename it"
        )
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def utc(moment: datetime, where: str) -> str:
    """`moment` as an ISO UTC time; an ImportSourceError when UTC cannot hold it (year 1 or 9999 shifted out)."""
    try:
        return isoformat(moment)
    except (OverflowError, ValueError):
        raise ImportSourceError(
            f"{where}: dated {moment.isoformat()}, which is out of range in UTC; correct its date"
        ) from None


def read_inside(file: Path, folder: Path) -> bytes:
    """`file`'s bytes, when it (through any symbolic links) is a file inside `folder`."""
    try:
        target, inside = file.resolve(strict=True), folder.resolve(strict=True)
    except (OSError, RuntimeError):  # a dangling link or a loop of links
        raise ImportSourceError(f"{shown(file)}: a broken symbolic link; remove it or replace it") from None
    if not target.is_relative_to(inside):
        raise ImportSourceError(
            f"{shown(file)}: a symbolic link to {shown(target)}, outside {shown(inside)}; imports read only "
            "the folder's own files: copy the file in instead"
        )
    if not target.is_file():
        raise ImportSourceError(f"{shown(file)}: not a file; remove it from {shown(inside)}")
    try:
        return target.read_bytes()
    except OSError as error:
        raise ImportSourceError(f"{shown(file)}: cannot read ({error.strerror})") from None


def check_text(data: bytes, where: str) -> None:
    """An ImportSourceError naming `where` unless `data` is UTF-8 text."""
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportSourceError(
            f"{where}: not UTF-8 text (byte {error.start}); convert it, e.g. iconv -f latin1 -t utf-8, "
            "or move it out"
        ) from None


def printable(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # bytes that are not UTF-8, kept by the file system's surrogateescape
        return False
    return name.isprintable()


def shown(path: object) -> str:
    """A path as one printable line: undecodable bytes as \\xNN, control characters escaped."""
    text = os.fsencode(str(path)).decode("utf-8", "backslashreplace")
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)
