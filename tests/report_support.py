"""A store filled through the real pipeline for the report tests, the screenshot script and the benchmark.

Real captures of Meta's printable privacy policy (../shared/corpus/html/...) are served in turn by a loopback
`http.server` and checked by `check_page` with an injectable clock, as a running service would have checked
them; between two captures the page answers 503 for a while (a failed period for the timeline to shade). A
second page serves a hostile text (`<img src=x onerror=...>`, `<script>`) so the tests can show it never runs.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from monitor.config.loading import LoadedConfig, load_config
from monitor.models import CheckRecord
from monitor.pipeline.check import Context, check_page
from monitor.store.core import Store

CAPTURES = "html/genai-eu-snapshots/Llama_API/Privacy_Policy_privacy-policy-printable"
DECEMBER = ("2025-12-11T23-35-48Z_5411edc4.html", "2025-12-16T23-35-44Z_a98ddaea.html")
SOME = (
    "2025-12-01T11-36-22Z_347afcbb.html",
    *DECEMBER,
    "2025-12-17T23-35-40Z_d22e4e46.html",
    "2026-01-05T11-35-37Z_ce6eb20b.html",
)
PRINTABLE = "meta-privacy-printable"
HOSTILE = "hostile-page"
CLAUSE = (
    "This Privacy Policy applies to what we call Meta Products, or Products. "
    "Our Products include Facebook, Instagram, and Messenger."
)
# Text that would run if the report ever let page text become markup: each would set a marker.
PAYLOADS = (
    "<img src=x onerror=\"document.title='XSS';window.__xss=1\">",
    "<script>window.__xss=2</script>",
    '<svg onload="window.__xss=3"></svg>',
)
FILLER = " ".join(["This page explains how we use the information we collect about you."] * 6)


class Loopback:
    """A loopback HTTP server answering each path with what `routes` holds now: (status, HTML bytes)."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, bytes]] = {}
        routes = self.routes

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                status, body = routes.get(self.path, (404, b"not found"))
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def loopback() -> Iterator[Loopback]:
    server = Loopback()
    server.thread.start()
    try:
        yield server
    finally:
        server.close()


def capture_time(name: str) -> datetime:
    """'2025-12-16T23-35-44Z_a98ddaea.html' -> 2025-12-16 23:35:44 UTC."""
    stamp = name.split("_")[0]
    day, clock = stamp[:10], stamp[11:19].replace("-", ":")
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=UTC)


def hostile_html(extra: str) -> bytes:
    """A page whose visible text holds the payloads as text (escaped in its HTML, as a real page would)."""
    import html

    paragraphs = [FILLER, *(f"Note: {html.escape(p)} ends here." for p in PAYLOADS), extra]
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        "<!DOCTYPE html><html><head><title>Hostile</title></head><body><main>"
        f"<h1>Privacy &lt;script&gt;window.__xss=4&lt;/script&gt; notice</h1>{body}</main></body></html>"
    ).encode()


def to_toml(data: dict[str, Any]) -> str:
    """A config dict as TOML: tables and arrays of tables of strings, numbers, booleans and string lists."""

    def value(item: Any) -> str:
        if isinstance(item, bool):
            return "true" if item else "false"
        if isinstance(item, list):
            return "[" + ", ".join(value(v) for v in item) + "]"
        return json.dumps(item) if isinstance(item, str) else repr(item)

    lines: list[str] = []
    for key, item in data.items():
        tables = item if isinstance(item, list) else [item]
        for table in tables:
            lines.append(f"[[{key}]]" if isinstance(item, list) else f"[{key}]")
            lines.extend(f"{name} = {value(v)}" for name, v in table.items())
            lines.append("")
    return "\n".join(lines)


def site_config(
    server: Loopback, root: Path, *, watches: bool = True, hostile_page: bool = True, **sections: Any
) -> LoadedConfig:
    """config.toml in `root` (the store in root/snapshots) for the printable policy and the hostile page."""
    pages = [
        {"id": PRINTABLE, "url": server.url("/privacy/policy/printable/"),
         "title": "Meta Privacy Policy (printable)", "document": "meta-privacy", "locale": "en-GB",
         "select": ["#root"], "remove": ["img"]},
        {"id": HOSTILE, "url": server.url("/hostile/"), "title": "Hostile <img src=x onerror=window.__xss=5>",
         "locale": "de-DE", "min_words": 0, "collapse_ratio": 1e-9},
    ]  # fmt: skip
    config: dict[str, Any] = {
        "fetch": {"retries": 0, "timeout": 10},
        "digest": {"timezone": "UTC"},
        **sections,
    }
    config["pages"] = pages if hostile_page else pages[:1]
    if watches:
        config["watches"] = [
            {
                "id": "products-covered",
                "pages": [PRINTABLE],
                "kind": "clause",
                "text": CLAUSE,
                "severity": "high",
            }
        ]
    path = root / "config.toml"
    path.write_text(to_toml(config), encoding="utf-8")
    return load_config(path)


def fill_store(
    corpus: Path,
    root: Path,
    server: Loopback,
    captures: Sequence[str] = SOME,
    *,
    hostile_page: bool = True,
    **sections: Any,
) -> tuple[LoadedConfig, Store, list[CheckRecord]]:
    """Check each capture in turn (at its capture time), a failed period after the second, and the hostile
    page twice; returns the config, the store and every check record."""
    loaded = site_config(server, root, hostile_page=hostile_page, **sections)
    store = Store(loaded.store_path)
    now = [capture_time(captures[0])]
    ctx = Context(loaded, store, clock=lambda: now[0], deliver=False)
    printable, hostile = (*loaded.config.pages, None)[:2]
    records: list[CheckRecord] = []
    try:
        for number, name in enumerate(captures):
            body = (corpus / CAPTURES / name).read_bytes()
            server.routes["/privacy/policy/printable/"] = (200, body)
            now[0] = capture_time(name)
            records.append(check_page(ctx, printable).record)
            if number == 1:  # the page fails for a day after its second capture
                server.routes["/privacy/policy/printable/"] = (503, b"unavailable")
                for hours in (6, 12, 18):
                    now[0] = capture_time(name) + timedelta(hours=hours)
                    records.append(check_page(ctx, printable).record)
        for day, extra in enumerate(("First wording.", "Second wording, changed.") if hostile_page else ()):
            server.routes["/hostile/"] = (200, hostile_html(extra))
            now[0] = capture_time(captures[0]) + timedelta(days=day + 1)
            assert hostile is not None
            records.append(check_page(ctx, hostile).record)
    finally:
        ctx.close()
    return loaded, store, records


def launch_chromium(playwright: Any) -> Any:
    """Headless Chromium as the project's browser fetcher launches it: Debian's /usr/bin/chromium when present
    (else Playwright's own), with the same flags."""
    from monitor.fetch.browser import CHROMIUM_FLAGS, SYSTEM_CHROMIUM, is_executable

    executable = str(SYSTEM_CHROMIUM) if is_executable(SYSTEM_CHROMIUM) else None
    return playwright.chromium.launch(executable_path=executable, headless=True, args=list(CHROMIUM_FLAGS))
