"""SIGKILL across the check transaction: no alert is ever lost, none is queued twice, the store verifies.

A child process checks one page on loopback through the real pipeline (`check_page`), check after check, the
page's text following a fixed schedule (so every change that happened is known). It is killed with SIGKILL
again and again: half of the runs by the parent at a random moment, half by the child itself at a random SQL
statement (SQLite's trace hook fires as each statement starts, so this lands inside the transaction of a
check: before its check row, between its baselines and its outbox message, just before COMMIT...). Each
restart carries on from what the store holds. The result is compared with a run that was never killed.
"""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from monitor.store.core import Store

ROOT = Path(__file__).resolve().parents[1]
KILLS = 25  # the issue asks for at least 25; runs go on (up to 4x) until that many really died
CHECKS = 40
SEED = 20261201

CLAUSE = "Your objection applies to the account you are logged in to and to all accounts in the same Accounts Center."
A = f"<p>{CLAUSE}</p><p>We rely on legitimate interests for this processing, as explained below.</p>"
B = A.replace("to all accounts", "to some accounts")  # the clause reworded
C = B.replace("legitimate interests", "your consent")  # ... and the term gone
D = "<p>We rely on legitimate interests for this processing, as explained below.</p>"  # the clause gone
SCHEDULE = [A, A, B, B, C, A, None, A, D, D, A, B, C, C, None, A]  # None: the server fails (HTTP 500)
FILLER = "<p>We use the information we have to provide, personalise and improve our Products, safely.</p>"

CHILD = textwrap.dedent(
    """
    import os, random, signal, sys
    from datetime import UTC, datetime, timedelta
    from monitor.config.loading import load_config
    from monitor.pipeline.check import Context, check_page
    from monitor.store.core import Store

    config, base, seed, mode, total = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
    loaded = load_config(config)
    store = Store(loaded.store_path)
    page = loaded.config.pages[0]
    done = store.checks.count(page.id)  # what survived the last kill
    die_at = random.Random(seed).randint(1, 50) if mode == "statement" else None
    statements = 0

    def trace(sql):
        global statements
        statements += 1
        if statements == die_at:
            os.kill(os.getpid(), signal.SIGKILL)

    store.db.connection().set_trace_callback(trace)
    print("ready", flush=True)
    while done < total:
        moment = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=done)
        ctx = Context(loaded, store, clock=lambda: moment, deliver=False)
        check_page(ctx, page.model_copy(update={"url": f"{base}/v/{done}"}))
        ctx.close()
        done = store.checks.count(page.id)
    print("finished", flush=True)
    """
)


def serve_schedule() -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            body = SCHEDULE[int(self.path.rsplit("/", 1)[1]) % len(SCHEDULE)]
            status = 500 if body is None else 200
            data = f"<html><body><main><h1>Privacy Policy</h1>{body or 'oops'}{FILLER}</main></body></html>"
            try:
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data.encode())))
                self.end_headers()
                self.wfile.write(data.encode())
            except OSError:
                pass  # the child was killed meanwhile

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def write_config(folder: Path, port: int) -> Path:
    folder.mkdir()
    config = folder / "config.toml"
    config.write_text(
        f"""
[store]
path = "snapshots"

[fetch]
retries = 0
timeout = 10

[[pages]]
id = "policy"
url = "http://127.0.0.1:{port}/v/0"
select = ["main"]

[[watches]]
id = "accounts-center-scope"
pages = ["policy"]
kind = "clause"
text = "{CLAUSE}"
severity = "high"

[[watches]]
id = "legitimate-interests"
pages = ["policy"]
kind = "term"
text = "legitimate interests"
severity = "medium"
""",
        encoding="utf-8",
    )
    return config


def start(config: Path, base: str, seed: int, mode: str) -> subprocess.Popen:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(config), base, str(seed), mode, str(CHECKS)],
        stdout=subprocess.PIPE,
        cwd=ROOT,
        text=True,
    )
    assert child.stdout.readline() == "ready\n", "the checking child did not start"
    return child


def outcome_of(store: Store) -> tuple[list[tuple], set[tuple]]:
    """Every check (time, outcome, version, alert ids) and every outbox message (id, its alert ids)."""
    checks = [
        (r.time, str(r.outcome), r.version, sorted(a["id"] for a in r.alerts))
        for r in store.checks.list("policy")
    ]
    with sqlite3.connect(store.db.path) as db:  # every message, delivered or not, as anyone can read it
        rows = db.execute("SELECT id, alerts FROM outbox").fetchall()
    import json

    messages = {(key, tuple(sorted(alert["id"] for alert in json.loads(alerts)))) for key, alerts in rows}
    return checks, messages


def test_sigkill_anywhere_in_the_check_transaction_loses_no_alert(tmp_path: Path) -> None:
    server = serve_schedule()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        reference = write_config(tmp_path / "reference", server.server_port)
        began = time.monotonic()
        start(reference, base, 0, "none").wait(timeout=120)
        # A timer kill lands within the first two checks' time, however fast this machine checks, so that the
        # schedule is not over before KILLS runs have died.
        per_check = (time.monotonic() - began) / CHECKS
        killed = write_config(tmp_path / "killed", server.server_port)
        rng, kills = random.Random(SEED), 0
        for run in range(KILLS * 4):
            mode = "statement" if run % 2 else "timer"
            child = start(killed, base, SEED + run, mode)
            if mode == "timer":
                time.sleep(rng.uniform(0.0, 2 * per_check))  # the fault injection: a random moment to die at
                child.send_signal(signal.SIGKILL)
            child.wait(timeout=60)
            kills += child.returncode == -signal.SIGKILL
            if kills >= KILLS and run % 2:
                break
        start(killed, base, 0, "none").wait(timeout=120)  # finish the schedule without a kill
    finally:
        server.shutdown()

    assert kills >= KILLS, f"only {kills} kills: the test proves little"
    store, expected = Store(tmp_path / "killed" / "snapshots"), Store(tmp_path / "reference" / "snapshots")
    report = store.verify()
    assert report.ok, report.problems
    # A kill between a check's blobs and its transaction leaves blobs no record mentions: harmless, said.
    harmless = ("leftover temp file", "no record mentions")
    assert all(any(kind in w for kind in harmless) for w in report.warnings), report.warnings
    checks, messages = outcome_of(store)
    expected_checks, expected_messages = outcome_of(expected)
    assert len(expected_checks) == CHECKS and any(alerts for *_, alerts in expected_checks)
    assert checks == expected_checks  # every check once, in order, with the alerts it raised
    assert messages == expected_messages  # every alert queued, none twice
    assert store.versions.list("policy") == expected.versions.list("policy")
