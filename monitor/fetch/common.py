"""What the fetchers send and how they read answers: request headers (Accept-Language from the page's locale), the
Netscape cookies file, the headers kept with a check, the charset of a body, Retry-After, network error reasons.

Shared by the `http` fetcher (fetch.py) and the `browser` fetcher (browser.py). Cookie values never reach a log
line, a reason or an exception message.
"""

from __future__ import annotations

import codecs
import email.utils
import re
import warnings
from collections.abc import Mapping
from datetime import UTC, datetime
from http.cookiejar import LoadError, MozillaCookieJar
from pathlib import Path

import charset_normalizer

from monitor import fsutil
from monitor.config.loading import FetchConfig, PageConfig
from monitor.errors import FetchError
from monitor.extract.signature import PDF_TYPES as PDF_TYPES  # with extraction (light); kept importable here
from monitor.extract.signature import is_pdf as is_pdf
from monitor.extract.signature import mime_type as mime_type
from monitor.fetch.requests_lib import requests

# A Retry-After beyond this is read as this: the page is checked again a week later at the latest, whatever a
# misconfigured server asks (the wait is never slept: it becomes the page's not-before time in the service).
MAX_RETRY_AFTER = 7 * 86400.0
# The headers kept with a check (lower-case); never Set-Cookie.
SELECTED_HEADERS = (
    "content-type", "etag", "last-modified", "date", "content-length", "server",
    "cache-control", "content-language", "age", "expires",
)  # fmt: skip
COOKIES_HINT = "export the site's cookies from a logged-in browser as a Netscape cookies.txt file"
# Meta pages put large inline scripts before any <meta>, so look further than the HTML standard's 1024 bytes.
_META_SCAN = 32 * 1024
_META_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
# Browsers read these labels as the larger charset the WHATWG Encoding Standard maps them to, and so do we: a
# page's bytes outside the strict set (a euro sign in "iso-8859-9", a character of gbk in "gb2312") would
# otherwise read as U+FFFD here and as the character in a browser.
_AS_BROWSERS_READ = {
    "latin-1": "cp1252", "iso8859-1": "cp1252", "ascii": "cp1252", "iso8859-9": "cp1254", "gb2312": "gbk",
    "euc_kr": "cp949", "shift_jis": "cp932", "tis-620": "cp874", "iso8859-11": "cp874", "big5": "big5hkscs",
}  # fmt: skip
# Codecs that turn bytes into str but are no charset of a document: they fail on ordinary bytes (idna,
# punycode, undefined), read backslash escapes (unicode-escape) or smuggle markup past filters (UTF-7, which
# the WHATWG standard forbids). A page naming one is read as naming an unknown label.
_NOT_A_CHARSET = frozenset(
    {"idna", "punycode", "undefined", "unicode-escape", "raw-unicode-escape", "utf-7", "charmap"}
)
# A header number: ASCII digits only (str.isdigit() also takes '²' and other scripts' digits, int() not all).
_HEADER_NUMBER = re.compile(r"[0-9]+")
_HEADER_NUMBER_DIGITS = 18  # longer is "huge" (and int() refuses strings over 4300 digits)


# The answers that are a page to extract (anything else fails as "not HTML: <type>"), PDF documents aside.
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
# Types a server gives any file it does not know: the body's signature says whether it is a PDF.
UNTYPED = frozenset({"application/octet-stream", "binary/octet-stream", "application/download", ""})


def accept_language(page: PageConfig) -> str | None:
    """The page's Accept-Language: given explicitly, or derived from its locale ('de_DE' -> 'de-DE,de;q=0.9')."""
    if page.accept_language:
        return page.accept_language
    if not page.locale:
        return None
    tag = page.locale.replace("_", "-")
    primary = tag.split("-")[0]
    return tag if tag == primary else f"{tag},{primary};q=0.9"


def request_headers(page: PageConfig, settings: FetchConfig) -> dict[str, str]:
    headers = {"User-Agent": settings.user_agent, "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"}
    if language := accept_language(page):
        headers["Accept-Language"] = language
    return headers | dict(page.headers)


def load_cookies(page: PageConfig, base_dir: Path) -> MozillaCookieJar | None:
    """The page's Netscape cookies.txt file (relative to the config file), or None when it has none."""
    if not page.cookies_file:
        return None
    path = fsutil.resolve_path(base_dir, page.cookies_file)
    jar = MozillaCookieJar()
    try:
        with warnings.catch_warnings():  # http.cookiejar warns with a traceback on malformed lines
            warnings.simplefilter("ignore")
            jar.load(str(path), ignore_discard=True, ignore_expires=True)
    except FileNotFoundError:
        raise FetchError(page.url, f"cookies file not found: {path}", hint=COOKIES_HINT) from None
    except (LoadError, UnicodeDecodeError, ValueError):  # LoadError first: it is an OSError
        reason = f"cookies file unreadable: {path}: not in Netscape cookies.txt format"
        raise FetchError(page.url, reason, hint=COOKIES_HINT) from None
    except OSError as error:
        reason = f"cookies file unreadable: {path}: {error.strerror}"
        raise FetchError(page.url, reason, hint=COOKIES_HINT) from None
    for cookie in jar:
        if cookie.expires == 0:  # curl and browser extensions write 0 for a session cookie
            cookie.expires, cookie.discard = None, True
    return jar


def selected_headers(headers: Mapping[str, str]) -> dict[str, str]:
    lowered = {key.lower(): value for key, value in headers.items()}
    return {key: lowered[key] for key in SELECTED_HEADERS if key in lowered}


def decode_html(body: bytes, content_type: str = "") -> tuple[str, str]:
    """Decode by BOM, then the Content-Type charset, then `<meta>`, then strict UTF-8, then detection.

    Never requests' ISO-8859-1 default for text/*: Meta's real captures declare no charset and are UTF-8.
    """
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(encoding, errors="replace"), encoding
    header = _HEADER_CHARSET.search(content_type)
    meta = _META_CHARSET.search(body[:_META_SCAN])
    for declared in (_codec(header.group(1)) if header else None, _meta_codec(meta)):
        if declared and (html := _decode(body, declared)) is not None:
            return html, declared
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    guess = charset_normalizer.from_bytes(body).best()
    encoding = _codec(guess.encoding if guess else None) or "cp1252"
    decoded = _decode(body, encoding)
    if decoded is None:
        encoding, decoded = "cp1252", body.decode("cp1252", errors="replace")
    html = decoded
    # Detection cannot tell the Western from the Central European code page when the letters used are the same
    # in both (ä, ö, ü, ß, quotes); then name the one pages actually use.
    if encoding != "cp1252" and body.decode("cp1252", errors="replace") == html:
        encoding = "cp1252"
    return html, encoding


# Formats that are never a page's HTML, by their first bytes (PDF: see is_pdf; images, archives, compressed, executables).
_MAGIC = (
    b"%PDF-", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*",
    b"PK\x03\x04", b"PK\x05\x06", b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00", b"7z\xbc\xaf\x27\x1c",
    b"Rar!\x1a\x07", b"\x28\xb5\x2f\xfd", b"\x7fELF", b"MZ", b"\x00asm", b"OggS", b"wOFF", b"wOF2",
)  # fmt: skip
# Bytes no text has (C0 controls but tab, newline, form feed and carriage return; DEL), NUL among them.
_CONTROL_BYTES = bytes([*range(0x09), 0x0B, *range(0x0E, 0x20), 0x7F])
_SNIFF_WINDOW = 16 * 1024  # sampled at the start, the middle and the end: cheap on a 20 MB body
# Real pages have none of these bytes, or a stray one; random bytes have 11%, UTF-16 text without a BOM ~50%.
MAX_CONTROL_SHARE = 0.01
# A page whose decoded text is this much U+FFFD is not in any encoding we know: it is not text.
MAX_UNDECODABLE_SHARE = 0.05


def looks_binary(body: bytes) -> bool:
    """True for a body that is not text whatever its Content-Type: a known binary format's magic number, or a
    share of control bytes no text has. A body with a UTF-16 BOM is judged after decoding (it has NULs)."""
    if any(body.startswith(bom) for bom, _ in _BOMS[1:]):
        return False
    if body.startswith(_MAGIC) or body[8:12] in (b"WEBP", b"WAVE", b"AVI ") or body[4:8] == b"ftyp":
        return True
    window = _SNIFF_WINDOW
    middle = max(len(body) // 2 - window // 2, window)
    samples = (
        body[:window],
        body[middle : middle + window],
        body[-window:] if len(body) > 2 * window else b"",
    )
    sampled = sum(len(sample) for sample in samples)
    controls = sum(len(sample) - len(sample.translate(None, _CONTROL_BYTES)) for sample in samples)
    return sampled > 0 and controls / sampled > MAX_CONTROL_SHARE


def undecodable(html: str) -> bool:
    """True when the decoded text is mostly U+FFFD: bytes in no encoding, not text (sampled like looks_binary)."""
    window = _SNIFF_WINDOW
    middle = max(len(html) // 2 - window // 2, window)
    samples = (
        html[:window],
        html[middle : middle + window],
        html[-window:] if len(html) > 2 * window else "",
    )
    sampled = sum(len(sample) for sample in samples)
    bad = sum(sample.count("\ufffd") + sample.count("\x00") for sample in samples)
    return sampled > 0 and bad / sampled > MAX_UNDECODABLE_SHARE


def _codec(label: str | None) -> str | None:
    """The text encoding a page's charset label names, or None for a label that names none: unknown, or a
    bytes-to-bytes codec (hex, base64, zlib, rot13...) or one in _NOT_A_CHARSET."""
    if not label:
        return None
    try:
        info = codecs.lookup(label)
    except (LookupError, ValueError):  # ValueError: a label codecs cannot even look up (a NUL in it)
        return None
    if not info._is_text_encoding or info.name in _NOT_A_CHARSET:
        return None
    return _AS_BROWSERS_READ.get(info.name, info.name)


def _meta_codec(found: re.Match[bytes] | None) -> str | None:
    # A <meta> naming UTF-16 or UTF-32 is read as UTF-8 (WHATWG prescan): the markup that says so is in ASCII.
    codec = _codec(found.group(1).decode("ascii")) if found else None
    return "utf-8" if codec and codec.startswith(("utf-16", "utf-32")) else codec


def _decode(body: bytes, codec: str) -> str | None:
    """`body` decoded, bad bytes replaced; None when the codec fails anyway (a text codec of the stdlib may
    still raise on input it does not take)."""
    try:
        return body.decode(codec, errors="replace")
    except (LookupError, ValueError, TypeError):  # UnicodeError is a ValueError
        return None


def header_number(value: str | None) -> int | None:
    """A header's non-negative integer (Content-Length, Age, delta-seconds): ASCII digits only, else None.

    A number too long to be meant is returned as 10**18 (never parsed: int() refuses over 4300 digits).
    """
    if value is None:
        return None
    text = value.strip()
    if not _HEADER_NUMBER.fullmatch(text):
        return None
    digits = text.lstrip("0") or "0"
    return int(digits) if len(digits) <= _HEADER_NUMBER_DIGITS else 10**_HEADER_NUMBER_DIGITS


def format_duration(seconds: float) -> str:
    """3600 -> "1h", 5400 -> "1h 30m", 42 -> "42s", 90061 -> "1d 1h" (the two largest units, to the second)."""
    remaining = max(round(seconds), 0)
    parts: list[str] = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if remaining >= size or (unit == "s" and not parts):
            parts.append(f"{remaining // size}{unit}")
            remaining %= size
    return " ".join(parts[:2])


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After as seconds (delta-seconds or an HTTP date), capped at MAX_RETRY_AFTER; None if absent/bad."""
    if not value:
        return None
    if (seconds := header_number(value)) is not None:
        return min(float(seconds), MAX_RETRY_AFTER)
    try:
        moment = email.utils.parsedate_to_datetime(value.strip())
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        delay = (moment - (now or datetime.now(UTC))).total_seconds()
    except (TypeError, ValueError, OverflowError, IndexError):  # any date no calendar has is no date
        return None
    return min(max(delay, 0.0), MAX_RETRY_AFTER)


_NETWORK_REASONS = (
    ("connection refused", "connection refused"),
    ("name or service not known", "name not resolved"),
    ("temporary failure in name resolution", "name not resolved"),
    ("nodename nor servname", "name not resolved"),
    ("no address associated", "name not resolved"),
    ("network is unreachable", "network unreachable"),
    ("connection reset", "connection reset"),
    ("remote end closed", "connection closed"),
)


def network_reason(error: requests.RequestException) -> str:
    if isinstance(error, requests.Timeout):
        return "network error: timed out"
    if isinstance(error, requests.exceptions.SSLError):
        return "network error: TLS handshake failed"
    text = str(error).lower()
    detail = next((reason for needle, reason in _NETWORK_REASONS if needle in text), "connection failed")
    return f"network error: {detail}"
