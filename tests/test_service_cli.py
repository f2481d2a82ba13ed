"""`status`, `digest`, `feed` and `run` from the command line: exact output and exit codes."""

from __future__ import annotations

import email
import email.policy
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from service_support import FakeClock, Inbox, document_text, record_check, smtp_server, utc

from monitor.cli.main import State, main
from monitor.service.runner import service_lock
from monitor.store.core import Store

V1 = document_text("# Privacy", "We may share your information with partners.")
V2 = document_text("# Privacy", "We will share your information with partners <script>x</script>.")
NOW = utc("2026-03-05 09:30")


def write_config(folder: Path, smtp_port: int | None = None) -> Path:
    notify = ""
    if smtp_port:
        notify = f"""
[notify.email]
host = "127.0.0.1"
port = {smtp_port}
security = "none"
from = "monitor@example.org"
to = ["reader@example.org"]
"""
    config = folder / "config.toml"
    config.write_text(
        f"""
[service]
default_schedule = "every 6h"
failing_after = "1d"

[digest]
time = "08:00"
timezone = "UTC"

[[pages]]
id = "fb-en"
url = "https://facebook.example/privacy"
title = "Facebook Privacy Policy"

[[pages]]
id = "ig-en"
url = "https://instagram.example/privacy"
{notify}"""
    )
    return config


@pytest.fixture
def project(tmp_path: Path) -> Path:
    config = write_config(tmp_path)
    store = Store(tmp_path / "snapshots")
    record_check(store, "fb-en", utc("2026-03-03 06:00"), text=V1)
    record_check(store, "fb-en", utc("2026-03-05 06:00"), text=V2)
    record_check(store, "ig-en", utc("2026-03-03 06:00"), text=V1)
    record_check(store, "ig-en", utc("2026-03-04 06:00"), reason="login wall")
    record_check(store, "ig-en", utc("2026-03-05 06:00"), reason="login wall")
    return config


def run(config: Path, *args: str, now=NOW) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["-c", str(config), *args], obj=State(clock=FakeClock(now)))
    return result.exit_code, result.output


def test_status_shows_every_page_and_exits_3_when_one_fails_too_long(project: Path) -> None:
    code, output = run(project, "status")
    assert output == (
        "service: not running; now 2026-03-05 09:30 UTC\n"
        "PAGE   LAST CHECK            LAST SUCCESS          LAST CHANGE           FAILS  NEXT RUN\n"
        "fb-en  2026-03-05 06:00 UTC  2026-03-05 06:00 UTC  2026-03-05 06:00 UTC  0      2026-03-05 12:00 UTC\n"
        "ig-en  2026-03-05 06:00 UTC  2026-03-03 06:00 UTC  2026-03-03 06:00 UTC  2      2026-03-05 12:00 UTC\n"
        "ig-en: FAILING too long since 2026-03-04 06:00 UTC: login wall\n"
        "exit 3: ig-en failing for longer than failing_after (1d)\n"
    )
    assert code == 3


def test_status_exits_0_while_a_failure_is_younger_than_failing_after(project: Path) -> None:
    with service_lock(Store(project.parent / "snapshots")):  # overdue pages are the service's to run
        code, output = run(project, "status", now=utc("2026-03-05 05:00"))
    assert output.splitlines()[-2:] == [
        "ig-en: failing since 2026-03-04 06:00 UTC: login wall",
        "ok: no page failing for longer than failing_after (1d)",
    ]
    assert code == 0


def test_status_exits_3_when_the_service_is_down_and_a_page_is_overdue(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    store = Store(tmp_path / "snapshots")
    record_check(store, "fb-en", utc("2025-03-05 06:00"), text=V1)
    record_check(store, "ig-en", utc("2026-03-05 05:00"), text=V1)
    code, output = run(config, "status")
    assert (code, output.splitlines()[2:]) == (
        3,
        [
            "fb-en  2025-03-05 06:00 UTC  2025-03-05 06:00 UTC  2025-03-05 06:00 UTC  0      2025-03-05 12:00 UTC (overdue)",
            "ig-en  2026-03-05 05:00 UTC  2026-03-05 05:00 UTC  2026-03-05 05:00 UTC  0      2026-03-05 11:00 UTC",
            "exit 3: fb-en is overdue by more than its schedule and the service is not running "
            "(start it with `privacy-monitor run`)",
        ],
    )
    with service_lock(store):  # the service will run it: late, not lost
        code, output = run(config, "status")
    assert (code, output.splitlines()[-1]) == (0, "ok: no page failing for longer than failing_after (1d)")
    code, output = run(config, "status", now=utc("2026-03-05 13:00"))
    assert (code, output.splitlines()[3]) == (
        3,
        "ig-en  2026-03-05 05:00 UTC  2026-03-05 05:00 UTC  2026-03-05 05:00 UTC  0      2026-03-05 11:00 UTC (due)",
    )


def test_status_json(project: Path) -> None:
    code, output = run(project, "status", "--json")
    data = json.loads(output)
    assert code == 3
    assert (data["time"], data["exit"]) == ("2026-03-05T09:30:00Z", 3)
    assert data["service"] == {"running": False, "pid": None}
    ig = data["pages"][1]
    assert {
        key: ig[key]
        for key in ("page", "failures", "failing_since", "last_reason", "failing_too_long", "overdue")
    } == {
        "page": "ig-en",
        "failures": 2,
        "failing_since": "2026-03-04T06:00:00Z",
        "last_reason": "login wall",
        "failing_too_long": True,
        "overdue": False,
    }


def test_status_names_the_running_service(project: Path) -> None:
    import os

    with service_lock(Store(project.parent / "snapshots")):
        _, output = run(project, "status")
    assert output.splitlines()[0] == f"service: running (pid {os.getpid()}); now 2026-03-05 09:30 UTC"


def test_times_are_in_the_digest_time_zone_everywhere(project: Path) -> None:
    project.write_text(project.read_text().replace('timezone = "UTC"', 'timezone = "Europe/Berlin"'))
    _, status = run(project, "status")
    _, pages = run(project, "pages")
    _, digest = run(project, "digest")
    assert status.splitlines()[0] == "service: not running; now 2026-03-05 10:30 CET"
    assert "2026-03-05 07:00 CET" in status.splitlines()[2]
    assert pages.splitlines()[1].endswith("changed       2026-03-05 07:00 CET")
    assert digest.splitlines()[0] == (
        "Digest of 2026-03-04 10:30 CET to 2026-03-05 10:30 CET (the last 24 hours; no digest sent yet)"
    )


def test_pages_lists_every_configured_page(project: Path) -> None:
    code, output = run(project, "pages")
    assert (code, output) == (
        0,
        "PAGE   TITLE                    DOCUMENT  LOCALE  RENDERER  RULES      SCHEDULE  LAST OUTCOME  LAST CHANGE\n"
        "fb-en  Facebook Privacy Policy  -         -       http      automatic  every 6h  changed       2026-03-05 06:00 UTC\n"
        "ig-en  -                        -         -       http      automatic  every 6h  failed        2026-03-03 06:00 UTC\n"
        "2 pages, 2 checked\n",
    )
    code, output = run(project, "pages", "--json")
    data = json.loads(output)
    assert code == 0
    assert data["pages"][0] == {
        "id": "fb-en", "title": "Facebook Privacy Policy", "url": "https://facebook.example/privacy",
        "document": None, "locale": None, "renderer": "http", "rules": {"from": "automatic"}, "schedule": "every 6h",
        "last_check": "2026-03-05T06:00:00Z", "last_outcome": "changed", "last_change": "2026-03-05T06:00:00Z",
        "imported_change": None, "version": data["pages"][0]["version"],
    }  # fmt: skip


def test_pages_before_any_check_says_what_to_run(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    code, output = run(config, "pages")
    assert (code, output.splitlines()[1:]) == (
        0,
        [
            "fb-en  Facebook Privacy Policy  -         -       http      automatic  every 6h  never checked  -",
            "ig-en  -                        -         -       http      automatic  every 6h  never checked  -",
            "2 pages, 0 checked",
            "Run `privacy-monitor check` to check them now.",
        ],
    )
    (tmp_path / "empty.toml").write_text("")
    assert run(tmp_path / "empty.toml", "pages") == (
        0,
        "No pages configured (add one with `privacy-monitor add URL`).\n",
    )


def test_digest_covers_the_period_in_progress(project: Path) -> None:
    """Right after the first checks, the default digest has them: never 'never checked'."""
    code, output = run(project, "digest")
    assert code == 0
    assert output.splitlines()[:4] == [
        "Digest of 2026-03-04 09:30 UTC to 2026-03-05 09:30 UTC (the last 24 hours; no digest sent yet)",
        "PRIVACY NOTICE DIGEST",
        "2026-03-04 09:30 UTC to 2026-03-05 09:30 UTC",
        "2 of 2 pages checked (2 checks), 1 in trouble.",
    ]
    assert "never checked" not in output
    assert "    We [-may-]{+will+} share your information with partners{+ <script>x</script>+}." in output


def test_digest_starts_at_the_end_of_the_last_digest_sent(project: Path) -> None:
    from monitor.notify.digest_mail import DigestLedger

    ledger = DigestLedger(Store(project.parent / "snapshots"))
    period = {"period": "2026-03-05", "start": "2026-03-04T08:00:00Z", "end": "2026-03-05T08:00:00Z"}
    ledger.record("sent", period, time=utc("2026-03-05 08:00"))
    code, output = run(project, "digest")
    assert (code, output.splitlines()[:4]) == (
        0,
        [
            "Digest of 2026-03-05 08:00 UTC to 2026-03-05 09:30 UTC (since the last digest sent)",
            "PRIVACY NOTICE DIGEST",
            "2026-03-05 08:00 UTC to 2026-03-05 09:30 UTC",
            "0 of 2 pages checked (0 checks), 2 in trouble.",
        ],
    )


def test_digest_since_a_date_runs_to_now(project: Path) -> None:
    _, output = run(project, "digest", "--since", "2026-03-01")
    assert output.splitlines()[:4] == [
        "Digest of 2026-03-01 00:00 UTC to 2026-03-05 09:30 UTC (from --since to now)",
        "PRIVACY NOTICE DIGEST",
        "2026-03-01 00:00 UTC to 2026-03-05 09:30 UTC",
        "2 of 2 pages checked (5 checks), 1 in trouble.",
    ]
    assert run(project, "digest", "--since", "soon") == (
        2,
        "Error: --since 'soon': not a date or date-time (write e.g. 2026-11-01 or 2026-11-01T08:00)\n",
    )


def test_digest_to_an_html_file_is_escaped(project: Path, tmp_path: Path) -> None:
    code, output = run(project, "digest", "--out", str(tmp_path / "d.html"))
    assert (code, output) == (
        0,
        f"{tmp_path / 'd.html'}: digest of 2026-03-04 09:30 UTC to 2026-03-05 09:30 UTC written "
        "(the last 24 hours; no digest sent yet)\n",
    )
    html = (tmp_path / "d.html").read_text()
    assert "&lt;script&gt;x&lt;/script&gt;" in html and "<script>" not in html


def test_digest_to_a_text_file_is_the_text_part(project: Path, tmp_path: Path) -> None:
    code, output = run(project, "digest", "--out", str(tmp_path / "d.txt"))
    assert (code, output) == (
        0,
        f"{tmp_path / 'd.txt'}: digest of 2026-03-04 09:30 UTC to 2026-03-05 09:30 UTC written "
        "(the last 24 hours; no digest sent yet)\n",
    )
    _, printed = run(project, "digest", "--print")
    assert (tmp_path / "d.txt").read_text() == printed.split("\n", 1)[1]
    # Nothing is attached to a printed or written digest: it names the command instead.
    assert "attached" not in printed and "Full comparison: privacy-monitor diff " in printed


def test_digest_to_an_eml_file_needs_no_mail_server(project: Path, tmp_path: Path) -> None:
    code, _ = run(project, "digest", "--out", str(tmp_path / "d.eml"))
    message = email.message_from_bytes((tmp_path / "d.eml").read_bytes(), policy=email.policy.default)
    assert code == 0
    assert (message["From"], message["To"]) == ("privacy-monitor@localhost.invalid", "")
    assert [part.get_content_type() for part in message.walk()] == [
        "multipart/mixed", "multipart/alternative", "text/plain", "text/html", "text/html",
    ]  # fmt: skip
    (attachment,) = message.iter_attachments()  # the full comparison of the day's change
    assert attachment.get_filename().endswith(".html")


def test_digest_to_an_eml_file_and_a_bad_suffix(tmp_path: Path) -> None:
    config = write_config(tmp_path, smtp_port=2525)
    code, _ = run(config, "digest", "--out", str(tmp_path / "d.eml"))
    message = email.message_from_bytes((tmp_path / "d.eml").read_bytes(), policy=email.policy.default)
    assert code == 0
    assert message["To"] == "reader@example.org"
    code, output = run(config, "digest", "--out", str(tmp_path / "d.pdf"))
    assert (code, output) == (2, f"Error: --out {tmp_path / 'd.pdf'}: write to a .txt, .html or .eml file\n")


def test_digest_send_goes_through_smtp_and_leaves_the_ledger_alone(tmp_path: Path) -> None:
    inbox = Inbox()
    with smtp_server(inbox) as port:
        config = write_config(tmp_path, smtp_port=port)
        code, output = run(config, "digest", "--send")
    assert (code, output) == (
        0,
        "digest of 2026-03-04 09:30 UTC to 2026-03-05 09:30 UTC sent to 1 recipient: reader@example.org\n",
    )
    assert len(inbox.messages) == 1
    assert not (tmp_path / "snapshots" / "digest" / "ledger.jsonl").exists()


def test_digest_send_without_an_smtp_server_says_what_to_add(project: Path) -> None:
    code, output = run(project, "digest", "--send")
    assert (code, output) == (
        2,
        "Error: no [notify.email] section in the config: the digest has no SMTP server to go through\n",
    )


def test_feed_writes_the_atom_file(project: Path, tmp_path: Path) -> None:
    code, output = run(project, "feed", "--out", str(tmp_path / "feed.atom"))
    assert (code, output) == (0, f"{tmp_path / 'feed.atom'}: 1 entry\n")
    assert (tmp_path / "feed.atom").read_text().count("<entry>") == 1


def test_a_second_service_on_one_store_exits_5_with_one_line(project: Path) -> None:
    import os

    with service_lock(Store(project.parent / "snapshots")):
        code, output = run(project, "run")
    assert code == 5
    assert output == (
        f"Error: {project.parent / 'snapshots'}: a privacy-monitor service is already running on this store "
        f"(pid {os.getpid()}); stop it first, or give this one another [store] path\n"
    )


def test_json_log_lines_carry_the_page_fields_and_no_url_credentials() -> None:
    import io
    import logging

    from monitor.cli.commands.service_cmds import service_logging

    stream = io.StringIO()
    with service_logging("json", "info") as handler:
        handler.setStream(stream)
        log = logging.getLogger("monitor.service.runner")
        log.warning("fb-en: failed: %s", "login wall", extra={"page": "fb-en", "outcome": "failed"})
        log.error("SMTP smtps://monitor:s3cret@mail.example:465 refused")
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert {k: first[k] for k in ("level", "logger", "message", "page", "outcome")} == {
        "level": "warning",
        "logger": "monitor.service.runner",
        "message": "fb-en: failed: login wall",
        "page": "fb-en",
        "outcome": "failed",
    }
    assert second["message"] == "SMTP smtps://***@mail.example:465 refused"
    assert handler not in logging.getLogger().handlers  # the service's logging is undone when it stops
