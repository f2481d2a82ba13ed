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
        "service: not running; times in UTC; now 2026-03-05 09:30\n"
        "PAGE   LAST CHECK        LAST SUCCESS      LAST CHANGE       FAILS  NEXT RUN\n"
        "fb-en  2026-03-05 06:00  2026-03-05 06:00  2026-03-05 06:00  0      2026-03-05 12:00\n"
        "ig-en  2026-03-05 06:00  2026-03-03 06:00  2026-03-03 06:00  2      2026-03-05 12:00\n"
        "ig-en: FAILING too long since 2026-03-04T06:00:00Z: login wall\n"
    )
    assert code == 3


def test_status_exits_0_while_a_failure_is_younger_than_failing_after(project: Path) -> None:
    code, output = run(project, "status", now=utc("2026-03-05 05:00"))
    assert output.splitlines()[-1] == "ig-en: failing since 2026-03-04T06:00:00Z: login wall"
    assert code == 0


def test_status_json(project: Path) -> None:
    code, output = run(project, "status", "--json")
    data = json.loads(output)
    assert code == 3
    assert data["time"] == "2026-03-05T09:30:00Z"
    assert data["service"] == {"running": False, "pid": None}
    ig = data["pages"][1]
    assert {
        key: ig[key] for key in ("page", "failures", "failing_since", "last_reason", "failing_too_long")
    } == {
        "page": "ig-en",
        "failures": 2,
        "failing_since": "2026-03-04T06:00:00Z",
        "last_reason": "login wall",
        "failing_too_long": True,
    }


def test_status_names_the_running_service(project: Path) -> None:
    import os

    with service_lock(Store(project.parent / "snapshots")):
        _, output = run(project, "status")
    assert (
        output.splitlines()[0] == f"service: running (pid {os.getpid()}); times in UTC; now 2026-03-05 09:30"
    )


def test_digest_prints_the_last_completed_period(project: Path) -> None:
    code, output = run(project, "digest")
    assert code == 0
    assert output.splitlines()[:3] == [
        "PRIVACY NOTICE DIGEST",
        "2026-03-04 08:00 UTC to 2026-03-05 08:00 UTC",
        "2 of 2 pages checked (2 checks), 1 in trouble.",
    ]
    assert "    We [-may-]{+will+} share your information with partners{+ <script>x</script>+}." in output


def test_digest_since_a_date_runs_to_now(project: Path) -> None:
    _, output = run(project, "digest", "--since", "2026-03-01")
    assert output.splitlines()[1:3] == [
        "2026-03-01 00:00 UTC to 2026-03-05 09:30 UTC",
        "2 of 2 pages checked (5 checks), 1 in trouble.",
    ]


def test_digest_to_an_html_file_is_escaped(project: Path, tmp_path: Path) -> None:
    code, output = run(project, "digest", "--out", str(tmp_path / "d.html"))
    assert (code, output) == (
        0,
        f"{tmp_path / 'd.html'}: digest of 2026-03-04T08:00:00Z to 2026-03-05T08:00:00Z written\n",
    )
    html = (tmp_path / "d.html").read_text()
    assert "&lt;script&gt;x&lt;/script&gt;" in html and "<script>" not in html


def test_digest_to_an_eml_file_and_a_bad_suffix(tmp_path: Path) -> None:
    config = write_config(tmp_path, smtp_port=2525)
    code, _ = run(config, "digest", "--out", str(tmp_path / "d.eml"))
    message = email.message_from_bytes((tmp_path / "d.eml").read_bytes(), policy=email.policy.default)
    assert code == 0
    assert message["To"] == "reader@example.org"
    assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain", "text/html"]
    code, output = run(config, "digest", "--out", str(tmp_path / "d.txt"))
    assert (code, output) == (2, f"Error: --out {tmp_path / 'd.txt'}: write to a .eml or .html file\n")


def test_digest_send_goes_through_smtp_and_leaves_the_ledger_alone(tmp_path: Path) -> None:
    inbox = Inbox()
    with smtp_server(inbox) as port:
        config = write_config(tmp_path, smtp_port=port)
        code, output = run(config, "digest", "--send")
    assert (code, output) == (
        0,
        "digest of 2026-03-04T08:00:00Z to 2026-03-05T08:00:00Z sent to reader@example.org\n",
    )
    assert (
        inbox.subjects() == ["privacy-monitor 2026-03-05: all quiet (0 of 2 pages checked)"]
        or len(inbox.messages) == 1
    )
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
