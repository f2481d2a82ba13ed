"""Helpers shared by the service, digest, status and feed tests: a simulated clock, a config, and a store
filled by the real pipeline (`record_check` runs `check_page` against a page served from the test's text)."""

from __future__ import annotations

import email
import email.message
import email.policy
import re
import socket
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from html import escape
from typing import Any

from monitor.config.loading import Config, LoadedConfig, PageConfig, parse_config
from monitor.errors import FetchError
from monitor.fetch.base import Fetcher
from monitor.models import CheckRecord, Document, FetchResult, Outcome
from monitor.registry import FETCHERS
from monitor.store.core import Store


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def set(self, moment: datetime) -> None:
        self.now = moment

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def utc(text: str) -> datetime:
    """'2026-03-02 08:00' -> an aware UTC datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def document_text(*blocks: str) -> str:
    """Blocks in the stored text form ('# Heading', paragraph, '- item'), normalized through Document."""
    return Document.from_text("\n\n".join(blocks) + "\n").to_text()


def make_config(pages: list[dict[str, Any]], **sections: Any) -> Config:
    return parse_config({"pages": pages, **sections})


def loaded(config: Config, base_dir: Any) -> LoadedConfig:
    result = LoadedConfig(config, None)
    result.base_dir = base_dir
    return result


# --- filling a store through the real pipeline ---------------------------------------------------------------


class ServedFetcher(Fetcher):
    """The renderer `record_check` gives its page: serves the HTML rendering of the stored text `SERVED` holds
    for the page's URL, or fails with the reason held instead, as `HttpFetcher` would (an "HTTP 503" carries
    the status 503)."""

    name = "served"

    def fetch(self, page: PageConfig, *, validators: Mapping[str, str] | None = None) -> FetchResult:
        text, reason = SERVED[page.url]
        if reason is not None:
            status = re.fullmatch(r"HTTP (\d{3})", reason)
            raise FetchError(page.url, reason, status=int(status.group(1)) if status else None)
        html = render_html(text or "")
        return FetchResult(
            url=page.url, final_url=page.url, status=200, headers={"content-type": "text/html; charset=utf-8"},
            body=html.encode("utf-8"), html=html, encoding="utf-8", renderer=self.name, elapsed=0.0,
        )  # fmt: skip


SERVED: dict[str, tuple[str | None, str | None]] = {}  # url -> (stored text, failure reason)


@contextmanager
def served(url: str, text: str | None, reason: str | None) -> Iterator[None]:
    """`ServedFetcher` registered on FETCHERS, serving `url`, for the time of one check only: the registry is
    process-wide, and the other tests (e.g. test_fetch's list of renderers) must see only the real kinds."""
    FETCHERS.register(ServedFetcher)
    SERVED[url] = (text, reason)
    try:
        yield
    finally:
        del SERVED[url]
        FETCHERS.unregister(ServedFetcher.name)


def render_html(text: str) -> str:
    """Stored-text blocks as the HTML a site would serve: `# Heading` -> <h1>, `  - item` -> nested <ul><li>,
    `| a | b |` -> a data-table row, anything else -> <p>."""
    out: list[str] = ["<!DOCTYPE html><html><head><title>Privacy</title></head><body><main>"]
    depth = 0  # open <ul> elements
    in_table = False
    for block in Document.from_text(text).blocks:
        wanted = block.level + 1 if block.kind == "item" else 0
        while depth > wanted:
            out.append("</li></ul>")
            depth -= 1
        if block.kind != "row" and in_table:
            out.append("</table>")
            in_table = False
        body = escape(block.text)
        if block.kind == "item":
            if depth == wanted:
                out.append("</li>")
            while depth < wanted:
                out.append("<ul>")
                depth += 1
            out.append(f"<li>{body}")
        elif block.kind == "heading":
            out.append(f"<h{block.level}>{body}</h{block.level}>")
        elif block.kind == "row":
            if not in_table:
                out.append("<table>")
                in_table = True
            out.append("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in block.text.split(" | ")) + "</tr>")
        else:
            out.append(f"<p>{body}</p>")
    out.append("</li></ul>" * depth + ("</table>" if in_table else "") + "</main></body></html>")
    return "\n".join(out)


def record_check(
    store: Store,
    page: str,
    at: datetime,
    *,
    text: str | None = None,
    reason: str | None = None,
    url: str = "https://example.org/privacy",
    alerts: list[dict[str, Any]] | None = None,
) -> CheckRecord:
    """Run one real check of `page` at `at` (`monitor.pipeline.check.check_page`): with `text` (stored-text
    blocks, see `document_text`) the page serves that text as HTML, else its fetch fails with `reason`
    ("HTTP 503" when none is given). The pipeline decides new/changed/unchanged and writes everything a check
    writes (version, raw body, changes, cosmetic, coverage, watch baselines, outbox).

    `alerts` are the alerts the test expects of this check; each becomes a real clause watch on the page (id
    `watch`, following the wording `old`, with its `severity`), and the check must give exactly those alerts
    (watch, kind, severity, section). Their `old`/`new`/`ops` are whatever the watch really reports.

    The page is configured here, not taken from the test's config (digest, feed and status read the store with
    their own config): renderer "served", `min_words = 0` and a `collapse_ratio` close to zero, because the
    test texts are a few words long and a short page, or one much shorter than the last, is otherwise a
    failed check ("empty page", "collapsed") by the quality rules, not what the test means to record."""
    from monitor.pipeline.check import Context, check_page

    watches = [
        {"id": alert["watch"], "pages": [page], "kind": "clause", "text": alert["old"],
         "severity": alert.get("severity", "medium")}
        for alert in alerts or []
    ]  # fmt: skip
    failure = None if text is not None else reason or "HTTP 503"
    with served(url, text, failure):
        config = make_config(
            [
                {
                    "id": page,
                    "url": url,
                    "renderer": ServedFetcher.name,
                    "min_words": 0,
                    "collapse_ratio": 1e-9,
                }
            ],
            watches=watches,
        )
        ctx = Context(loaded(config, store.root.parent), store, clock=lambda: at, deliver=False)
        try:
            result = check_page(ctx, config.pages[0])
        finally:
            ctx.close()
    record = result.record
    if text is None:
        assert (record.outcome, record.reason) == (Outcome.FAILED, failure), record
    else:
        assert record.outcome != Outcome.FAILED and record.version, record
        extracted = store.versions.read_text(page, record.version)
        assert extracted == document_text(text), f"the pipeline extracted {extracted!r}, not the test's text"
        got = [(a["watch"], a["kind"], a["severity"], list(a["section"])) for a in record.alerts]
        want = [(a["watch"], a["kind"], a["severity"], list(a.get("section", []))) for a in alerts or []]
        assert got == want, f"the watches gave {record.alerts}, the test expects {alerts}"
    return record


class Inbox:
    """An aiosmtpd handler that keeps what it accepts; `refuse` makes it answer 451 (try again later)."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.refuse = False

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        if self.refuse:
            return "451 4.3.0 mailbox busy, try again later"
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"

    def subjects(self) -> list[str]:
        return [str(message["Subject"]) for message in self.messages]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def smtp_server(handler: Any) -> Iterator[int]:
    """A real SMTP server on loopback (no TLS); yields its port."""
    from aiosmtpd.controller import Controller

    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port
    finally:
        controller.stop()


def email_section(port: int, **extra: Any) -> dict[str, Any]:
    return {
        "email": {
            "host": "127.0.0.1", "port": port, "security": "none", "from": "monitor@example.org",
            "to": ["reader@example.org"], "timeout": 5, **extra,
        },
    }  # fmt: skip


def evaluate_and_keep(store: Any, watches: Any, page_id: str, **version: Any) -> list[Any]:
    """The watch stage as a check runs it, without the rest of the check: the page's baselines read from
    `store`, evaluated against `version` (old, new, diff, version, previous, time), the new ones kept."""
    from monitor.watch.evaluate import evaluate_watches

    evaluation = evaluate_watches(watches, page_id, store.baselines.of_page(page_id), **version)
    for watch_id, data in evaluation.baselines.items():
        store.baselines.put(watch_id, page_id, data)
    return evaluation.alerts
