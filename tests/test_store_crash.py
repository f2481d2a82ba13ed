"""Crash test: a writer killed with SIGKILL at random moments leaves a valid store that lost nothing it finished.

The child stores checks as fast as it can, exactly as the pipeline does (under `transaction()`: `store.versions.put`, then
`store.checks.append`), and journals (fsync'd) each record it is ABOUT to write and each one it has DONE. The parent
kills it at seeded random moments, restarting it each time, then compares the store with the journal.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime
from pathlib import Path

from monitor.models import CheckRecord, Outcome, isoformat
from monitor.store.core import Store

ROOT = Path(__file__).resolve().parents[1]
PAGES = ["alpha", "beta"]
KILLS = 25
SEED = 20260301

CHILD = textwrap.dedent(
    """
    import json, os, random, sys
    from datetime import UTC, datetime, timedelta
    from monitor.models import CheckRecord, Outcome, isoformat
    from monitor.store.core import Store, sha256_hex

    root, journal_path, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
    pages = sys.argv[4:]
    store = Store(root)
    rng = random.Random(seed)
    words = "we collect share your data with partners cookies consent meta policy".split()
    pool = ["# Policy\\n\\nWe collect data.\\n", "# Policy\\n\\nWe collect and share data.\\n"]
    # A kill can tear the last line of the journal (a write is cut between two pages of the file): the next
    # child cuts it off before appending, so a torn line never runs into the next one.
    if os.path.exists(journal_path):
        with open(journal_path, "rb") as torn:
            os.truncate(journal_path, torn.read().rfind(b"\\n") + 1)
    journal = os.open(journal_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def note(kind, payload):
        os.write(journal, (json.dumps([kind, payload]) + "\\n").encode())
        os.fsync(journal)

    written = {page: len(store.checks.list(page)) for page in pages}  # what survived the last kill
    print("ready", flush=True)
    while True:
        page = rng.choice(pages)
        moment = isoformat(datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=written[page]))
        current = store.versions.current(page)
        record = CheckRecord(page, moment, f"https://example.test/{page}", Outcome.FAILED, status=200)
        text = raw = None
        if rng.random() < 0.15:
            record.reason = "login wall"
            record.version = current.id if current else None
        else:
            if rng.random() < 0.4:
                text = rng.choice(pool)  # texts that come back: unchanged checks and flip-flops
            else:
                text = "# Policy\\n\\n" + " ".join(rng.choices(words, k=rng.randint(10, 30000))) + "\\n"
            raw = f"<html><body>{text}</body><!-- capture {seed}/{moment} --></html>".encode()
            record.text_sha256 = record.version = sha256_hex(text.encode())
            record.raw_sha256 = sha256_hex(raw)
            if current is None:
                record.outcome = Outcome.NEW
            elif current.id == record.text_sha256:
                record.outcome = Outcome.UNCHANGED
            else:
                record.outcome, record.previous = Outcome.CHANGED, current.id
        note("about", record.to_json())
        with store.transaction():
            if text is not None:
                assert store.versions.put(page, text, raw) == record.text_sha256
            store.checks.append(record)
        note("done", [page, moment])
        written[page] += 1
    """
)


def read_journal(path: Path) -> tuple[dict[tuple[str, str], dict], set[tuple[str, str]]]:
    """The last record the child was about to write for each (page, time), and the ones it finished."""
    about: dict[tuple[str, str], dict] = {}
    done: set[tuple[str, str]] = set()
    data = path.read_bytes()
    for line in data[: data.rfind(b"\n") + 1].splitlines():
        kind, payload = json.loads(line)
        if kind == "about":
            about[(payload["page"], payload["time"])] = payload
        else:
            done.add(tuple(payload))
    return about, done


def run_and_kill(root: Path, journal: Path) -> None:
    rng = random.Random(SEED)
    for run in range(KILLS):
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(root), str(journal), str(SEED * 100 + run), *PAGES],
            stdout=subprocess.PIPE,
            cwd=ROOT,
            text=True,
        )
        try:
            assert child.stdout.readline() == "ready\n", "the writer child did not start"
            time.sleep(rng.uniform(0.0, 0.4))  # the fault injection itself: a random moment to die at
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait()
        assert child.returncode == -signal.SIGKILL, f"run {run}: the child died on its own"


def test_sigkill_at_random_moments_leaves_a_valid_store_with_every_finished_check(tmp_path: Path) -> None:
    root, journal = tmp_path / "snapshots", tmp_path / "journal.jsonl"
    run_and_kill(root, journal)
    store = Store(root)
    about, done = read_journal(journal)

    report = store.verify()
    assert report.ok, report.problems
    # A kill between a check's blobs and its transaction leaves blobs no record mentions: harmless, said.
    harmless = ("torn last line", "leftover temp file", "no record mentions")
    assert all(any(kind in w for kind in harmless) for w in report.warnings), report.warnings

    total = 0
    for page in PAGES:
        records = store.checks.list(page)
        total += len(records)
        times = [record.time for record in records]
        assert times == sorted(set(times)), f"{page}: a check was duplicated or reordered"
        for record in records:  # every stored record is exactly one the child meant to write
            assert record.to_json() == about[(page, record.time)]
        assert {(page, t) for (p, t) in done if p == page} <= set((page, t) for t in times), (
            f"{page}: lost a check"
        )
        timeline = store.versions.list(page)
        assert len(timeline) == sum(record.outcome in ("new", "changed") for record in records)
        for version in timeline:  # reads re-hash: every version is intact
            assert store.versions.read_text(page, version.id)
            assert store.versions.read_raw(page, version) is not None
    assert total >= len(done) > 2 * KILLS, "the child barely got to write; the test proves little"

    # The next writer cuts any torn tail and carries on; the store is then clean.
    for page in PAGES:
        current = store.versions.current(page)
        failed = CheckRecord(page, isoformat(datetime.now(UTC)), "https://example.test/", Outcome.FAILED)
        failed.version = current.id if current else None
        with store.transaction():
            store.checks.append(failed)
    report = store.verify()
    assert report.ok and not [w for w in report.warnings if "torn" in w]
