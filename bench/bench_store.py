"""The store does not slow down as it grows: a page with 20,000 checks against the same page with no history.

Two stores, measured in this run:
- baseline: a fresh store holding only the last day of checks (24, hourly, and the one before them);
- grown: the same last day after 20,000 earlier hourly checks (written through the store's own write path,
  `store.checks.append` in one transaction, with a change every 500 checks and a failure every 97).
On each: one real check (`check_page` against a page on loopback, the text alternating so every check is a
change: diff, watch, outbox message, one transaction), `store_status` and `build_digest` of the last day.
Both stores are measured the same number of times, taking turns; wall and CPU time, best of N; a `RESULT` line
per ratio. Goals: check grown/fresh <= 1.2; status and digest grown/fresh <= 2.0 (wall and CPU); exit 1 when
one is missed.

    .venv/bin/python bench/bench_store.py [--repeat 15] [--checks 20000]
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from benchlib import ROOT, paired, result  # noqa: F401 - ROOT puts the project on sys.path

PAGE = "facebook-privacy-policy-en"
END = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)
CLAUSE = "Your objection applies to the account you are logged in to and to all accounts in the same Accounts Center."
GOALS = {"check": 1.2, "status": 2.0, "digest": 2.0}


def html(version: int) -> bytes:
    clause = CLAUSE if version % 2 else CLAUSE.replace("all accounts", "some accounts")
    paragraphs = "".join(
        f"<p>Section {n}: we use the information we have to improve our Products.</p>" for n in range(60)
    )
    return (
        f"<html><body><main><h1>Privacy Policy</h1><p>{clause}</p>{paragraphs}</main></body></html>".encode()
    )


class Site:
    """The page on loopback; each request serves the next version, so every check is a change."""

    def __init__(self) -> None:
        self.requests = 0
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                site.requests += 1
                body = html(site.requests)
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/privacy"


def fill(store: Any, numbers: range, total: int) -> None:
    """Check number n of `total` hourly checks ending at END, for each n in `numbers`: mostly unchanged, a
    change every 500, a failure every 97."""
    from monitor.models import CheckRecord, Outcome, isoformat

    texts = {}
    with store.transaction(wait=60):
        current = store.versions.current(PAGE)
        for n in numbers:
            moment = isoformat(END - timedelta(hours=total - n))
            record = CheckRecord(
                page=PAGE, time=moment, url="https://example.test/privacy", outcome=Outcome.FAILED
            )
            if n % 97 == 0:
                record.reason, record.version = "login wall", current.id if current else None
            else:
                text = f"# Privacy Policy\n\nVersion {n // 500}.\n"
                if text not in texts:
                    texts[text] = store.versions.put(PAGE, text, text.encode())
                version = texts[text]
                record.text_sha256 = record.version = version
                record.raw_sha256 = hashlib.sha256(text.encode()).hexdigest()
                if current is None or current.id != version:
                    record.outcome = Outcome.CHANGED if current else Outcome.NEW
                    record.previous = current.id if current else None
                else:
                    record.outcome = Outcome.UNCHANGED
            store.checks.append(record)
            if record.outcome in (Outcome.NEW, Outcome.CHANGED):
                current = store.versions.current(PAGE)


def actions(loaded: Any, store: Any, name: str) -> tuple[dict[str, Any], Any]:
    """The three measured actions on `store`, keyed `name/what`, and the context to close afterwards."""
    from monitor.notify.digest import build_digest
    from monitor.pipeline.check import Context, check_page
    from monitor.store.health import store_status

    config, page = loaded.config, loaded.config.pages[0]
    moments = iter(END + timedelta(minutes=m) for m in range(1, 10**6))
    ctx = Context(loaded, store, clock=lambda: next(moments), deliver=False)
    check_page(ctx, page)  # warm up: imports, connections, the fetcher's session
    return {
        f"{name}/check": lambda: check_page(ctx, page),
        f"{name}/status": lambda: store_status(config, store, END),
        f"{name}/digest": lambda: build_digest(store, config, END - timedelta(days=1), END),
    }, ctx


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15, help="runs per measurement; the best is kept")
    parser.add_argument("--checks", type=int, default=20000, help="checks of history in the grown store")
    args = parser.parse_args()

    from monitor.config.loading import LoadedConfig, parse_config
    from monitor.store.core import Store

    site = Site()
    config = parse_config({
        "pages": [{"id": PAGE, "url": site.url, "select": ["main"]}],
        "watches": [{"id": "scope", "pages": [PAGE], "kind": "clause", "text": CLAUSE, "severity": "high"}],
        "fetch": {"retries": 0, "timeout": 10},
    })  # fmt: skip
    loaded = LoadedConfig(config, None)
    day = 24
    with tempfile.TemporaryDirectory(prefix="bench-store-") as workdir:
        stores = {"fresh": Store(Path(workdir) / "fresh"), "grown": Store(Path(workdir) / "grown")}
        total = args.checks + day
        fill(stores["grown"], range(total), total)
        # The same last day, and the one check before it that the day's first change is compared with.
        fill(stores["fresh"], range(args.checks - 1, total), total)
        measured: dict[str, Any] = {}
        contexts = []
        for name, store in stores.items():
            named, ctx = actions(loaded, store, name)
            measured.update(named)
            contexts.append(ctx)
        try:
            timings = paired(measured, args.repeat)  # fresh and grown taking turns
        finally:
            for ctx in contexts:
                ctx.close()
        checks = {name: store.checks.count(PAGE) for name, store in stores.items()}
    site.server.shutdown()

    print(f"best of {args.repeat}; fresh store {checks['fresh']} checks, grown {checks['grown']}")
    ok = True
    for what, goal in GOALS.items():
        fresh, grown = timings[f"fresh/{what}"], timings[f"grown/{what}"]
        print(
            f"  {what:<7} fresh wall {fresh.wall * 1000:8.2f} ms CPU {fresh.cpu * 1000:8.2f} ms   "
            f"grown wall {grown.wall * 1000:8.2f} ms CPU {grown.cpu * 1000:8.2f} ms  (goal grown/fresh <= {goal})"
        )
        ok &= result(f"store-{what}-grown/fresh/wall", grown.wall / fresh.wall, goal)
        ok &= result(f"store-{what}-grown/fresh/cpu", grown.cpu / fresh.cpu, goal)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
