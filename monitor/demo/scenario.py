"""The offline demo: recorded page versions served on loopback, checked day by day into a fresh store.

It shows what a user sees: new pages, an objection recorded on the first day, a noisy re-capture that is *not*
a change, a real change with the clause watch that fires on it and names the objection, and a login wall that is
a failed check, not a version.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path

from monitor.config.loading import LoadedConfig, load_config
from monitor.errors import UsageError
from monitor.models import Clock
from monitor.objections.ledger import add_objection
from monitor.objections.words import objection_lines
from monitor.pipeline.check import CheckResult, Context, check_pages
from monitor.store.core import Store

PAGES = {"ki-bei-meta-de": "/de/privacy/genai/", "meta-genai-en": "/en/privacy/genai/"}


@dataclass(frozen=True)
class DemoStep:
    day: int
    title: str
    serve: dict[str, str]  # page id -> file in monitor/demo/pages


STEPS = [
    DemoStep(
        1,
        "First check: both pages are new; you object on Facebook (case 1234567890123456), on the record",
        {"ki-bei-meta-de": "ki-bei-meta-v1.html", "meta-genai-en": "genai-en-v1.html"},
    ),
    DemoStep(
        2,
        "Noisy re-captures (other markup, new signed link parameters, non-breaking spaces): no change",
        {"ki-bei-meta-de": "ki-bei-meta-v1-noisy.html", "meta-genai-en": "genai-en-v1-noisy.html"},
    ),
    DemoStep(
        3,
        "Meta narrows the objection to one account: a real change; the clause watch fires and names your objection",
        {"ki-bei-meta-de": "ki-bei-meta-v2.html", "meta-genai-en": "genai-en-v1.html"},
    ),
    DemoStep(
        4,
        "A login wall instead of the page: a failed check, not a change",
        {"ki-bei-meta-de": "login-wall.html", "meta-genai-en": "genai-en-v1-noisy.html"},
    ),
    DemoStep(
        5,
        "The page is back: compared with the last good version, so no change",
        {"ki-bei-meta-de": "ki-bei-meta-v2.html", "meta-genai-en": "genai-en-v1.html"},
    ),
]

CONFIG = """\
# Written by `privacy-monitor demo`: two pages served on loopback, and the clause watches the demo exercises.
[store]
path = "snapshots"

[fetch]
timeout = 10
retries = 0
per_host_min_gap = 0

[[pages]]
id = "ki-bei-meta-de"
url = "{base}/de/privacy/genai/"
platform = "facebook"
document = "meta-genai"
accept_language = "de-DE,de"
select = ["#root"]

[[pages]]
id = "meta-genai-en"
url = "{base}/en/privacy/genai/"
document = "meta-genai"
accept_language = "en"
select = ["#root"]

[[watches]]
id = "accounts-center-scope"
pages = ["ki-bei-meta-de"]
kind = "clause"
text = "Der Widerspruch wird auf das Konto angewendet, bei dem du angemeldet bist, sowie auf alle Konten, die du derselben Kontenübersicht hinzugefügt hast."
severity = "high"

[[watches]]
id = "processing-despite-objection"
pages = ["ki-bei-meta-de"]
kind = "clause"
text = "Wir verarbeiten möglicherweise trotzdem Informationen über dich, um KI bei Meta zu entwickeln und weiter zu verbessern, auch wenn du Einspruch eingelegt hast oder unsere Produkte gar nicht nutzt."
severity = "high"

[[watches]]
id = "processing-despite-objection-en"
pages = ["meta-genai-en"]
kind = "clause"
text = "Even if you don't use our Products or have an account, we may still process information about you to develop and improve AI at Meta."
severity = "high"

[[watches]]
id = "legitimate-interests-de"
pages = ["ki-bei-meta-de"]
kind = "term"
text = "berechtigter Interessen"
severity = "medium"
"""


# The case ID of the objection the demo records on day 1, as `objections add` would from the command line.
CASE_ID = "1234567890123456"


@dataclass
class StepResult:
    step: DemoStep
    results: list[CheckResult] = field(default_factory=list)

    @property
    def objection_notes(self) -> list[str]:
        """What the step's alerts say to the person whose objection they concern."""
        return [line for result in self.results for alert in result.alerts for line in objection_lines(alert)]


class _Pages:
    """What the loopback server answers right now: path -> HTML bytes."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.bodies: dict[str, bytes] = {}

    def serve(self, step: DemoStep) -> None:
        folder = resources.files("monitor.demo") / "pages"
        with self.lock:
            self.bodies = {PAGES[page]: (folder / name).read_bytes() for page, name in step.serve.items()}

    def get(self, path: str) -> bytes | None:
        with self.lock:
            return self.bodies.get(path)


@contextmanager
def serve_pages(pages: _Pages) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            body = pages.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Type", "text/html")  # no charset, like Meta's real captures
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


STORE = "snapshots"  # the store's folder in the demo's workdir ([store] path in CONFIG)
# What says a folder already holds a project: its config, the demo's store, or a store itself.
_TAKEN = ("config.toml", STORE, "monitor.db", "pages")


def check_workdir(workdir: Path) -> None:
    """UsageError when `workdir` holds a config or a store: the demo never writes over a project."""
    for name in _TAKEN:
        if os.path.lexists(workdir / name):
            raise UsageError(
                f"{workdir / name}: already there; the demo writes a config and a store of its own, so "
                "give --keep an empty or new folder"
            )


def write_demo_config(workdir: Path, base_url: str) -> LoadedConfig:
    workdir.mkdir(parents=True, exist_ok=True)
    check_workdir(workdir)
    path = workdir / "config.toml"
    try:  # "x": a config that appeared since the check is not overwritten either
        with path.open("x", encoding="utf-8") as file:
            file.write(CONFIG.format(base=base_url))
    except FileExistsError:
        check_workdir(workdir)
        raise
    except OSError as error:
        raise UsageError(f"{path}: cannot write the demo's config ({error.strerror})") from None
    return load_config(path)


def run_demo(workdir: Path, on_step: Callable[[StepResult], None] | None = None) -> list[StepResult]:
    """Run every step against a fresh store in `workdir`; the clock is day N of December 2025, 08:00 UTC."""
    pages = _Pages()
    done: list[StepResult] = []
    with serve_pages(pages) as base_url:
        loaded = write_demo_config(workdir, base_url)
        store = Store(loaded.store_path)
        for step in STEPS:
            pages.serve(step)
            moment = datetime(2025, 12, step.day, 8, 0, tzinfo=UTC)
            ctx = Context(loaded, store, clock=_fixed(moment), deliver=False)
            try:
                result = StepResult(step, check_pages(ctx, loaded.config.pages))
            finally:
                ctx.close()
            if step.day == 1:
                add_objection(
                    store, loaded.config, now=moment, platform="facebook", day=date(2025, 12, 1),
                    case_id=CASE_ID, account="demo",
                )  # fmt: skip
            done.append(result)
            if on_step:
                on_step(result)
    return done


def _fixed(moment: datetime) -> Clock:
    """A clock that always says `moment` (each demo day is checked at 08:00)."""
    return lambda: moment
