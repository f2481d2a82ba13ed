"""Property tests: the store gives back any text, and its timeline and references agree with a simple model."""

from __future__ import annotations

import hashlib
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.errors import UsageError
from monitor.models import CheckRecord, Outcome, isoformat
from monitor.store.core import Store

PAGE = "page"
START = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
TEXTS = ["A\n", "B\n", "C\n", "# Policy\n\nWe share data.\n"]


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture(scope="module")
def shared_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    return Store(tmp_path_factory.mktemp("store"))


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text())
def test_any_text_reads_back_exactly(shared_store: Store, text: str) -> None:
    raw = text.encode()
    with shared_store.transaction():
        version = shared_store.versions.put(PAGE, text, raw)
    assert version == sha(text)
    assert shared_store.versions.read_text(PAGE, version) == text


# A check: its outcome, the text it saw (None for a failed check) and the seconds since the previous check.
checks_strategy = st.lists(
    st.tuples(
        st.sampled_from(["new", "changed", "unchanged", "failed"]),
        st.sampled_from(TEXTS),
        st.integers(min_value=1, max_value=3 * 86400),
    ),
    max_size=25,
)


def model_timeline(checks: list[tuple[str, str, str]]) -> list[tuple[str, str, str | None, int, str]]:
    """The rule, restated: entries start at new/changed checks and run to the next start; unchanged checks
    inside an entry count for it; failed checks count for nothing."""
    starts = [i for i, (outcome, _, _) in enumerate(checks) if outcome in ("new", "changed")]
    entries = []
    for n, i in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(checks)
        seen = [i] + [j for j in range(i + 1, end) if checks[j][0] == "unchanged"]
        until = checks[end][2] if end < len(checks) else None
        entries.append((sha(checks[i][1]), checks[i][2], until, len(seen), checks[seen[-1]][2]))
    return entries


def model_in_effect(entries: list, moment: datetime) -> tuple | None:
    started = [entry for entry in entries if datetime.fromisoformat(entry[1]) <= moment]
    return started[-1] if started else None


def write_checks(store: Store, checks: list[tuple[str, str, int]]) -> list[tuple[str, str, str]]:
    """Store the checks as the pipeline would; returns them as (outcome, text, time)."""
    moment = START
    written = []
    for outcome, text, gap in checks:
        moment += timedelta(seconds=gap)
        record = CheckRecord(PAGE, isoformat(moment), "https://example.test/", Outcome(outcome))
        if outcome != "failed":
            with store.transaction():
                record.text_sha256 = record.version = store.versions.put(PAGE, text, text.encode())
            record.raw_sha256 = sha(text)
        with store.transaction():
            store.checks.append(record)
        written.append((outcome, text, isoformat(moment)))
    return written


@settings(max_examples=60, deadline=None)
@given(
    checks=checks_strategy, probes=st.lists(st.integers(min_value=-86400, max_value=40 * 86400), max_size=6)
)
def test_timeline_and_date_references_agree_with_the_model(checks: list, probes: list[int]) -> None:
    with tempfile.TemporaryDirectory() as root:
        store = Store(Path(root))
        written = write_checks(store, checks)
        entries = model_timeline(written)

        timeline = store.versions.list(PAGE)
        assert [(v.id, v.since, v.until, v.checks, v.last_seen) for v in timeline] == entries
        assert store.versions.current(PAGE) == (timeline[-1] if timeline else None)
        if not entries:
            with pytest.raises(UsageError, match="(no page 'page' in the store|has no stored version yet)"):
                store.versions.resolve(PAGE, "latest")
            return
        assert store.versions.resolve(PAGE, "latest") == timeline[-1]
        for offset in probes:
            moment = START + timedelta(seconds=offset)
            for ref, effective in (
                (isoformat(moment), moment),
                (moment.strftime("%Y-%m-%dT%H:%M:%S"), moment),
                (moment.strftime("%Y-%m-%d"), moment.replace(hour=23, minute=59, second=59)),
            ):
                expected = model_in_effect(entries, effective)
                if expected is None:
                    with pytest.raises(UsageError, match=f"tracking started {entries[0][1]}"):
                        store.versions.resolve(PAGE, ref)
                else:
                    found = store.versions.resolve(PAGE, ref)
                    assert (found.id, found.since) == expected[:2]


@settings(max_examples=60, deadline=None)
@given(checks=checks_strategy, length=st.integers(min_value=4, max_value=64))
def test_prefix_references_agree_with_the_model(checks: list, length: int) -> None:
    with tempfile.TemporaryDirectory() as root:
        store = Store(Path(root))
        entries = model_timeline(write_checks(store, checks))
        if not entries:
            with pytest.raises(UsageError, match="(no page 'page' in the store|has no stored version yet)"):
                store.versions.resolve(PAGE, sha(TEXTS[0])[:length])
            return
        for text in TEXTS:
            prefix = sha(text)[:length]
            matching = {entry[0] for entry in entries if entry[0].startswith(prefix)}
            if not matching:
                with pytest.raises(UsageError, match=f"no version '{prefix}' of page 'page'"):
                    store.versions.resolve(PAGE, prefix)
            elif len(matching) > 1:
                with pytest.raises(UsageError, match="is ambiguous"):
                    store.versions.resolve(PAGE, prefix)
            else:
                latest = [entry for entry in entries if entry[0] in matching][-1]
                found = store.versions.resolve(PAGE, prefix)
                assert (found.id, found.since) == latest[:2]
