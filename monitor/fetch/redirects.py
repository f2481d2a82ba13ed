"""Where a redirect may go, and what it may carry there: only http(s) URLs with a host, and the credentials of
the first request (the config's Authorization, Cookie and Proxy-Authorization headers, .netrc, the cookies
file) never over a downgrade from https to http nor to another host or port (cookies alone still follow their
domain to its other hosts, as a browser's do)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from monitor.errors import FetchError
from monitor.fetch.requests_lib import requests

_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True, slots=True)
class Shared:
    all: bool  # every credential goes on
    cookies: bool  # the cookies file's cookies go on (their domain decides which)


def shares_credentials(source: str, target: str) -> Shared:
    """What credentials a redirect from `source` to `target` may carry: all to the same origin, or to https on
    the same host with default ports (the upgrade requests allows too); cookies also to another host of their
    domain; nothing over a downgrade to http or to another port."""
    old, new = urlsplit(source), urlsplit(target)
    old_port = old.port or _DEFAULT_PORTS.get(old.scheme.lower())
    new_port = new.port or _DEFAULT_PORTS.get(new.scheme.lower())
    schemes = (old.scheme.lower(), new.scheme.lower())
    if schemes == ("https", "http"):
        return Shared(all=False, cookies=False)
    upgrade = schemes == ("http", "https") and (old_port, new_port) == (80, 443)
    if old_port != new_port and not upgrade:
        return Shared(all=False, cookies=False)
    return Shared(all=old.hostname == new.hostname, cookies=True)


def redirect_target(url: str, response: requests.Response) -> str:
    """The absolute http(s) URL a redirect sends to; FetchError for any other (a scheme, a port, a host no
    URL has)."""
    location = response.headers["location"]
    try:
        target = urljoin(response.url, location)
        parts = urlsplit(target)
        parts.port  # noqa: B018 - raises ValueError for a port out of range or not a number
    except ValueError:
        hint = f"the server sent the request to {location[:80]!r}"
        raise FetchError(url, "redirect to an invalid URL", status=response.status_code, hint=hint) from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        hint = f"the server sent the request to a {scheme or 'schemeless'}: address"
        raise FetchError(url, "redirect to a non-HTTP URL", status=response.status_code, hint=hint)
    if not parts.hostname:
        hint = f"the server sent the request to {location[:80]!r}"
        raise FetchError(url, "redirect to an invalid URL", status=response.status_code, hint=hint)
    return target
