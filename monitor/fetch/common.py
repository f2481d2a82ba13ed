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
import requests

from monitor.config.loading import FetchConfig, PageConfig
from monitor.errors import FetchError

# A server asking for a longer pause than this gets this (and the next scheduled check tries again anyway).
MAX_RETRY_AFTER = 300.0
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
# Browsers read these labels as windows-1252 (WHATWG Encoding Standard), and so do we.
_AS_WINDOWS_1252 = frozenset({"latin-1", "iso8859-1", "ascii"})


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
    path = Path(page.cookies_file).expanduser()
    path = path if path.is_absolute() else base_dir / path
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
    for declared in (header.group(1) if header else None, meta.group(1).decode("ascii") if meta else None):
        if encoding := _codec(declared):
            return body.decode(encoding, errors="replace"), encoding
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    guess = charset_normalizer.from_bytes(body).best()
    encoding = _codec(guess.encoding if guess else None) or "cp1252"
    html = body.decode(encoding, errors="replace")
    # Detection cannot tell the Western from the Central European code page when the letters used are the same
    # in both (ä, ö, ü, ß, quotes); then name the one pages actually use.
    if encoding != "cp1252" and body.decode("cp1252", errors="replace") == html:
        encoding = "cp1252"
    return html, encoding


def _codec(label: str | None) -> str | None:
    if not label:
        return None
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    return "cp1252" if name in _AS_WINDOWS_1252 else name


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After as seconds (delta-seconds or an HTTP date), capped at MAX_RETRY_AFTER; None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delay = (moment - (now or datetime.now(UTC))).total_seconds()
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
