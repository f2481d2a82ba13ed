"""A store in the JSONL layout of the previous version (pages/<page>/checks.jsonl, watches/<watch>/<page>.json,
outbox/*.json, outbox/done/*.json, digest/ledger.jsonl, a .lock file) is migrated into monitor.db once,
automatically, idempotently, and its files are kept as a backup (renamed *.migrated, byte for byte)."""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
from pathlib import Path

import pytest

from monitor.errors import StoreDamaged
from monitor.notify.outbox import Outbox
from monitor.store.core import Store

PAGE = "facebook-privacy-policy-en"
TEXT_A, TEXT_B = "# Privacy Policy\n\nWe may share data.\n", "# Privacy Policy\n\nWe will share data.\n"
RAW_A, RAW_B = b"<html>We may share data.</html>", b"<html>We will share data.</html>"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def alert(number: int) -> dict:
    return {"id": f"alert{number:02d}", "watch": "scope", "kind": "changed", "severity": "high", "page": PAGE,
            "version": sha(TEXT_B.encode()), "previous": sha(TEXT_A.encode()), "time": "2026-03-04T12:00:00Z",
            "watch_kind": "clause", "section": ["Privacy Policy"], "old": "may", "new": "will", "ops": [],
            "details": {}}  # fmt: skip


def check(time: str, outcome: str, text: str | None, raw: bytes | None, **extra) -> dict:
    record = {"page": PAGE, "time": time, "url": "https://example.test/privacy", "outcome": outcome,
              "status": 200, "headers": {}, "timings": {}, "changes": {}, "alerts": []}  # fmt: skip
    if text is not None:
        record.update(text_sha256=sha(text.encode()), version=sha(text.encode()), raw_sha256=sha(raw))
    return {**record, **extra}


def old_store(root: Path) -> dict[Path, bytes]:
    """The files the previous version wrote, exactly in its layout; returns them with their bytes."""
    page = root / "pages" / PAGE
    files: dict[Path, bytes] = {}
    for text, raw in ((TEXT_A, RAW_A), (TEXT_B, RAW_B)):
        files[page / "texts" / f"{sha(text.encode())}.md.gz"] = gzip.compress(text.encode(), mtime=0)
        files[page / "raw" / f"{sha(raw)}.html.gz"] = gzip.compress(raw, mtime=0)
    version_a = sha(TEXT_A.encode())
    log = [
        check("2026-03-01T12:00:00Z", "new", TEXT_A, RAW_A),
        check("2026-03-02T12:00:00Z", "unchanged", TEXT_A, RAW_A),
        check("2026-03-03T12:00:00Z", "failed", None, None, version=version_a, reason="login wall"),
        check("2026-03-04T12:00:00Z", "changed", TEXT_B, RAW_B, previous=version_a, alerts=[alert(1)]),
    ]
    lines = b"".join(json.dumps(r, separators=(",", ":")).encode() + b"\n" for r in log)
    files[page / "checks.jsonl"] = lines + b'{"page": "facebook-privacy-po'  # a torn last line: a crash
    files[root / "watches" / "scope" / f"{PAGE}.json"] = json.dumps(
        {"version": sha(TEXT_B.encode())}
    ).encode()
    target = {"state": "pending", "attempts": 1, "next_attempt": "2026-03-04T12:05:00Z", "interrupted": 0,
              "last_attempt": "2026-03-04T12:00:00Z", "sent": None, "last_error": "connection refused"}  # fmt: skip
    pending = {"id": "alert01", "status": "pending", "message_id": "<alert-alert01@privacy-monitor>",
               "queued": "2026-03-04T12:00:00Z", "digest_only": False, "targets": {"email": target},
               "alert": alert(1)}  # fmt: skip
    sent = {**pending, "id": "alert02", "alert": alert(2), "status": "sent",
            "targets": {"email": {**target, "state": "sent", "sent": "2026-03-02T12:00:00Z"}}}  # fmt: skip
    files[root / "outbox" / "alert01.json"] = json.dumps(pending).encode()
    files[root / "outbox" / "done" / "alert02.json"] = json.dumps(sent).encode()
    ledger = [{"period": "2026-03-02", "state": "sending"}, {"period": "2026-03-02", "state": "sent"}]
    files[root / "digest" / "ledger.jsonl"] = b"".join(json.dumps(e).encode() + b"\n" for e in ledger)
    files[root / ".lock"] = b""
    for path, data in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return files


LEGACY = [
    "checks.jsonl",
    "scope/" + PAGE + ".json",
    "outbox/alert01.json",
    "done/alert02.json",
    "ledger.jsonl",
]


def legacy(files: dict[Path, bytes]) -> dict[Path, bytes]:
    return {path: data for path, data in files.items() if any(str(path).endswith(name) for name in LEGACY)}


def test_the_first_read_migrates_everything_and_keeps_the_old_files(tmp_path: Path) -> None:
    root = tmp_path / "snapshots"
    files = old_store(root)
    store = Store(root)
    assert [v.id for v in store.versions.list(PAGE)] == [sha(TEXT_A.encode()), sha(TEXT_B.encode())]
    assert [str(c.outcome) for c in store.checks.list(PAGE)] == ["new", "unchanged", "failed", "changed"]
    assert store.versions.list(PAGE)[0].checks == 2 and store.versions.read_text(PAGE, "previous") == TEXT_A
    assert store.baselines.get("scope", PAGE) == {"version": sha(TEXT_B.encode())}
    assert [e["state"] for e in store.ledger.lines()] == ["sending", "sent"]
    outbox = Outbox(store, lambda: None)
    [waiting] = outbox.entries()
    assert (waiting.id, waiting.targets["email"]["attempts"], waiting.message_id) == (
        "alert01", 1, "<alert-alert01@privacy-monitor>",
    )  # fmt: skip
    assert outbox.get("alert02").status == "sent"
    for path, data in legacy(files).items():  # the backup: every old file, byte for byte
        assert not path.exists() and path.with_name(path.name + ".migrated").read_bytes() == data
    assert store.verify().ok


def test_migration_is_idempotent_even_when_killed_before_the_renames(tmp_path: Path) -> None:
    root = tmp_path / "snapshots"
    files = old_store(root)
    Store(root).checks.pages()
    # A kill after the import committed but before the files were renamed: they are all still in place.
    for path in legacy(files):
        shutil.copyfile(path.with_name(path.name + ".migrated"), path)
    store = Store(root)
    assert len(store.checks.list(PAGE)) == 4 and len(store.ledger.lines()) == 2
    assert len(Outbox(store, lambda: None).entries()) == 1
    assert not any(path.exists() for path in legacy(files))
    assert Store(root).checks.list(PAGE) == store.checks.list(PAGE)  # and again: nothing more to do


def test_a_damaged_old_log_is_named_and_nothing_is_half_migrated(tmp_path: Path) -> None:
    root = tmp_path / "snapshots"
    files = old_store(root)
    log = root / "pages" / PAGE / "checks.jsonl"
    log.write_bytes(files[log].replace(b'"outcome":"unchanged"', b'"outcome":"unchanged'))
    with pytest.raises(StoreDamaged, match=rf"{log}:2: damaged, cannot migrate it"):
        Store(root).checks.list(PAGE)
    assert all(path.exists() for path in legacy(files))  # nothing renamed: fix the line, and it migrates
    report = Store(root).verify()
    assert not report.ok and report.problems[0].startswith(f"{log}:2: damaged")
