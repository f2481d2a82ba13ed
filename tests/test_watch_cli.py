"""`privacy-monitor watches` and `privacy-monitor outbox`, end to end: a real store, a real SMTP server on
loopback, a fixed clock, exact output."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from service_support import evaluate_and_keep
from smtp_support import Inbox, free_port, smtp_server

from monitor.cli.main import State, main
from monitor.config.loading import load_config
from monitor.models import Document
from monitor.notify.base import build_notifiers
from monitor.notify.outbox import Outbox
from monitor.store.core import Store

CLAUSE = (
    "Der Widerspruch wird auf das Konto angewendet, bei dem du angemeldet bist, sowie auf alle Konten, "
    "die du derselben Kontenübersicht hinzugefügt hast."
)
V1 = f"# KI bei Meta\n\nWir verbessern KI bei Meta laufend.\n\n{CLAUSE}\n\nDu kannst widersprechen.\n"
V2 = V1.replace("alle Konten", "einige Konten")
V3 = V2.replace(CLAUSE.replace("alle", "einige") + "\n\n", "")  # deleted: nothing takes its place


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 6, 1, 10, 30, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    port = free_port()
    (tmp_path / "config.toml").write_text(
        f"""
[[pages]]
id = "facebook-ai-objection-de"
url = "https://www.facebook.com/privacy/genai/"

[[pages]]
id = "instagram-ai-objection-de"
url = "https://privacycenter.instagram.com/privacy/genai/"

[[watches]]
id = "accounts-center-scope"
pages = ["facebook-ai-objection-de", "instagram-ai-objection-de"]
kind = "clause"
text = "{CLAUSE}"
severity = "high"

[[watches]]
id = "legitimate-interests"
pages = ["facebook-ai-objection-de"]
kind = "term"
text = "berechtigter Interessen"
severity = "medium"

[notify]
retry_backoff = "5m"

[notify.email]
host = "127.0.0.1"
port = {port}
security = "none"
from = "monitor@example.org"
to = ["reader@example.org"]
timeout = 5
""",
        encoding="utf-8",
    )
    return tmp_path


def run(project: Path, *args: str, clock: Clock | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(
        main, ["-c", str(project / "config.toml"), *args], obj=State(clock=clock or Clock())
    )
    return result.exit_code, result.output


def history(project: Path, texts: list[str]) -> list:
    """Evaluate the watches on versions of the Facebook page, as the checks would have."""
    loaded = load_config(project / "config.toml")
    store = Store(loaded.store_path)
    alerts, old, previous = [], None, None
    for day, text in enumerate(texts, start=1):
        new = Document.from_text(text)
        alerts += evaluate_and_keep(
            store, loaded.config.watches, "facebook-ai-objection-de", old=old, new=new, diff=None,
            version=sha(text), previous=previous, time=f"2026-05-{day:02d}T10:00:00Z",
        )  # fmt: skip
        old, previous = new, sha(text)
    return alerts


def test_watches_shows_current_wording_and_last_change(project: Path) -> None:
    history(project, [V1, V2])
    code, output = run(project, "watches")
    assert code == 0
    assert output == (
        "accounts-center-scope (clause, high) on facebook-ai-objection-de\n"
        "  status:   found (score 97.32, 1 occurrence)\n"
        "  section:  KI bei Meta\n"
        f"  wording:  {CLAUSE.replace('alle', 'einige')}\n"
        f"  changed:  2026-05-02 10:00 UTC (changed), version {sha(V2)[:12]} from {sha(V1)[:12]}\n"
        f"  checked:  2026-05-02 10:00 UTC, version {sha(V2)[:12]}\n"
        "\n"
        "accounts-center-scope (clause, high) on instagram-ai-objection-de\n"
        "  status:   not evaluated yet (run `privacy-monitor check instagram-ai-objection-de`)\n"
        "\n"
        "legitimate-interests (term, medium) on facebook-ai-objection-de\n"
        "  status:   NOT FOUND\n"
        f"  changed:  never since the baseline (2026-05-01 10:00 UTC, version {sha(V1)[:12]})\n"
        f"  checked:  2026-05-02 10:00 UTC, version {sha(V2)[:12]}\n"
    )


def test_watches_shows_a_removed_clause_with_the_nearest_text(project: Path) -> None:
    history(project, [V1, V2, V3])
    code, output = run(project, "watches")
    first = output.split("\n\n")[0]
    assert first == (
        "accounts-center-scope (clause, high) on facebook-ai-objection-de\n"
        "  status:   NOT FOUND (last seen in KI bei Meta)\n"
        f"  last:     {CLAUSE.replace('alle', 'einige')}\n"
        "  nearest:  score 26.23 in KI bei Meta: Wir verbessern KI bei Meta laufend.\n"
        f"  changed:  2026-05-03 10:00 UTC (removed), version {sha(V3)[:12]} from {sha(V2)[:12]}\n"
        f"  checked:  2026-05-03 10:00 UTC, version {sha(V3)[:12]}"
    )


def test_watches_json(project: Path) -> None:
    history(project, [V1, V2])
    code, output = run(project, "watches", "--json")
    rows = json.loads(output)["watches"]
    assert code == 0
    assert [(r["watch"], r["page"], r["status"]) for r in rows] == [
        ("accounts-center-scope", "facebook-ai-objection-de", "found"),
        ("accounts-center-scope", "instagram-ai-objection-de", "not evaluated"),
        ("legitimate-interests", "facebook-ai-objection-de", "missing"),
    ]
    assert rows[0] == {
        "watch": "accounts-center-scope", "page": "facebook-ai-objection-de", "kind": "clause", "severity": "high",
        "status": "found", "wording": CLAUSE.replace("alle", "einige"), "section": ["KI bei Meta"], "score": 97.32,
        "count": 1, "near": None, "version": sha(V2), "checked": "2026-05-02T10:00:00Z",
        "since": {"time": "2026-05-01T10:00:00Z", "version": sha(V1)},
        "changed": {"time": "2026-05-02T10:00:00Z", "version": sha(V2), "previous": sha(V1), "kind": "changed"},
    }  # fmt: skip


def test_outbox_lists_what_waits_and_retry_delivers_it(project: Path) -> None:
    [_term_not_found, alert] = history(project, [V1, V2])
    loaded = load_config(project / "config.toml")
    clock = Clock()
    outbox = Outbox(Store(loaded.store_path), clock, loaded.config.notify)
    outbox.put(alert)
    assert run(project, "outbox") == (0, (
        "1 alert: 1 pending, 0 given up\n"
        "\n"
        f"pending  {alert.id}  facebook-ai-objection-de: accounts-center-scope changed (high)\n"
        f"         queued 2026-06-01 10:30 UTC, version {sha(V2)[:12]}\n"
        "         not tried yet\n"
    ))  # fmt: skip
    port = loaded.config.notify.email.port
    outbox.deliver(build_notifiers(loaded.config.notify, base_dir=loaded.base_dir))
    assert run(project, "outbox")[1].splitlines()[4] == (
        f"         email: 1 attempt failed (SMTP 127.0.0.1:{port}: connection refused (is the server running? "
        "check host and port)); next try 2026-06-01 10:35 UTC"
    )
    code, output = run(project, "outbox", "--retry")  # still down: kept, exit status 6
    assert (code, output.splitlines()[:2]) == (
        6,
        [
            "Retried 1 delivery: 0 sent, 1 failed; 1 still pending, tried again with backoff.",
            "1 alert: 1 pending, 0 given up",
        ],
    )
    inbox = Inbox()
    with smtp_server(inbox, port=port):
        code, output = run(project, "outbox", "--retry")
    assert (code, output) == (
        0,
        "Retried 1 delivery: 1 sent, 0 failed.\nOutbox empty: no alert is waiting to be delivered.\n",
    )
    assert [str(message["Message-ID"]) for message in inbox.messages] == [alert.message_id]


def test_outbox_json(project: Path) -> None:
    [_term_not_found, alert] = history(project, [V1, V2])
    loaded = load_config(project / "config.toml")
    Outbox(Store(loaded.store_path), Clock(), loaded.config.notify).put(alert)
    code, output = run(project, "outbox", "--json")
    [entry] = json.loads(output)["entries"]
    assert code == 0
    assert (entry["id"], entry["status"], entry["message_id"]) == (alert.id, "pending", alert.message_id)
    assert entry["alert"] == alert.to_json()


def test_outbox_retry_without_notifiers_says_what_to_configure(project: Path) -> None:
    config = project / "config.toml"
    config.write_text(config.read_text().split("[notify]")[0])
    assert run(project, "outbox", "--retry") == (
        2,
        "Error: no notifier configured: add [notify.email] or [notify.apprise] to the config\n",
    )
    assert run(project, "outbox") == (0, "Outbox empty: no alert is waiting to be delivered.\n")


def test_no_watches(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("")
    result = CliRunner().invoke(
        main, ["-c", str(tmp_path / "config.toml"), "watches"], obj=State(clock=Clock())
    )
    assert (result.exit_code, result.output) == (
        0,
        "No watches configured (add [[watches]] tables to the config).\n",
    )
