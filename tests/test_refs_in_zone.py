"""Version references read in the zone every time is shown in (`[digest] timezone`): a date is the version
in effect at the end of that local day, a date-time without a zone is local, one with `Z` or an offset is as
given; `show --raw` prints the capture of the entry the reference names; far-edge date-times and unknown page
ids are one-line usage errors. Stores are filled by real checks of pages served on loopback, as a user does."""

from __future__ import annotations

import hashlib
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from cli_support import run_cli, write_project
from pytest_httpserver import HTTPServer
from service_support import FakeClock

FILLER = " ".join(
    f"This policy explains in plain words how we handle information number {i}." for i in range(12)
)
TEXTS = {
    "A": "We keep your data for 30 days.",
    "B": "We keep your data for 90 days.",
    "C": "We keep your data for one year.",
}


def html(key: str, note: str = "") -> str:
    return (
        f"<html><body><!-- {note} --><main><h1>Privacy Policy</h1><p>{FILLER}</p>"
        f"<p>{TEXTS[key]}</p></main></body></html>"
    )


def project(tmp_path: Path, server: HTTPServer, zone: str) -> Path:
    return write_project(tmp_path, {"pol": server.url_for("/pol")}, head=f'[digest]\ntimezone = "{zone}"\n')


def checks(config: Path, server: HTTPServer, captures: list[tuple[str, str, str]]) -> FakeClock:
    """A real `check` at each (ISO UTC time, text key, markup note); the clock stays at the last one."""
    clock = FakeClock(datetime(2000, 1, 1, tzinfo=UTC))
    for time, key, note in captures:
        server.clear()
        server.expect_request("/pol").respond_with_data(html(key, note), content_type="text/html")
        clock.set(datetime.fromisoformat(time))
        code, output = run_cli(config, clock, "check")
        assert code == 0, output
    return clock


def since_column(listing: str) -> list[str]:
    """The SINCE column of `history` (each version's line is followed by its summary line)."""
    return [line.split("  ")[1] for line in listing.splitlines()[1::2]]


def text(key: str) -> str:
    return f"# Privacy Policy\n\n{FILLER}\n\n{TEXTS[key]}\n"


# A: 2026-03-01 22:00 EST; B: 2026-03-09 21:00 EDT (the US went to summer time on 2026-03-08);
# C: 2026-03-11 08:00 EDT.
NEW_YORK = [
    ("2026-03-02T03:00:00Z", "A", "a"),
    ("2026-03-10T01:00:00Z", "B", "b"),
    ("2026-03-11T12:00:00Z", "C", "c"),
]


@pytest.fixture
def new_york(tmp_path: Path, httpserver: HTTPServer) -> tuple[Path, FakeClock]:
    config = project(tmp_path, httpserver, "America/New_York")
    return config, checks(config, httpserver, NEW_YORK)


# -- 1. dates and date-times in [digest] timezone -----------------------------------------------------------


def test_history_shows_local_times_and_a_date_selects_what_history_shows_for_that_day(new_york) -> None:
    config, clock = new_york
    code, listing = run_cli(config, clock, "history", "pol")
    assert code == 0
    assert since_column(listing) == [
        "2026-03-01 22:00 EST",
        "2026-03-09 21:00 EDT",
        "2026-03-11 08:00 EDT",
    ]
    assert run_cli(config, clock, "show", "pol", "2026-03-01") == (0, text("A"))
    assert run_cli(config, clock, "show", "pol", "2026-03-09") == (0, text("B"))
    assert run_cli(config, clock, "show", "pol", "2026-03-10") == (0, text("B"))
    assert run_cli(config, clock, "show", "pol", "2026-03-11") == (0, text("C"))


def test_a_day_before_tracking_names_the_start_in_the_same_zone(new_york) -> None:
    config, clock = new_york
    assert run_cli(config, clock, "show", "pol", "2026-02-28") == (
        2,
        "Error: page 'pol' had no version yet at 2026-02-28; tracking started 2026-03-01 22:00 EST\n",
    )


def test_diff_by_date_takes_the_version_of_that_local_evening(new_york) -> None:
    config, clock = new_york
    code, output = run_cli(config, clock, "diff", "pol", "2026-03-09", "latest")
    assert code == 1
    assert output.splitlines()[:2] == [
        f"--- pol {short_id('B')} (2026-03-09 21:00 EDT)",
        f"+++ pol {short_id('C')} (2026-03-11 08:00 EDT)",
    ]


def short_id(key: str) -> str:
    """A version's id is the sha256 of its text; `diff` shows its first 12 digits."""
    return hashlib.sha256(text(key).encode()).hexdigest()[:12]


def test_a_date_time_without_a_zone_is_local_and_one_with_a_zone_is_as_given(new_york) -> None:
    config, clock = new_york
    assert run_cli(config, clock, "show", "pol", "2026-03-01T22:00") == (0, text("A"))
    assert run_cli(config, clock, "show", "pol", "2026-03-09T20:59:59") == (0, text("A"))
    assert run_cli(config, clock, "show", "pol", "2026-03-09T21:00") == (0, text("B"))
    assert run_cli(config, clock, "show", "pol", "2026-03-01T21:59") == (
        2,
        "Error: page 'pol' had no version yet at 2026-03-01T21:59; tracking started 2026-03-01 22:00 EST\n",
    )
    assert run_cli(config, clock, "show", "pol", "2026-03-10T01:00:00Z") == (0, text("B"))
    assert run_cli(config, clock, "show", "pol", "2026-03-10T00:59:59Z") == (0, text("A"))
    assert run_cli(config, clock, "show", "pol", "2026-03-09T22:00+01:00") == (0, text("A"))


def test_an_unknown_reference_names_the_first_day_in_the_same_zone(new_york) -> None:
    config, clock = new_york
    code, output = run_cli(config, clock, "show", "pol", "yesterday")
    assert code == 2
    assert output.endswith("or a date/time from 2026-03-01 on (3 versions)\n"), output


def test_the_day_summer_time_starts_ends_at_local_midnight(tmp_path: Path, httpserver: HTTPServer) -> None:
    # 2026-03-08 in New York is 23 hours long: it ends at 04:00 UTC, not 05:00.
    config = project(tmp_path, httpserver, "America/New_York")
    clock = checks(
        config, httpserver, [("2026-03-08T12:00:00Z", "A", "a"), ("2026-03-09T04:30:00Z", "B", "b")]
    )
    assert since_column(run_cli(config, clock, "history", "pol")[1]) == [
        "2026-03-08 08:00 EDT",
        "2026-03-09 00:30 EDT",
    ]
    assert run_cli(config, clock, "show", "pol", "2026-03-08") == (0, text("A"))
    assert run_cli(config, clock, "show", "pol", "2026-03-09") == (0, text("B"))


def test_east_of_utc_a_version_after_local_midnight_is_not_the_days_before(
    tmp_path: Path, httpserver: HTTPServer
) -> None:
    config = project(tmp_path, httpserver, "Europe/Berlin")
    clock = checks(config, httpserver, [("2026-03-01T23:30:00Z", "A", "a")])
    assert since_column(run_cli(config, clock, "history", "pol")[1]) == ["2026-03-02 00:30 CET"]
    assert run_cli(config, clock, "show", "pol", "2026-03-01") == (
        2,
        "Error: page 'pol' had no version yet at 2026-03-01; tracking started 2026-03-02 00:30 CET\n",
    )
    assert run_cli(config, clock, "show", "pol", "2026-03-02") == (0, text("A"))


def test_in_utc_dates_read_as_before(tmp_path: Path, httpserver: HTTPServer) -> None:
    config = project(tmp_path, httpserver, "UTC")
    clock = checks(
        config, httpserver, [("2026-03-01T23:30:00Z", "A", "a"), ("2026-03-02T00:30:00Z", "B", "b")]
    )
    assert run_cli(config, clock, "show", "pol", "2026-03-01") == (0, text("A"))
    assert run_cli(config, clock, "show", "pol", "2026-03-02T00:29") == (0, text("A"))
    assert run_cli(config, clock, "show", "pol", "2026-03-02") == (0, text("B"))
    assert run_cli(config, clock, "show", "pol", "9999-12-31") == (0, text("B"))


@pytest.mark.parametrize(
    "zone, day, end",
    [
        ("UTC", date(2026, 3, 1), "2026-03-02T00:00:00+00:00"),
        ("America/New_York", date(2026, 3, 8), "2026-03-09T04:00:00+00:00"),  # a 23-hour day
        ("America/New_York", date(2026, 10, 31), "2026-11-01T04:00:00+00:00"),
        ("America/Santiago", date(2026, 9, 5), "2026-09-06T04:00:00+00:00"),  # local midnight does not exist
        ("America/Havana", date(2026, 10, 31), "2026-11-01T04:00:00+00:00"),  # local midnight happens twice
        ("Etc/GMT-14", date(1, 1, 1), "0001-01-01T10:00:00+00:00"),  # the earliest day, +14:00
        # the last day a date can hold: its end is past what a datetime holds, so it covers all stored time
        ("America/New_York", date(9999, 12, 31), "9999-12-31T23:59:59.999999+00:00"),
    ],
)
def test_a_day_ends_at_its_first_local_instant_of_the_next(zone: str, day: date, end: str) -> None:
    from monitor.store.timeline import day_end

    assert day_end(day, ZoneInfo(zone)).isoformat() == end


def objection_project(tmp_path: Path, server: HTTPServer) -> Path:
    """`pol` as Facebook's page, its retention clause watched, times shown in New York."""
    url = server.url_for("/pol")
    page = f'[[pages]]\nid = "pol"\nurl = "{url}"\nplatform = "facebook"\nselect = ["main"]\n'
    watch = f'[[watches]]\nid = "retention"\npages = ["pol"]\nkind = "clause"\ntext = "{TEXTS["A"]}"\n'
    head = '[digest]\ntimezone = "America/New_York"\n'
    return write_project(tmp_path, {}, head=head, extra=f"{page}\n{watch}")


def test_an_objection_reads_the_clause_in_effect_at_the_end_of_its_local_day(
    tmp_path: Path, httpserver: HTTPServer
) -> None:
    config = objection_project(tmp_path, httpserver)
    clock = checks(config, httpserver, NEW_YORK)
    code, _ = run_cli(config, clock, "objections", "add", "--platform", "facebook", "--date", "2026-03-01")
    assert code == 0
    code, output = run_cli(config, clock, "objections")
    assert code == 0
    assert output.splitlines()[2:4] == [
        "    that day it read (version in effect since 2026-03-01 22:00 EST):",
        f"      {TEXTS['A']}",
    ]
    out = tmp_path / "objection.zip"
    assert run_cli(config, clock, "export", "--objection", "1", "--out", str(out))[0] == 0
    with zipfile.ZipFile(out) as bundle:
        readme = bundle.read("README.txt").decode()
        assert bundle.read("pages/pol/text.md").decode() == text("A")
    assert (
        "pages/pol/  the version in effect at the end of 2026-03-01 (America/New_York), since "
        f"2026-03-02T03:00:00Z: version {hashlib.sha256(text('A').encode()).hexdigest()}"
    ) in readme


def test_export_at_a_date_takes_the_version_of_that_local_day(new_york, tmp_path: Path) -> None:
    config, clock = new_york
    out = tmp_path / "pol.zip"
    code, output = run_cli(config, clock, "export", "pol", "--at", "2026-03-09", "--out", str(out))
    assert (code, output) == (
        0,
        f"{out}: version {short_id('B')} since 2026-03-09 21:00 EDT, record 2 of 3 in the page's hash chain\n",
    )


# -- 2. show --raw: the capture of the entry the reference names --------------------------------------------


def test_raw_of_a_text_that_came_back_is_the_capture_of_the_entry_named(
    tmp_path: Path, httpserver: HTTPServer
) -> None:
    config = project(tmp_path, httpserver, "UTC")
    clock = checks(
        config,
        httpserver,
        [("2026-03-01T08:00:00Z", "A", "first"), ("2026-03-02T08:00:00Z", "B", "second"),
         ("2026-03-03T08:00:00Z", "A", "third")],
    )  # fmt: skip
    assert run_cli(config, clock, "show", "pol", "2026-03-01", "--raw") == (0, html("A", "first"))
    assert run_cli(config, clock, "show", "pol", "previous", "--raw") == (0, html("B", "second"))
    assert run_cli(config, clock, "show", "pol", "latest", "--raw") == (0, html("A", "third"))


# -- 3. far-edge date-times ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "zone, ref",
    [
        ("UTC", "9999-12-31T23:59:59-01:00"),
        ("UTC", "0001-01-01T00:00:00+01:00"),
        ("Europe/Berlin", "0001-01-01T00:30"),
        ("America/New_York", "9999-12-31T23:00"),
    ],
)
def test_a_date_time_out_of_range_in_utc_is_a_usage_error(
    tmp_path: Path, httpserver: HTTPServer, zone: str, ref: str
) -> None:
    config = project(tmp_path, httpserver, zone)
    clock = checks(config, httpserver, [("2026-03-01T08:00:00Z", "A", "a")])
    message = (
        f"Error: {ref!r} is out of range in UTC (page 'pol'); write a date or date-time from 0001-01-02 to "
        "9999-12-30\n"
    )
    assert run_cli(config, clock, "show", "pol", ref) == (2, message)
    assert run_cli(config, clock, "diff", "pol", ref, "latest") == (2, message)


# -- 4. diff with an unknown page id ------------------------------------------------------------------------


@pytest.mark.parametrize("refs", [["latest"], ["2026-03-01"], ["previous"]])
def test_diff_of_an_unknown_page_id_names_privacy_monitor_pages(
    tmp_path: Path, httpserver: HTTPServer, refs: list[str]
) -> None:
    config = project(tmp_path, httpserver, "UTC")
    clock = checks(config, httpserver, [("2026-03-01T08:00:00Z", "A", "a")])
    code, output = run_cli(config, clock, "diff", "nopage", *refs)
    assert code == 2
    assert output == (
        "Error: nopage: no such file, and not a configured page id or http(s) URL (see `privacy-monitor pages` "
        "for the configured ids)\n"
    )
