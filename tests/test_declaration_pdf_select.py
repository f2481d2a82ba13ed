"""A declaration of a PDF document whose `select` is prose, not CSS (OTA's schema asks for a `select` even for a
PDF, so a declaration may carry one that says it is unused): a PDF has no DOM, so the select is ignored and the
report is checked, as OTA's engine does; the same declaration answered with HTML fails its check naming the
file and key, and `config check` says it as a note, not an error."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cli_support import LOOPBACK_FETCH, run_cli
from pdf_support import report_pdf
from pytest_httpserver import HTTPServer

from monitor.store.core import Store
from monitor.store.db import close_all

PROSE = "Not used: the schema wants a select and this document is a PDF, which has none"
TERMS = "Transparency Report"
HTML = (
    "<html><body><main><h1>Transparency Report</h1>"
    + "<p>We publish how many requests for your data we received and how we answered them.</p>" * 4
    + "</main></body></html>"
)


def clock() -> datetime:
    return datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def served() -> Iterator[HTTPServer]:
    server = HTTPServer()
    server.start()
    server.expect_request("/report.pdf").respond_with_data(report_pdf(), content_type="application/pdf")
    server.expect_request("/report.html").respond_with_data(HTML, content_type="text/html")
    yield server
    server.clear()
    server.stop()


def project(folder: Path, terms: dict[str, object]) -> tuple[Path, Path]:
    """A checkout holding `Example.json` with `terms` as its one terms type, and a config following it; the
    config's path and the declaration's."""
    declarations = folder / "ota" / "declarations"
    declarations.mkdir(parents=True)
    file = declarations / "Example.json"
    file.write_text(json.dumps({"name": "Example", "terms": {TERMS: terms}}), encoding="utf-8")
    config = folder / "config.toml"
    config.write_text(
        LOOPBACK_FETCH + '[[pages]]\nid = "report"\n'
        f'declaration = {{ path = "ota", service = "Example", terms = "{TERMS}" }}\n',
        encoding="utf-8",
    )
    close_all()
    return config, file


def test_a_pdf_document_is_checked_whatever_its_select_says(served: HTTPServer, tmp_path: Path) -> None:
    config, _ = project(tmp_path, {"fetch": served.url_for("/report.pdf"), "select": PROSE})
    code, output = run_cli(config, clock, "check")
    assert code == 0 and output.split()[:2] == ["report", "new"], output
    store = Store(tmp_path / "snapshots")
    current = store.versions.current("report")
    assert current is not None
    assert "Section 1" in store.versions.read_text("report", current.id)


def test_the_same_declaration_answered_with_html_fails_naming_the_file_and_key(
    served: HTTPServer, tmp_path: Path
) -> None:
    config, file = project(tmp_path, {"fetch": served.url_for("/report.html"), "select": PROSE})
    code, output = run_cli(config, clock, "check")
    assert code == 3 and output.split()[:2] == ["report", "failed"], output
    assert f"{file}: terms.{TERMS}.select: not a CSS selector: {PROSE!r}" in output, output
    assert Store(tmp_path / "snapshots").versions.current("report") is None


def test_config_check_says_it_as_a_note_naming_the_page_file_and_key(
    served: HTTPServer, tmp_path: Path
) -> None:
    config, file = project(tmp_path, {"fetch": served.url_for("/report.pdf"), "select": PROSE})
    code, output = run_cli(config, clock, "config", "check")
    assert code == 0, output
    notes = [line for line in output.splitlines() if line.startswith("note: ")]
    assert len(notes) == 1, output
    assert notes[0].startswith(
        f"note: page report: {file}: terms.{TERMS}.select: not a CSS selector: {PROSE!r}"
    )
    assert notes[0].endswith("(ignored while the document is a PDF; any other capture fails its check)")
    assert output.splitlines()[-1].startswith(f"{config}: ok (1 page"), output


def test_a_combined_document_s_pdf_part_ignores_its_select_and_its_html_part_keeps_its_own(
    served: HTTPServer, tmp_path: Path
) -> None:
    """The prose is the PDF part's own `select`; the HTML part selects with the shared one."""
    config, _ = project(
        tmp_path,
        {
            "select": "main",
            "combine": [
                {"fetch": served.url_for("/report.pdf"), "select": PROSE},
                {"fetch": served.url_for("/report.html")},
            ],
        },
    )
    code, output = run_cli(config, clock, "check")
    assert code == 0 and output.split()[:2] == ["report", "new"], output
    store = Store(tmp_path / "snapshots")
    current = store.versions.current("report")
    assert current is not None
    text = store.versions.read_text("report", current.id)
    assert "Section 1" in text and "We publish how many requests" in text
