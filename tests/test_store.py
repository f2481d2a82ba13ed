"""The snapshot store: content-addressed versions, the check log and its timeline, references, verify, lock."""

from __future__ import annotations

import gzip
import hashlib
import json
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from monitor.errors import StoreDamaged, StoreError, StoreLocked, UsageError
from monitor.models import CheckRecord, Document, Outcome
from monitor.store.core import Store, VersionInfo
from monitor.store.db import record_digest

PAGE = "facebook-privacy-policy-en"
ROOT = Path(__file__).resolve().parents[1]


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def append_record(store: Store, time: str, outcome: str, text: str | None = None, **fields) -> CheckRecord:
    """Append a check record through the store's own API, blobs first (for a good check), then the record: the
    store's unit tests; `service_support.record_check` runs the real pipeline instead."""
    current = store.versions.current(PAGE)
    raw = f"<html><body><p>{text}</p></body></html>".encode() if text is not None else None
    record = CheckRecord(
        page=PAGE, time=time, url="https://example.test/privacy", outcome=Outcome(outcome), **fields
    )
    if outcome == "failed":
        record.version = current.id if current else None
        record.reason = record.reason or "login wall"
    else:
        assert text is not None
        with store.transaction():
            record.text_sha256 = record.version = store.versions.put(PAGE, text, raw)
        record.raw_sha256 = hashlib.sha256(raw).hexdigest()
    with store.transaction():
        store.checks.append(record)
    return record


def day(n: int, hour: int = 12) -> str:
    return f"2026-03-{n:02d}T{hour:02d}:00:00Z"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "snapshots")


# -- versions are content-addressed ---------------------------------------------------------------------


def test_put_version_is_content_addressed_gzip_and_readable_with_ordinary_tools(store: Store) -> None:
    text = "# Privacy Policy\n\nWe collect what you give us.\n"
    with store.transaction():
        version = store.versions.put(PAGE, text, b"<h1>Privacy Policy</h1>")
    blob = store.root / "pages" / PAGE / "texts" / f"{version}.md.gz"
    raw = (
        store.root
        / "pages"
        / PAGE
        / "raw"
        / f"{hashlib.sha256(b'<h1>Privacy Policy</h1>').hexdigest()}.html.gz"
    )
    assert version == sha(text)
    assert gzip.decompress(blob.read_bytes()).decode() == text
    assert gzip.decompress(raw.read_bytes()) == b"<h1>Privacy Policy</h1>"
    assert store.versions.read_text(PAGE, version) == text
    assert store.versions.read_document(PAGE, version) == Document.from_text(text)


def test_putting_the_same_text_again_does_not_rewrite_the_blob(store: Store) -> None:
    with store.transaction():
        version = store.versions.put(PAGE, "same text\n", None)
        blob = store.root / "pages" / PAGE / "texts" / f"{version}.md.gz"
        before = blob.stat()
        assert store.versions.put(PAGE, "same text\n", None) == version
    after = blob.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert sorted(p.name for p in blob.parent.iterdir()) == [blob.name]


def test_a_missing_store_reads_as_empty_and_is_created_on_first_write(tmp_path: Path) -> None:
    store = Store(tmp_path / "not" / "yet")
    assert (store.checks.pages(), store.checks.list(PAGE), store.versions.list(PAGE)) == ([], [], [])
    assert (store.versions.current(PAGE), store.checks.last(PAGE), store.versions.validators(PAGE)) == (
        None,
        None,
        {},
    )
    assert store.state.read_json("outbox/x.json") is None and store.ledger.lines() == []
    assert store.verify().ok and not store.root.exists()
    append_record(store, day(1), "new", "text")
    assert store.checks.pages() == [PAGE]


def test_a_store_path_that_is_a_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "snapshots").write_text("oops")
    with pytest.raises(StoreError, match=r"snapshots: the store path exists but is not a folder"):
        Store(tmp_path / "snapshots")


@pytest.mark.parametrize("page_id", ["../etc", "Upper", "", ".hidden", "a/b"])
def test_page_ids_are_safe_slugs(store: Store, page_id: str) -> None:
    with pytest.raises(UsageError, match="is not a valid page id"):
        store.versions.put(page_id, "text", None)


def test_a_check_pointing_at_a_text_that_was_not_stored_is_refused(store: Store) -> None:
    record = CheckRecord(PAGE, day(1), "https://x.test/", Outcome.NEW, text_sha256=sha("t"), version=sha("t"))
    with pytest.raises(StoreError, match=r"texts/[0-9a-f]{64}\.md\.gz: missing, check .* refers to it"):
        store.checks.append(record)
    assert store.checks.list(PAGE) == []


# -- the timeline ---------------------------------------------------------------------------------------

# Each row: the checks (outcome, text) on consecutive days, then the expected timeline as
# (text, since day, until day or None, good checks, last seen day).
TIMELINES = {
    "one new version": ([("new", "A")], [("A", 1, None, 1, 1)]),
    "unchanged extends": ([("new", "A"), ("unchanged", "A"), ("unchanged", "A")], [("A", 1, None, 3, 3)]),
    "failed neither creates nor ends": (
        [("failed", None), ("new", "A"), ("failed", None), ("unchanged", "A"), ("failed", None)],
        [("A", 2, None, 2, 4)],
    ),
    "a change ends the previous version": (
        [("new", "A"), ("changed", "B"), ("unchanged", "B")],
        [("A", 1, 2, 1, 1), ("B", 2, None, 2, 3)],
    ),
    "flip-flop is three entries": (
        [("new", "A"), ("changed", "B"), ("changed", "A")],
        [("A", 1, 2, 1, 1), ("B", 2, 3, 1, 2), ("A", 3, None, 1, 3)],
    ),
    "only failures": ([("failed", None), ("failed", None)], []),
}


@pytest.mark.parametrize("checks, expected", TIMELINES.values(), ids=TIMELINES.keys())
def test_timeline_is_derived_from_the_check_log(store: Store, checks: list, expected: list) -> None:
    for n, (outcome, text) in enumerate(checks, start=1):
        append_record(store, day(n), outcome, text)
    timeline = store.versions.list(PAGE)
    assert [(v.id, v.since, v.until, v.checks, v.last_seen) for v in timeline] == [
        (sha(text), day(since), until and day(until), count, day(last))
        for text, since, until, count, last in expected
    ]
    assert store.versions.current(PAGE) == (timeline[-1] if timeline else None)
    assert len(store.checks.list(PAGE)) == len(checks)


def test_flip_flop_stores_two_blobs_and_each_entry_keeps_its_own_raw_capture(store: Store) -> None:
    first = append_record(store, day(1), "new", "A")
    append_record(store, day(2), "changed", "B")
    append_record(store, day(3), "changed", "A")
    assert len(list((store.root / "pages" / PAGE / "texts").iterdir())) == 2
    entries = store.versions.list(PAGE)
    assert entries[0].id == entries[2].id and entries[0].raw_sha256 == first.raw_sha256
    assert store.versions.read_raw(PAGE, entries[0]) == b"<html><body><p>A</p></body></html>"
    assert store.versions.read_raw(PAGE, "latest") == b"<html><body><p>A</p></body></html>"


def test_failed_checks_are_logged_with_their_reason_but_never_become_versions(store: Store) -> None:
    append_record(store, day(1), "new", "A")
    append_record(store, day(2), "failed", reason="collapsed: 16% of the last good text")
    assert [(c.outcome, c.reason) for c in store.checks.list(PAGE)] == [
        ("new", None),
        ("failed", "collapsed: 16% of the last good text"),
    ]
    assert store.checks.last(PAGE).outcome == "failed"
    assert [v.id for v in store.versions.list(PAGE)] == [sha("A")]


# -- references -----------------------------------------------------------------------------------------


@pytest.fixture
def three_versions(store: Store) -> Store:
    """A (Mar 1 12:00), failed (Mar 2), B (Mar 3 12:00), unchanged (Mar 4), C (Mar 5 12:00)."""
    append_record(store, day(1), "new", "A")
    append_record(store, day(2), "failed")
    append_record(store, day(3), "changed", "B")
    append_record(store, day(4), "unchanged", "B")
    append_record(store, day(5), "changed", "C")
    return store


REFS = {
    "latest": "C",
    "LATEST": "C",
    "previous": "B",
    "2026-03-01": "A",  # the version in effect at the END of that UTC day
    "2026-03-02": "A",
    "2026-03-03": "B",
    "2026-03-09": "C",
    "9999-12-31": "C",  # the last day a date can name: the latest known version, no overflow
    "2026-03-03T11:59": "A",
    "2026-03-03T12:00": "B",
    "2026-03-03T12:00:00Z": "B",
    "2026-03-03T13:00:00+02:00": "A",  # 11:00 UTC
    sha("B")[:4]: "B",
    sha("B")[:12].upper(): "B",
    sha("C"): "C",
}


@pytest.mark.parametrize("ref, text", REFS.items(), ids=REFS.keys())
def test_resolve(three_versions: Store, ref: str, text: str) -> None:
    assert three_versions.versions.resolve(PAGE, ref).id == sha(text)


BAD_REFS = {
    "2026-02-28": r"page 'facebook-privacy-policy-en' had no version yet at 2026-02-28; tracking started 2026-03-01T12:00:00Z",
    "2026-03-01T11:00": r"had no version yet at 2026-03-01T11:00; tracking started 2026-03-01T12:00:00Z",
    "yesterday": r"no version 'yesterday' of page 'facebook-privacy-policy-en'; use latest, previous, .*3 versions",
    "abc": r"no version 'abc' of page",  # too short for a prefix
    "ffffffff": r"no version 'ffffffff' of page",
    "2026-02-30": r"'2026-02-30' is not a valid date",
}


@pytest.mark.parametrize("ref, message", BAD_REFS.items(), ids=BAD_REFS.keys())
def test_unknown_references_are_usage_errors_naming_the_page(
    three_versions: Store, ref: str, message: str
) -> None:
    with pytest.raises(UsageError, match=message) as error:
        three_versions.versions.resolve(PAGE, ref)
    assert "\n" not in str(error.value)


def test_an_ambiguous_prefix_lists_the_candidates(store: Store) -> None:
    by_prefix: dict[str, str] = {}
    n = 0
    while sha(f"text {n}")[:4] not in by_prefix:
        by_prefix[sha(f"text {n}")[:4]] = f"text {n}"
        n += 1
    first, second = by_prefix[sha(f"text {n}")[:4]], f"text {n}"
    append_record(store, day(1), "new", first)
    append_record(store, day(2), "changed", second)
    with pytest.raises(UsageError, match=r"is ambiguous: ") as error:
        store.versions.resolve(PAGE, sha(first)[:4])
    assert sha(first)[:12] in str(error.value) and sha(second)[:12] in str(error.value)


def test_previous_needs_two_versions_and_unknown_pages_name_the_known_ones(store: Store) -> None:
    append_record(store, day(1), "new", "A")
    with pytest.raises(UsageError, match=r"has only one version \(since 2026-03-01T12:00:00Z\)"):
        store.versions.resolve(PAGE, "previous")
    with pytest.raises(
        UsageError, match=r"no page 'other' in the store .* \(pages: facebook-privacy-policy-en\)"
    ):
        store.versions.resolve("other", "latest")


# -- validators -----------------------------------------------------------------------------------------

VALIDATORS = {
    "etag and last-modified, as sent": (
        [("new", 200, {"ETag": 'W/"abc"', "Last-Modified": "Sun, 01 Mar 2026 12:00:00 GMT"})],
        {"etag": 'W/"abc"', "last_modified": "Sun, 01 Mar 2026 12:00:00 GMT"},
    ),
    "lower-case header names": ([("new", 200, {"etag": '"x"'})], {"etag": '"x"'}),
    "a failed check does not count": (
        [("new", 200, {"etag": '"x"'}), ("failed", 200, {"etag": '"wall"'})],
        {"etag": '"x"'},
    ),
    "a 304 without validators keeps the confirmed ones": (
        [("new", 200, {"etag": '"x"'}), ("unchanged", 304, {})],
        {"etag": '"x"'},
    ),
    "a 200 without validators clears them": ([("new", 200, {"etag": '"x"'}), ("unchanged", 200, {})], {}),
    "no successful check": ([("failed", 503, {"etag": '"x"'})], {}),
}


@pytest.mark.parametrize("checks, expected", VALIDATORS.values(), ids=VALIDATORS.keys())
def test_validators_come_from_the_last_successful_check(store: Store, checks: list, expected: dict) -> None:
    for n, (outcome, status, headers) in enumerate(checks, start=1):
        text = None if outcome == "failed" else "A"
        append_record(
            store, day(n), "new" if n == 1 and text else outcome, text, status=status, headers=headers
        )
    assert store.versions.validators(PAGE) == expected


# -- the check log in monitor.db --------------------------------------------------------------------------


def test_checks_are_rows_of_the_database_anyone_can_query(store: Store) -> None:
    first = append_record(store, day(1), "new", "A")
    append_record(store, day(2), "failed")
    with sqlite3.connect(store.root / "monitor.db") as db:
        rows = list(db.execute("SELECT page, n, time, outcome, version FROM checks ORDER BY id"))
        [timeline] = db.execute("SELECT version, since, until, checks FROM versions")
    assert rows == [(PAGE, 1, day(1), "new", sha("A")), (PAGE, 2, day(2), "failed", sha("A"))]
    assert timeline == (sha("A"), day(1), None, 1)
    assert store.checks.list(PAGE)[0] == first


def test_a_bad_value_read_back_is_damage_of_that_page_not_a_crash(store: Store) -> None:
    append_record(store, day(1), "new", "A")
    with sqlite3.connect(store.root / "monitor.db") as db:  # a value that hashes right but makes no sense
        [(data,)] = db.execute("SELECT record FROM checks")
        bad = json.dumps({**json.loads(data), "time": "yesterday"})
        db.execute("UPDATE checks SET record = ?, digest = ?", (bad, record_digest(bad)))
    with pytest.raises(
        StoreDamaged, match=r"monitor.db: checks row 1 \(page 'facebook-privacy-policy-en'\): bad time"
    ):
        store.checks.list(PAGE)
    [problem] = store.verify().problems
    assert problem.startswith(
        f"{store.root / 'monitor.db'}: checks row 1 (page {PAGE!r}): bad time 'yesterday'"
    )


def test_readers_see_appends_made_by_another_store_instance(store: Store) -> None:
    append_record(store, day(1), "new", "A")
    reader = Store(store.root)
    assert len(reader.versions.list(PAGE)) == 1
    append_record(store, day(2), "changed", "B")
    assert [v.id for v in reader.versions.list(PAGE)] == [sha("A"), sha("B")]


# -- verify ---------------------------------------------------------------------------------------------


def test_verify_reports_each_damaged_file_by_path_and_touches_nothing(three_versions: Store) -> None:
    store = three_versions
    page = store.root / "pages" / PAGE
    text_a = page / "texts" / f"{sha('A')}.md.gz"
    raw_b = page / "raw" / f"{hashlib.sha256(b'<html><body><p>B</p></body></html>').hexdigest()}.html.gz"
    text_c = page / "texts" / f"{sha('C')}.md.gz"
    assert store.verify().ok

    flipped = bytearray(gzip.decompress(text_a.read_bytes()))
    flipped[0] ^= 0x01
    text_a.write_bytes(gzip.compress(bytes(flipped)))  # a valid gzip file whose content no longer matches
    raw_b.write_bytes(raw_b.read_bytes()[:-5])
    text_c.unlink()
    before = {path: path.read_bytes() for path in store.root.rglob("*") if path.is_file()}

    report = store.verify()

    assert not report.ok
    assert [problem.split(",")[0] for problem in report.problems] == [
        f"{text_a}: damaged",
        f"{raw_b}: damaged",
        f"{text_c}: missing",
    ]
    db = store.root / "monitor.db"
    assert f"{text_c}: missing, referenced by {db}: checks row 5 (page {PAGE!r})" in report.problems[2]
    assert all(problem.endswith(")") or "restore" in problem for problem in report.problems)  # what to do
    assert report.checked == 6  # 2 texts + 3 raws + the database
    assert {path: path.read_bytes() for path in store.root.rglob("*") if path.is_file()} == before
    with pytest.raises(StoreError, match=rf"{text_a}: damaged, its content hashes to"):
        store.versions.read_text(PAGE, sha("A"))


def test_verify_reports_a_damaged_state_row_and_warns_about_leftover_temp_files(store: Store) -> None:
    store.baselines.put("cookies", "page", {"baseline": "x"})
    store.ledger.append({"sent": 1})
    with sqlite3.connect(store.root / "monitor.db") as db:
        db.execute("UPDATE baselines SET data = '{\"baseline\": '")
    (store.root / "pages" / PAGE / "texts").mkdir(parents=True)
    (store.root / "pages" / PAGE / "texts" / ".x.md.gz.123.abcd.tmp").write_text("{")
    report = store.verify()
    assert [problem.split(" (")[0] for problem in report.problems] == [
        f"{store.root / 'monitor.db'}: baselines row cookies/page: damaged JSON"
    ]
    assert report.warnings == [
        f"{store.root / 'pages' / PAGE / 'texts' / '.x.md.gz.123.abcd.tmp'}: leftover temp file of an interrupted write (harmless)"
    ]


# -- the state area for other stages --------------------------------------------------------------------


def test_state_files_round_trip(store: Store) -> None:
    store.state.write_json("service/cookies.json", {"clause": "We use cookies.", "n": 1})
    store.state.write_json("service/cookies.json", {"clause": "We use cookies ü.", "n": 2})
    store.state.append_jsonl("service/log.jsonl", {"day": "2026-03-01"})
    store.ledger.append({"period": "2026-03-01", "state": "sent"})
    store.state.append_jsonl("service/log.jsonl", {"day": "2026-03-02"})
    assert store.state.read_json("service/cookies.json") == {"clause": "We use cookies ü.", "n": 2}
    assert store.state.read_json("service/other.json", default={}) == {}
    assert store.state.read_jsonl("service/log.jsonl") == [{"day": "2026-03-01"}, {"day": "2026-03-02"}]
    assert store.ledger.lines() == [{"period": "2026-03-01", "state": "sent"}]
    assert store.state.listdir("service") == ["cookies.json"] and store.state.listdir("nothing") == []
    assert store.state.path("outbox/a.json") == store.root / "outbox" / "a.json"
    assert store.state.delete("service/cookies.json") and not store.state.delete("service/cookies.json")


def test_watch_baselines_are_kept_by_watch_and_page(store: Store) -> None:
    store.baselines.put("cookies", "facebook", {"clause": "We use cookies.", "n": 1})
    store.baselines.put("cookies", "facebook", {"clause": "We use cookies ü.", "n": 2})
    store.baselines.put("scope", "facebook", {"n": 3})
    store.baselines.put("cookies", "instagram", {"n": 4})
    assert store.baselines.get("cookies", "facebook") == {"clause": "We use cookies ü.", "n": 2}
    assert store.baselines.get("cookies", "other") is None
    assert store.baselines.of_page("facebook") == {
        "cookies": {"clause": "We use cookies ü.", "n": 2},
        "scope": {"n": 3},
    }
    assert store.baselines.delete("cookies", "facebook") and not store.baselines.delete("cookies", "facebook")
    assert store.page_state("facebook").baselines == {"scope": {"n": 3}}


@pytest.mark.parametrize(
    "rel", ["../escape.json", "/etc/passwd", "pages/x/checks.jsonl", ".lock", "a/.hidden", ""]
)
def test_state_paths_stay_inside_the_store_and_out_of_the_page_area(store: Store, rel: str) -> None:
    with pytest.raises(StoreError, match="not a usable store path"):
        store.state.path(rel)


# -- the writer lock ------------------------------------------------------------------------------------

HOLDER = textwrap.dedent(
    """
    import sys
    from monitor.store.core import Store
    with Store(sys.argv[1]).transaction():
        print("holding", flush=True)
        sys.stdin.readline()
    """
)


def test_a_second_writer_process_gets_store_locked_with_the_holders_pid(store: Store) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(store.root)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=ROOT,
        text=True,
    )
    try:
        assert holder.stdout.readline() == "holding\n"
        with pytest.raises(StoreLocked) as error, store.transaction(wait=0):
            pass
        assert str(error.value) == (
            f"{store.root}: another privacy-monitor process is writing to this store; wait for it or stop it"
        )
        assert error.value.exit_status == 5
        started = time.monotonic()
        assert Store(store.root).checks.pages() == [] and Store(store.root).verify().ok  # readers never wait
        assert time.monotonic() - started < 2
        holder.stdin.write("release\n")
        holder.stdin.flush()
        with store.transaction(wait=30):  # returns as soon as the holder lets go
            append_record(store, day(1), "new", "A")
        assert not (store.root / ".lock").exists()  # SQLite's own lock: no lock file of ours
    finally:
        holder.kill()
        holder.wait()


def test_a_killed_writer_leaves_no_stale_lock(store: Store) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(store.root)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=ROOT,
        text=True,
    )
    assert holder.stdout.readline() == "holding\n"
    holder.kill()
    holder.wait()
    with store.transaction():
        pass


def test_the_writer_lock_is_reentrant_in_one_thread(store: Store) -> None:
    with store.transaction(), Store(store.root).transaction():
        append_record(store, day(1), "new", "A")
    assert [v.id for v in store.versions.list(PAGE)] == [sha("A")]


def test_version_info_is_a_plain_value() -> None:
    info = VersionInfo("a" * 64, day(1), None, 1, day(1))
    assert info.raw_sha256 is None and info == VersionInfo("a" * 64, day(1), None, 1, day(1), None)


def test_a_store_folder_that_is_not_writable_is_a_clear_error(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Tests may run as root, for whom every folder is writable: the permission check is told it is not.
    monkeypatch.setattr("monitor.store.state.os.access", lambda path, mode: False)
    with pytest.raises(StoreError, match=r"snapshots: the store folder is not writable; fix its permissions"):
        store.versions.put(PAGE, "text", None)


def test_a_long_history_is_read_from_the_database_and_loses_nothing(tmp_path: Path) -> None:
    # A service runs for years: nothing is cached in memory, every reader sees the same timeline.
    store = Store(tmp_path / "snapshots")
    fresh_eyes = Store(tmp_path / "snapshots")  # another process reading the same store
    texts = ["A", "A", "B", None, "B", "A", None, None, None, None, "C", "C"]
    for n, text in enumerate(texts, start=1):
        outcome = (
            "failed"
            if text is None
            else ("new" if n == 1 else "changed" if text != texts[n - 2] else "unchanged")
        )
        if text is not None and n > 1 and store.versions.current(PAGE).id == sha(text):
            outcome = "unchanged"
        append_record(store, day(n), outcome, text)
        store.versions.list(PAGE)  # read between writes, as the service does
    assert [c.time for c in store.checks.list(PAGE)] == [day(n) for n in range(1, 13)]
    assert store.versions.list(PAGE) == fresh_eyes.versions.list(PAGE)
    assert [v.id for v in store.versions.list(PAGE)] == [sha("A"), sha("B"), sha("A"), sha("C")]
    assert store.checks.last(PAGE).time == day(12)
    assert [c.time for c in store.checks.failures(PAGE, until=day(9))] == [day(7), day(8), day(9)]
    assert store.checks.count(PAGE, until=day(9)) == 9
    assert store.checks.last_change(PAGE).time == day(11)


def test_status_and_digest_queries_search_an_index_never_scan_the_checks(tmp_path: Path) -> None:
    """What keeps `status` and the digest as fast after 20,000 checks as after one (bench_store measures it):
    every query they make of the checks table is an index search, none a scan of a page's history."""
    from datetime import timedelta

    from service_support import document_text, make_config, record_check, utc

    from monitor.notify.digest import build_digest
    from monitor.store.health import store_status

    store = Store(tmp_path / "snapshots")
    for day, words in enumerate(("We may share.", "We may share.", "We will share.")):
        record_check(store, PAGE, utc("2026-03-01 08:00") + timedelta(days=day), text=document_text(words))
    config = make_config([{"id": PAGE, "url": "https://example.org/privacy"}])
    statements: list[str] = []
    connection = store.db.connection()
    connection.set_trace_callback(statements.append)
    try:
        store_status(config, store, utc("2026-03-04 08:00"))
        build_digest(store, config, utc("2026-03-02 08:00"), utc("2026-03-04 08:00"))
    finally:
        connection.set_trace_callback(None)
    reads = [sql for sql in statements if sql.lstrip().upper().startswith("SELECT") and " checks" in sql]
    assert reads
    for sql in reads:
        plan = [row[-1] for row in connection.execute(f"EXPLAIN QUERY PLAN {sql}")]
        steps = [step for step in plan if " checks" in f" {step}"]
        assert all(step.startswith("SEARCH") for step in steps), (sql, plan)
        # A search can still walk a page's whole history: all of its checks before the newest by n.
        assert not any("checks_by_page (page=? AND n<?)" in step for step in steps), (sql, plan)


def test_threads_opening_the_store_while_others_write_all_write(tmp_path: Path) -> None:
    """Parallel checks open a connection per thread, some while others are writing; a thread opening at such
    a moment failed with "another privacy-monitor process is writing to this store"."""
    for attempt in range(20):
        root = tmp_path / f"store-{attempt}"
        start = threading.Barrier(8)
        failures: list[BaseException] = []

        def write(
            n: int,
            root: Path = root,
            start: threading.Barrier = start,
            failures: list[BaseException] = failures,
        ) -> None:
            start.wait()
            time.sleep(n % 2 * 0.001)  # half of them open while the first ones create the store
            try:
                store = Store(root)
                for k in range(10):
                    store.state.write_json(f"service/thread-{n}.json", {"n": n, "k": k})
            except BaseException as error:  # noqa: BLE001 - the test reports every thread's failure
                failures.append(error)

        threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failures == []
        assert [Store(root).state.read_json(f"service/thread-{n}.json") for n in range(8)] == [
            {"n": n, "k": 9} for n in range(8)
        ]
