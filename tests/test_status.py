"""Page health from the store: last check, last success, last change, the run of failures, next run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from service_support import document_text, make_config, record_check, utc

from monitor.errors import StoreLocked
from monitor.service.runner import service_lock
from monitor.store.core import Store
from monitor.store.health import service_holder, store_status

V1 = document_text("# Privacy", "We may share your information.")
V2 = document_text("# Privacy", "We will share your information.")
NOW = utc("2026-03-05 12:00")

# checks (time, text or failure reason) -> expected (last success, last change, failures, failing since,
# last reason, next run, failing too long); schedule every 6h, failing_after 1d, now 2026-03-05 12:00
HISTORIES = [
    pytest.param([], (None, None, 0, None, None, "2026-03-05T12:00:00Z", False), id="never checked: due now"),
    pytest.param(
        [("2026-03-05 06:00", V1), ("2026-03-05 09:00", V1)],
        ("2026-03-05T09:00:00Z", "2026-03-05T06:00:00Z", 0, None, None, "2026-03-05T15:00:00Z", False),
        id="healthy",
    ),
    pytest.param(
        [("2026-03-04 06:00", V1), ("2026-03-05 06:00", V2)],
        ("2026-03-05T06:00:00Z", "2026-03-05T06:00:00Z", 0, None, None, "2026-03-05T12:00:00Z", False),
        id="changed; due exactly now",
    ),
    pytest.param(
        [("2026-03-04 06:00", V1), ("2026-03-05 06:00", "HTTP 503"), ("2026-03-05 11:00", "login wall")],
        (
            "2026-03-04T06:00:00Z",
            "2026-03-04T06:00:00Z",
            2,
            "2026-03-05T06:00:00Z",
            "login wall",
            "2026-03-05T17:00:00Z",
            False,
        ),
        id="failing for 6 hours",
    ),  # fmt: skip
    pytest.param(
        [
            ("2026-03-03 06:00", V1),
            ("2026-03-04 11:59", "collapsed: 16% of the last good text"),
            ("2026-03-05 11:00", "collapsed: 16% of the last good text"),
        ],
        (
            "2026-03-03T06:00:00Z",
            "2026-03-03T06:00:00Z",
            2,
            "2026-03-04T11:59:00Z",
            "collapsed: 16% of the last good text",
            "2026-03-05T17:00:00Z",
            True,
        ),
        id="failing for more than a day",
    ),  # fmt: skip
    pytest.param(
        [("2026-03-04 06:00", "HTTP 503"), ("2026-03-05 06:00", V1)],
        ("2026-03-05T06:00:00Z", "2026-03-05T06:00:00Z", 0, None, None, "2026-03-05T12:00:00Z", False),
        id="recovered",
    ),
]


@pytest.mark.parametrize(("history", "expected"), HISTORIES)
def test_page_health(tmp_path: Path, history, expected) -> None:
    store = Store(tmp_path / "store")
    for at, text_or_reason in history:
        is_text = text_or_reason in (V1, V2)
        record_check(
            store,
            "p",
            utc(at),
            text=text_or_reason if is_text else None,
            reason=None if is_text else text_or_reason,
        )
    config = make_config(
        [{"id": "p", "url": "https://example.org/p"}], service={"default_schedule": "every 6h"}
    )
    (status,) = store_status(config, store, NOW)
    assert (
        status.last_success, status.last_change, status.failures, status.failing_since, status.last_reason,
        status.next_run, status.failing_too_long,
    ) == expected  # fmt: skip
    assert status.checks == len(history)


def test_a_page_schedule_overrides_the_default(tmp_path: Path) -> None:
    store = Store(tmp_path / "store")
    record_check(store, "p", utc("2026-03-05 06:00"), text=V1)
    config = make_config([{"id": "p", "url": "https://example.org/p", "schedule": "0 8 * * *"}])
    (status,) = store_status(config, store, NOW)
    assert status.next_run == "2026-03-05T08:00:00Z"  # overdue: the service runs it at once


def test_the_service_lock_tells_status_who_is_running(tmp_path: Path) -> None:
    store = Store(tmp_path / "store")
    assert service_holder(store.root) is None
    with service_lock(store):
        assert service_holder(store.root) == os.getpid()
        with (
            pytest.raises(
                StoreLocked, match=r"a privacy-monitor service is already running on this store \(pid"
            ),
            service_lock(store),
        ):
            pass
    assert service_holder(store.root) is None
