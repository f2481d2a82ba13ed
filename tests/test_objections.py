"""`privacy-monitor objections`: objections on the record, in a hash chain of their own, with the clause they
were made under; the alert and the digest name them. A real HTTP server on loopback, a real store, the real
pipeline and CLI, a fixed clock, exact output."""

from __future__ import annotations

import json
import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cli_support import run_cli
from pytest_httpserver import HTTPServer
from service_support import FakeClock

from monitor.config.loading import load_config
from monitor.notify.digest import build_digest
from monitor.notify.message import render_alerts
from monitor.objections.clause import alert_notes
from monitor.store.core import Store
from monitor.store.db import close_all
from monitor.watch.alerts import Alert

MAILS = Path(__file__).parent / "fixtures" / "objections"
CLAUSE = (
    "Der Widerspruch wird auf das Konto angewendet, bei dem du angemeldet bist, sowie auf alle Konten, "
    "die du derselben Kontenübersicht hinzugefügt hast."
)
REWORDED = "Der Widerspruch wird nur auf das Konto angewendet, bei dem du angemeldet bist."
FORM = """<html><head><title>Einspruch gegen die Verwendung deiner Informationen für KI bei Meta</title></head>
<body><main><h1>Einspruch gegen die Verwendung deiner Informationen für KI bei Meta</h1>
<p>Wir verbessern KI bei Meta laufend. Du kannst der Verwendung deiner Informationen zu diesen Zwecken
widersprechen. Wenn du einen Widerspruch einreichst, werden wir dir eine E-Mail mit der Bestätigung senden.</p>
<p>{clause}</p>
<p>Wir verarbeiten möglicherweise trotzdem Informationen über dich, um KI bei Meta zu entwickeln und weiter zu
verbessern, auch wenn du Einspruch eingelegt hast oder unsere Produkte gar nicht nutzt.</p>
</main></body></html>"""


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2025, 5, 20, 8, 0, tzinfo=UTC))


@pytest.fixture
def project(tmp_path: Path, httpserver: HTTPServer) -> Path:
    serve(httpserver, CLAUSE)
    config = tmp_path / "config.toml"
    config.write_text(
        f"""[fetch]
retries = 0
timeout = 5

[[pages]]
id = "facebook-ai-objection-de"
url = "{httpserver.url_for("/facebook")}"
platform = "facebook"
select = ["main"]

[[pages]]
id = "instagram-ai-objection-de"
url = "{httpserver.url_for("/instagram")}"
platform = "instagram"
select = ["main"]

[[watches]]
id = "accounts-center-scope-de"
pages = ["facebook-ai-objection-de", "instagram-ai-objection-de"]
kind = "clause"
text = "{CLAUSE}"
severity = "high"
""",
        encoding="utf-8",
    )
    return config


def serve(server: HTTPServer, clause: str) -> None:
    server.clear()
    for path in ("/facebook", "/instagram"):
        server.expect_request(path).respond_with_data(FORM.format(clause=clause), content_type="text/html")


def store_of(project: Path) -> Store:
    return Store(project.parent / "snapshots")


def test_a_german_confirmation_mail_fills_date_platform_and_case_id(project: Path, clock: FakeClock) -> None:
    assert run_cli(project, clock, "check")[0] == 0
    code, out = run_cli(project, clock, "objections", "add", "--confirmation", str(MAILS / "facebook-de.eml"))
    assert (code, out) == (
        0,
        "Recorded #1: your objection of 20 May 2025 on Facebook (case 1234567890123456); it concerns 1 page "
        "and 1 clause watch. See `privacy-monitor objections`.\n",
    )
    code, out = run_cli(project, clock, "objections", "--json")
    (objection,) = json.loads(out)["objections"]
    assert {k: objection[k] for k in ("id", "platform", "date", "case_id", "pages", "watches", "withdrawn")} == {
        "id": 1, "platform": "facebook", "date": "2025-05-20", "case_id": "1234567890123456",
        "pages": ["facebook-ai-objection-de"], "watches": ["accounts-center-scope-de"], "withdrawn": None,
    }  # fmt: skip
    mail = (MAILS / "facebook-de.eml").read_bytes()
    import hashlib

    digest = hashlib.sha256(mail).hexdigest()
    assert objection["confirmation"] == {
        "sha256": digest, "sent": "2025-05-20T19:14:03Z", "sender": "notification@facebookmail.com",
        "subject": "Wir haben deinen Einspruch erhalten", "case_id": "1234567890123456",
    }  # fmt: skip
    kept = project.parent / "snapshots" / "objections" / f"{digest}.eml"
    assert kept.read_bytes() == mail
    assert os.stat(kept).st_mode & 0o777 == 0o600
    assert os.stat(kept.parent).st_mode & 0o777 == 0o700


def test_a_confirmation_mail_s_day_is_the_day_it_was_sent_in_the_digest_time_zone(
    project: Path, clock: FakeClock
) -> None:
    """Sent at 21:14 in Berlin (19:14 UTC): already 21 May in Tokyo, where this reader lives and reads every time
    this tool shows. The sender's own zone used to decide the day, so the objection had the clause of the day
    before."""
    project.write_text(project.read_text() + '\n[digest]\ntimezone = "Asia/Tokyo"\n', encoding="utf-8")
    assert run_cli(project, clock, "check")[0] == 0
    code, out = run_cli(project, clock, "objections", "add", "--confirmation", str(MAILS / "facebook-de.eml"))
    assert (code, out.split(" on Facebook")[0]) == (0, "Recorded #1: your objection of 21 May 2025")
    code, out = run_cli(
        project,
        clock,
        "objections",
        "add",
        "--confirmation",
        str(MAILS / "facebook-de.eml"),
        "--date",
        "2025-05-21",
    )
    assert code == 0, out


def test_an_english_confirmation_mail_with_an_html_part_is_read_too(project: Path, clock: FakeClock) -> None:
    code, out = run_cli(
        project, clock, "objections", "add", "--platform", "instagram", "--account", "main account",
        "--confirmation", str(MAILS / "instagram-en.eml"),
    )  # fmt: skip
    assert code == 0, out
    assert out.startswith("Recorded #1: your objection of 20 May 2025 on Instagram (case 9876543210987654);")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (("--case-id", "111"), "the mail gives case ID 1234567890123456, but --case-id says 111; correct one of them"),
        (("--platform", "instagram"), "the mail comes from notification@facebookmail.com (facebook), but --platform says instagram; correct one of them"),
        (("--date", "2025-05-22"), "the mail was sent on 2025-05-20, which cannot confirm an objection made on 2025-05-22; correct --date or leave it out"),
    ],
)  # fmt: skip
def test_a_mail_that_contradicts_the_command_line_is_an_error(
    project: Path, clock: FakeClock, options: tuple[str, ...], message: str
) -> None:
    mail = MAILS / "facebook-de.eml"
    code, out = run_cli(project, clock, "objections", "add", "--confirmation", str(mail), *options)
    assert (code, out) == (2, f"Error: {mail}: {message}\n")
    assert json.loads(run_cli(project, clock, "objections", "--json")[1]) == {"objections": []}


def test_objections_shows_the_clause_of_that_day_and_the_word_diff_since(
    project: Path, clock: FakeClock, httpserver: HTTPServer
) -> None:
    run_cli(project, clock, "check")
    run_cli(
        project,
        clock,
        "objections",
        "add",
        "--platform",
        "facebook",
        "--date",
        "2025-05-20",
        "--case-id",
        "1234",
    )
    code, out = run_cli(project, clock, "objections")
    assert (code, out) == (
        0,
        "#1 20 May 2025, Facebook, case 1234\n"
        "  accounts-center-scope-de on facebook-ai-objection-de:\n"
        "    that day it read (version in effect since 2025-05-20 08:00 UTC):\n"
        f"      {CLAUSE}\n"
        "    unchanged since\n",
    )
    clock.set(datetime(2025, 7, 1, 8, 0, tzinfo=UTC))
    serve(httpserver, REWORDED)
    assert run_cli(project, clock, "check")[0] == 0
    code, out = run_cli(project, clock, "objections")
    assert out.splitlines()[2:] == [
        "    that day it read (version in effect since 2025-05-20 08:00 UTC):",
        f"      {CLAUSE}",
        "    changed since: 2025-07-01 08:00 UTC; it now reads:",
        f"      {REWORDED}",
        "    word diff: Der Widerspruch wird {+nur +}auf das Konto angewendet, bei dem du angemeldet bist[-, sowie auf "
        "alle Konten, die du derselben Kontenübersicht hinzugefügt hast-].",
    ]


def test_an_objection_before_the_first_stored_version_says_so(project: Path, clock: FakeClock) -> None:
    clock.set(datetime(2025, 6, 2, 9, 0, tzinfo=UTC))
    run_cli(project, clock, "check")
    run_cli(project, clock, "objections", "add", "--platform", "facebook", "--date", "2025-05-20")
    code, out = run_cli(project, clock, "objections")
    assert out.splitlines()[:3] == [
        "#1 20 May 2025, Facebook, no case ID",
        "  accounts-center-scope-de on facebook-ai-objection-de:",
        "    no version stored from that day; the first stored version, of 2025-06-02 09:00 UTC, reads:",
    ]


def test_a_rewording_raises_an_alert_that_names_the_objection_and_the_digest_line(
    project: Path, clock: FakeClock, httpserver: HTTPServer
) -> None:
    run_cli(project, clock, "check")
    run_cli(project, clock, "objections", "add", "--confirmation", str(MAILS / "facebook-de.eml"))
    clock.set(datetime(2025, 7, 1, 8, 0, tzinfo=UTC))
    serve(httpserver, REWORDED)
    store, config = store_of(project), load_config(project).config
    assert build_digest(store, config, clock.now, clock.now).objections == [
        "Your objection of 20 May 2025 on Facebook (case 1234567890123456): unchanged since you objected."
    ]
    code, out = run_cli(project, clock, "check", "facebook-ai-objection-de")
    assert code == 0, out
    (row,) = store.outbox.with_work_left()
    alerts = [Alert.from_json(alert) for alert in row.alerts]
    alert_notes(store, config, alerts)  # what the check does before it records its alerts
    text = " ".join(render_alerts(alerts, config.page("facebook-ai-objection-de")).text.split())
    assert (
        "This sentence decides what your objection of 20 May 2025 on Facebook (case 1234567890123456) covers. "
        f"On that day it read “{CLAUSE}”; now it reads “{REWORDED}”."
    ) in text
    digest = build_digest(store, config, clock.now, clock.now)
    assert digest.objections == [
        "Your objection of 20 May 2025 on Facebook (case 1234567890123456): accounts-center-scope-de on "
        f"facebook-ai-objection-de changed since you objected, it now reads “{REWORDED}”."
    ]


def test_a_withdrawn_objection_stays_in_the_chain_and_is_named_no_more(
    project: Path, clock: FakeClock
) -> None:
    run_cli(project, clock, "check")
    run_cli(project, clock, "objections", "add", "--platform", "facebook", "--date", "2025-05-20")
    assert run_cli(project, clock, "objections", "withdraw", "1", "--reason", "recorded twice") == (
        0, "Recorded: objection #1 withdrawn (its record stays in the chain).\n",
    )  # fmt: skip
    assert run_cli(project, clock, "objections", "withdraw", "1")[0] == 2
    assert run_cli(project, clock, "objections", "withdraw", "7") == (
        2, "Error: objections withdraw: no objection 7 (see `privacy-monitor objections`)\n",
    )  # fmt: skip
    out = run_cli(project, clock, "objections")[1]
    assert out.splitlines()[0] == "#1 20 May 2025, Facebook, no case ID, WITHDRAWN 2025-05-20 08:00 UTC"
    store = store_of(project)
    assert build_digest(store, load_config(project).config, clock.now, clock.now).objections == []


def test_verify_names_an_edited_or_deleted_objection_record(project: Path, clock: FakeClock) -> None:
    for day in ("2025-05-20", "2025-05-21", "2025-05-22"):
        run_cli(project, clock, "objections", "add", "--platform", "facebook", "--date", day)
    assert run_cli(project, clock, "verify")[0] == 0
    close_all()
    db = project.parent / "snapshots" / "monitor.db"
    conn = sqlite3.connect(db)
    conn.execute("DELETE FROM objections WHERE seq = 2")
    conn.commit()
    conn.close()
    code, out = run_cli(project, clock, "verify")
    assert code == 4
    assert f"{db}: objections row 3: the objections chain breaks here: row 2 missing (deleted)" in out


def test_an_unknown_platform_names_the_known_ones(project: Path, clock: FakeClock) -> None:
    assert run_cli(project, clock, "objections", "add", "--platform", "linkedin", "--date", "2025-05-20") == (
        2,
        "Error: objections add: no page in the config has platform = 'linkedin' (known: facebook, instagram); "
        "give --pages PAGE..., or set `platform` on the platform's [[pages]]\n",
    )


def test_the_digest_mail_has_a_section_with_one_line_per_objection(project: Path, clock: FakeClock) -> None:
    run_cli(project, clock, "check")
    run_cli(
        project,
        clock,
        "objections",
        "add",
        "--platform",
        "facebook",
        "--date",
        "2025-05-20",
        "--case-id",
        "42x1",
    )
    run_cli(project, clock, "objections", "add", "--platform", "instagram", "--date", "2025-05-20")
    code, out = run_cli(project, clock, "digest", "--print")
    assert code == 0, out
    section = out.split("== YOUR OBJECTIONS ==\n", 1)[1].split("\n\n", 1)[0]
    assert section.splitlines() == [
        "  Your objection of 20 May 2025 on Facebook (case 42x1): unchanged since you",
        "  objected.",
        "  Your objection of 20 May 2025 on Instagram: unchanged since you objected.",
    ]


@pytest.mark.parametrize(
    ("line", "case_id"),
    [
        ("Case ID: 1234567890", "1234567890"),
        ("Your case number is 55501234.", "55501234"),
        ("Fall-ID: 98765-4321", "98765-4321"),
        ("Deine Fall-ID lautet 7777123", "7777123"),
        ("Vorgangsnummer: 31415926", "31415926"),
        ("In case you have questions, reply to this mail.", None),
    ],
)
def test_the_case_id_is_found_in_english_and_german_wording(
    tmp_path: Path, line: str, case_id: str | None
) -> None:
    from monitor.objections.mail import read_confirmation

    mail = tmp_path / "mail.eml"
    mail.write_text(
        "From: Meta <notification@facebookmail.com>\nSubject: Einspruch\nDate: Tue, 20 May 2025 21:14:03 +0200\n"
        f"Content-Type: text/plain; charset=utf-8\n\nHallo,\n\n{line}\n",
        encoding="utf-8",
    )
    assert read_confirmation(mail).case_id == case_id


def test_a_file_that_is_not_a_mail_is_one_line_exit_2(
    project: Path, clock: FakeClock, tmp_path: Path
) -> None:
    junk = tmp_path / "notes.txt"
    junk.write_text("my objection, 20 May\n", encoding="utf-8")
    assert run_cli(project, clock, "objections", "add", "--confirmation", str(junk)) == (
        2, f"Error: {junk}: not a mail (no From or Date header); save the mail as .eml and give that file\n",
    )  # fmt: skip
    missing = tmp_path / "gone.eml"
    code, out = run_cli(project, clock, "objections", "add", "--confirmation", str(missing))
    assert (code, out) == (
        2,
        f"Error: {missing}: cannot read the confirmation mail (No such file or directory); give a saved .eml file\n",
    )


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        ("UPDATE objections SET record = replace(record, '2025-05-21', '2025-05-11') WHERE seq = 2",
         "objections row 2: damaged record (it does not hash to its digest)"),
        ("DELETE FROM objections WHERE seq = 1", "objections row 2: the objections chain breaks here: row 1 missing (deleted)"),
    ],
)  # fmt: skip
def test_verify_finds_every_kind_of_objection_damage(
    project: Path, clock: FakeClock, damage: str, expected: str
) -> None:
    for day in ("2025-05-20", "2025-05-21", "2025-05-22"):
        run_cli(project, clock, "objections", "add", "--platform", "facebook", "--date", day)
    close_all()
    db = project.parent / "snapshots" / "monitor.db"
    conn = sqlite3.connect(db)
    conn.execute(damage)
    conn.commit()
    conn.close()
    code, out = run_cli(project, clock, "verify")
    assert code == 4 and f"{db}: {expected}" in out, out


def test_a_record_rewritten_with_its_digest_breaks_the_chain_at_the_next_row(
    project: Path, clock: FakeClock
) -> None:
    from monitor.store.chain import record_digest

    for day in ("2025-05-20", "2025-05-21", "2025-05-22"):
        run_cli(project, clock, "objections", "add", "--platform", "facebook", "--date", day)
    close_all()
    db = project.parent / "snapshots" / "monitor.db"
    conn = sqlite3.connect(db)
    (record,) = conn.execute("SELECT record FROM objections WHERE seq = 2").fetchone()
    forged = record.replace("2025-05-21", "2025-05-11")
    conn.execute(
        "UPDATE objections SET record = ?, digest = ? WHERE seq = 2", (forged, record_digest(forged))
    )
    conn.commit()
    conn.close()
    code, out = run_cli(project, clock, "verify")
    assert code == 4
    assert f"{db}: objections row 3: the objections chain breaks here: it names" in out


def test_the_clause_history_is_replayed_once_per_timeline_and_the_notes_stay_the_same(
    project: Path, clock: FakeClock, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from monitor.objections import clause

    run_cli(project, clock, "check")
    run_cli(project, clock, "objections", "add", "--confirmation", str(MAILS / "facebook-de.eml"))
    run_cli(project, clock, "objections", "add", "--platform", "facebook", "--date", "2025-05-21")
    clock.set(datetime(2025, 7, 1, 8, 0, tzinfo=UTC))
    serve(httpserver, REWORDED)
    assert run_cli(project, clock, "check", "facebook-ai-objection-de")[0] == 0
    store, config = store_of(project), load_config(project).config
    (row,) = store.outbox.with_work_left()
    replays: list[str] = []  # a spy: counts the replays, changes nothing
    real = clause.wording_history
    monkeypatch.setattr(clause, "wording_history", lambda *args: replays.append(args[2]) or real(*args))
    clause._histories.clear()
    first = [Alert.from_json(alert) for alert in row.alerts]
    alert_notes(store, config, first)  # two objections on this clause: one replay
    again = [Alert.from_json(alert) for alert in row.alerts]
    alert_notes(store, config, again)  # the same timeline: none
    digest_lines = build_digest(store, config, clock.now, clock.now).objections  # the digest shares it
    assert replays == ["facebook-ai-objection-de"]
    notes = [alert.details["objections"] for alert in first]
    assert notes == [alert.details["objections"] for alert in again]
    assert [[(n["id"], n["then"], n["before_first"]) for n in alert_notes_] for alert_notes_ in notes] == [
        [(1, CLAUSE, False), (2, CLAUSE, False)]
    ]
    assert len(digest_lines) == 2
    clock.set(datetime(2025, 7, 2, 8, 0, tzinfo=UTC))
    serve(httpserver, CLAUSE)
    assert run_cli(project, clock, "check", "facebook-ai-objection-de")[0] == 0
    assert replays == [
        "facebook-ai-objection-de"
    ]  # its alert's notes: the timeline before it, still no replay
    build_digest(store, config, clock.now, clock.now)  # the timeline has a new version now: replayed anew
    assert replays == ["facebook-ai-objection-de"] * 2
