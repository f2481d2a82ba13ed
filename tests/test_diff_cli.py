"""`privacy-monitor diff` end to end: a real store written the way the pipeline writes it, real files, a real HTTP
server on loopback for `live` and URLs. Exit codes as diff(1): 0 no change, 1 changes, 2 trouble."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from pytest_httpserver import HTTPServer

from monitor.cli.main import State, main
from monitor.models import CheckRecord, Outcome
from monitor.store.core import Store

PAGE = "fb-privacy"
V1 = (
    "# Privacy Policy\n\nEffective June 16, 2025\n\n## How we use information\n\n"
    "We may share your information with partners.\n\nWe don't sell it.\n"
)
V2 = (
    "# Privacy Policy\n\nEffective December 16, 2025\n\n## How we use information\n\n"
    "We will share your information with partners.\n\nWe don’t sell it.\n\n## Retention\n\nWe keep it for 30 days.\n"
)
V3 = V2.replace("We keep it for 30 days.", "We keep it for 30 days!")  # a cosmetic edit only
LIVE_HTML = (
    "<html><head><title>Privacy Policy</title></head><body><main><h1>Privacy Policy</h1>"
    "<p>Effective December 16, 2025</p><h2>How we use information</h2>"
    "<p>We will share your information with partners.</p><p>We don’t sell it.</p>"
    "<h2>Retention</h2><p>We keep it for 90 days!</p></main></body></html>"
)


def now() -> datetime:
    return datetime(2026, 1, 8, 9, 0, tzinfo=UTC)


def record_versions(store: Store, versions: list[tuple[str, str]]) -> list[str]:
    """Store versions the way the pipeline does: the blob, then the check that brought it."""
    ids: list[str] = []
    for time, text in versions:
        with store.transaction():
            version = store.versions.put(PAGE, text, None)
            outcome = Outcome.CHANGED if ids else Outcome.NEW
            store.checks.append(
                CheckRecord(
                    page=PAGE,
                    time=time,
                    url="https://example.test/privacy",
                    outcome=outcome,
                    status=200,
                    text_sha256=version,
                    version=version,
                    previous=ids[-1] if ids else None,
                )
            )
        ids.append(version)
    return ids


@pytest.fixture
def project(tmp_path: Path, httpserver: HTTPServer) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(
        f"""
[fetch]
retries = 0
timeout = 5

[[pages]]
id = "{PAGE}"
url = "{httpserver.url_for("/policy")}"
min_words = 3
"""
    )
    return config


@pytest.fixture
def versions(project: Path) -> list[str]:
    store = Store(project.parent / "snapshots")
    return record_versions(
        store, [("2026-01-05T08:00:00Z", V1), ("2026-01-06T08:00:00Z", V2), ("2026-01-07T08:00:00Z", V3)]
    )


def run(config: Path | None, *args: str) -> tuple[int, str, str]:
    options = ["-c", str(config)] if config else []
    result = CliRunner().invoke(main, [*options, "diff", *args], obj=State(clock=now))
    return result.exit_code, result.stdout, result.stderr


def test_previous_to_latest_by_default(project: Path, versions: list[str]) -> None:
    v2, v3 = versions[1][:12], versions[2][:12]
    assert run(project, PAGE) == (
        1,
        f"--- {PAGE} {v2} (2026-01-06 08:00 UTC)\n"
        f"+++ {PAGE} {v3} (2026-01-07 08:00 UTC)\n"
        "no substantive change (1 cosmetic edit)\n"
        "1 change (0 substantive, 1 cosmetic): 1 modified\n"
        "\n"
        "@@ Privacy Policy › Retention @@\n"
        "    ## Retention\n"
        "~ modified · cosmetic\n"
        "    We keep it for 30 days[-.-]{+!+}\n",
        "",
    )


def test_versions_by_date_and_by_id_prefix(project: Path, versions: list[str]) -> None:
    v1, v2 = versions[0], versions[1]
    code, by_date, _ = run(project, PAGE, "2026-01-05", "2026-01-06", "--context", "0")
    assert code == 1
    assert by_date == (
        f"--- {PAGE} {v1[:12]} (2026-01-05 08:00 UTC)\n"
        f"+++ {PAGE} {v2[:12]} (2026-01-06 08:00 UTC)\n"
        "Effective December 16, 2025 · 1 section added · 4 substantive changes\n"
        "5 changes (4 substantive, 1 cosmetic): 3 modified, 2 added\n"
        "Dated: Effective June 16, 2025 → Effective December 16, 2025\n"
        "Sections added: Privacy Policy › Retention\n"
        "\n"
        "@@ Privacy Policy @@\n"
        "~ modified · substantive · touches: June, December (dates)\n"
        "    Effective [-June-]{+December+} 16, 2025\n"
        "\n"
        "@@ Privacy Policy › How we use information @@\n"
        "~ modified · substantive · touches: may, will (permission or duty)\n"
        "    We [-may-]{+will+} share your information with partners.\n"
        "~ modified · cosmetic\n"
        "    We don[-'-]{+’+}t sell it.\n"
        "\n"
        "@@ Privacy Policy › Retention @@\n"
        "+ added · substantive\n"
        "    ## {+Retention+}\n"
        "+ added · substantive · touches: 30 (numbers)\n"
        "    {+We keep it for 30 days.+}\n"
    )
    assert run(project, PAGE, v1[:8], v2[:8], "--context", "0")[1] == by_date
    assert run(project, PAGE, "2026-01-05T09:30:00Z", "previous", "--context", "0")[1] == by_date


def test_no_change_exits_0(project: Path, versions: list[str]) -> None:
    code, output, _ = run(project, PAGE, "latest", "latest")
    assert (code, output.splitlines()[2:]) == (0, ["No changes."])


def test_substantive_only_and_section_filters(project: Path, versions: list[str]) -> None:
    code, output, _ = run(project, PAGE, "--substantive-only")
    assert (code, output.splitlines()[2:]) == (0, ["No changes."])  # previous → latest is cosmetic only
    code, output, _ = run(project, PAGE, versions[0][:8], "latest", "--section", "HOW WE", "--context", "0")
    assert code == 1
    assert [line for line in output.splitlines() if line.startswith(("~", "+ ", "- "))] == [
        "~ modified · substantive · touches: may, will (permission or duty)",
        "~ modified · cosmetic",
    ]
    code, output, _ = run(project, PAGE, versions[0][:8], "--section", "nowhere")
    assert (code, output.splitlines()[2]) == (0, "No changes.")


def test_json_format(project: Path, versions: list[str]) -> None:
    code, output, _ = run(project, PAGE, "previous", "latest", "--format", "json")
    data = json.loads(output)
    assert code == 1
    assert data["page"] == PAGE
    assert data["from"] == {
        "id": versions[1],
        "since": "2026-01-06T08:00:00Z",
        "until": "2026-01-07T08:00:00Z",
        "label": f"{versions[1][:12]} (2026-01-06 08:00 UTC)",
    }
    assert (data["to"]["id"], data["to"]["until"]) == (versions[2], None)
    assert data["summary"] == {
        "by_kind": {"modified": 1, "added": 0, "removed": 0, "moved": 0},
        "by_class": {"substantive": 0, "cosmetic": 1},
        "total": 1,
    }
    (change,) = data["changes"]
    assert (change["kind"], change["class"], change["section"], change["old"], change["new"]) == (
        "modified",
        "cosmetic",
        ["Privacy Policy", "Retention"],
        "We keep it for 30 days.",
        "We keep it for 30 days!",
    )
    assert change["ops"] == [
        {"tag": "equal", "old": "We keep it for 30 days", "new": "We keep it for 30 days"},
        {"tag": "replace", "old": ".", "new": "!"},
    ]


def test_html_to_a_file_escapes_page_text(project: Path, tmp_path: Path) -> None:
    store = Store(project.parent / "snapshots")
    record_versions(
        store,
        [
            ("2026-01-05T08:00:00Z", "# Policy <script>alert(1)</script>\n\nWe may share it.\n"),
            ("2026-01-06T08:00:00Z", "# Policy <script>alert(1)</script>\n\nWe will share it <b>now</b>.\n"),
        ],
    )
    out = tmp_path / "changes.html"
    assert run(project, PAGE, "--format", "html", "--out", str(out)) == (1, "", "")
    page = out.read_text(encoding="utf-8")
    assert "<script" not in page and "<b>now" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&lt;b&gt;now&lt;/b&gt;" in page


def test_color_only_when_asked_or_on_a_terminal(project: Path, versions: list[str]) -> None:
    assert "\x1b[" not in run(project, PAGE)[1]  # CliRunner's stdout is not a terminal
    assert "\x1b[31m" in run(project, PAGE, "--color")[1]


def test_live_compares_with_the_page_now_and_stores_nothing(
    project: Path, versions: list[str], httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/policy").respond_with_data(LIVE_HTML, content_type="text/html")
    store = Store(project.parent / "snapshots")
    checks_before = len(store.checks.list(PAGE))
    code, output, _ = run(project, PAGE, "latest", "live", "--context", "0")
    assert code == 1
    assert output.splitlines() == [
        f"--- {PAGE} {versions[2][:12]} (2026-01-07 08:00 UTC)",
        f"+++ {PAGE} live (2026-01-08 09:00 UTC)",
        "1 substantive change",
        "1 change (1 substantive, 0 cosmetic): 1 modified",
        "",
        "@@ Privacy Policy › Retention @@",
        "~ modified · substantive · touches: 30, 90 (numbers)",
        "    We keep it for [-30-]{+90+} days!",
    ]
    assert len(Store(project.parent / "snapshots").checks.list(PAGE)) == checks_before
    assert run(project, PAGE, "live", "--context", "0")[1] == output  # `PAGE live` alone: latest → live


def test_live_failure_exits_2_whatever_the_error(
    project: Path, versions: list[str], httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/policy").respond_with_data("down", status=503)
    code, output, error = run(project, PAGE, "latest", "live")
    assert (code, output) == (2, "")
    assert error == f"Error: {httpserver.url_for('/policy')}: the live page is not the document (HTTP 503)\n"


@pytest.mark.parametrize(
    "args, message",
    [
        ([PAGE, "deadbeef"], "Error: no version 'deadbeef' of page 'fb-privacy'; use latest, previous"),
        ([PAGE, "tomorrow"], "Error: no version 'tomorrow' of page 'fb-privacy'; use latest, previous"),
        ([PAGE, "latest", "live", "extra"], "Usage:"),
        (["no-such-page"], "Error: 'no-such-page' is not a configured page id;"),
        (
            ["missing.html", "other.html"],
            "Error: missing.html: no such file, and not a configured page id or http(s) URL",
        ),
    ],
)
def test_trouble_exits_2(project: Path, versions: list[str], args: list[str], message: str) -> None:
    code, output, error = run(project, *args)
    assert (code, output) == (2, "")
    assert error.startswith(message), error


def test_two_files_of_any_kind_without_a_config(tmp_path: Path) -> None:
    (tmp_path / "old.html").write_text(LIVE_HTML.replace("90 days", "30 days"), encoding="utf-8")
    (tmp_path / "new.txt").write_text(V3, encoding="utf-8")  # our stored text form
    (tmp_path / "ota.md").write_text(
        "Privacy Policy\n==============\n\nEffective December 16, 2025\n\nRetention\n---------\n\n"
        "We keep it\nfor [30 days](https://example.test/retention)!\n",
        encoding="utf-8",
    )
    config = tmp_path / "absent.toml"
    code, output, _ = run(config, str(tmp_path / "old.html"), str(tmp_path / "new.txt"))
    assert (code, output.splitlines()[2]) == (0, "No changes.")  # the same text, once extracted
    code, output, _ = run(config, str(tmp_path / "new.txt"), str(tmp_path / "ota.md"), "--context", "0")
    assert code == 1
    assert output.splitlines()[:4] == [
        f"--- {tmp_path / 'new.txt'}",
        f"+++ {tmp_path / 'ota.md'}",
        "1 section removed · 3 substantive changes",
        "3 changes (3 substantive, 0 cosmetic): 3 removed",
    ]


def test_two_urls(tmp_path: Path, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/old").respond_with_data(
        LIVE_HTML.replace("90 days", "30 days"), content_type="text/html"
    )
    httpserver.expect_request("/new").respond_with_data(LIVE_HTML, content_type="text/html")
    code, output, _ = run(
        tmp_path / "absent.toml", httpserver.url_for("/old"), httpserver.url_for("/new"), "--context", "0"
    )
    assert code == 1
    assert output.splitlines()[-2:] == [
        "~ modified · substantive · touches: 30, 90 (numbers)",
        "    We keep it for [-30-]{+90+} days!",
    ]
