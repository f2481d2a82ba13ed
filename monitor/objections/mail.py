"""A platform's confirmation mail of an objection, read with the `email` package: when it was sent, by whom,
its subject and the case ID it gives (English or German wording), and the sha256 of the file as it came."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, date, tzinfo
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parseaddr, parsedate_to_datetime
from html.parser import HTMLParser
from pathlib import Path

from monitor.errors import UsageError
from monitor.models import isoformat

# "Case ID: 1234", "Fall-ID 1234", "Vorgangsnummer: 1234", "Deine Case-ID lautet 1234", "reference number #1234".
_CASE = re.compile(
    r"(?:case[ -]?id|case[ -]?number|case|fall[ -]?id|fallnummer|vorgangsnummer|vorgangs-?id|aktenzeichen"
    r"|referenznummer|reference(?:[ -]?number)?|ticket[ -]?(?:id|nummer|number))"
    r"(?:\s+(?:lautet|is|ist))?\s*[:#]?\s*#?((?=[A-Za-z-]*\d)[A-Za-z0-9][A-Za-z0-9-]{3,})",
    re.IGNORECASE,
)
# Sender domains that name the platform a mail comes from (Meta sends Facebook's mail from facebookmail.com).
_DOMAINS = {"facebookmail.com": "facebook", "facebook.com": "facebook", "instagram.com": "instagram",
            "mail.instagram.com": "instagram", "linkedin.com": "linkedin", "threads.net": "threads"}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Confirmation:
    path: Path
    sha256: str
    data: bytes
    sent: str | None  # ISO 8601 with the sender's offset, as the Date header says
    day: date | None  # the day it was sent, in the sender's own zone
    sender: str
    subject: str
    case_id: str | None
    platform: str | None  # from the sender's domain, when it names one

    def to_json(self) -> dict[str, object]:
        """What the ledger keeps of the mail: never its body (it stays in the private copy)."""
        return {"sha256": self.sha256, "sent": self.sent, "sender": self.sender, "subject": self.subject,
                "case_id": self.case_id}  # fmt: skip


def read_confirmation(path: Path, zone: tzinfo = UTC) -> Confirmation:
    """The confirmation mail at `path`; its day is the one it was sent on in `zone` (`[digest] timezone`, the
    zone an objection's day is read in), not in the sender's."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise UsageError(
            f"{path}: cannot read the confirmation mail ({error.strerror}); give a saved .eml file"
        ) from None
    message = BytesParser(policy=policy.default).parsebytes(data)
    if not isinstance(message, EmailMessage) or not (message["From"] or message["Date"]):
        raise UsageError(
            f"{path}: not a mail (no From or Date header); save the mail as .eml and give that file"
        )
    sent, day = _date(path, message, zone)
    sender = parseaddr(str(message["From"] or ""))[1]
    subject = str(message["Subject"] or "")
    case = _CASE.search(f"{subject}\n{_body(message)}")
    domain = sender.rpartition("@")[2].lower()
    platform = next(
        (name for suffix, name in _DOMAINS.items() if domain == suffix or domain.endswith("." + suffix)), None
    )
    return Confirmation(path, hashlib.sha256(data).hexdigest(), data, sent, day, sender, subject,
                        case.group(1) if case else None, platform)  # fmt: skip


def _date(path: Path, message: EmailMessage, zone: tzinfo) -> tuple[str | None, date | None]:
    header = message["Date"]
    if header is None:
        return None, None
    try:
        when = parsedate_to_datetime(str(header))
    except (TypeError, ValueError):
        raise UsageError(
            f"{path}: its Date header {str(header)!r} is not a date; give --date and fix the file"
        ) from None
    if when.tzinfo is None:  # "-0000": a time in UTC whose local zone is not known (RFC 5322)
        when = when.replace(tzinfo=UTC)
    return isoformat(when), when.astimezone(zone).date()


def _body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None or not isinstance(part, EmailMessage):
        return ""
    try:
        content = str(part.get_content())
    except (LookupError, ValueError):
        return ""
    if part.get_content_subtype() == "html":
        reader = _Text()
        reader.feed(content)
        return " ".join(reader.parts)
    return content


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)
