"""Importing an Open Terms Archive *snapshots* repository, as `git clone --bare` leaves it: each raw capture is
extracted under the declaration in force at its date (`<service>.history.json`, `validUntil`), keeps its raw
capture as evidence, carries the summary and effective date a live check's change carries, and keeps where OTA
fetched it (the address in the commit's trailers, the fetch time, the commit), which `export` names."""

from __future__ import annotations

import json
import shutil
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cli_support import run_cli
from ota_repo_support import bare_clone, git

from monitor.config.loading import load_config
from monitor.store.core import Store
from monitor.store.records import is_imported, is_technical
from monitor.store.writes import rules_parts_file

pytestmark = pytest.mark.corpus

ADDRESS = "https://www.facebook.com/legal/eu-ai-terms"
DOCUMENT = "Meta AI/Terms of Service.html"
RANGE = {"startBefore": '[role="main"]', "endAfter": '[role="separator"]'}
# Before 1 March 2026 the declaration took the whole main region (footer links and all); since, OTA's range.
OLD_SELECT = '[role="main"]'
# Three real captures of the Meta AI Terms (EU): the first record, the day before the 13 May 2026 update, and
# the capture OTA extracted its version of 13 May from.
CAPTURES = [
    (
        "2026-01-21T23:36:24Z",
        "html/genai-eu-snapshots/Meta_AI/Terms_of_Service/2026-01-21T23-36-24Z_837ff22f.html",
    ),
    (
        "2026-05-12T10:32:37Z",
        "html/genai-eu-snapshots/Meta_AI/Terms_of_Service/2026-05-12T10-32-37Z_c3a2eeac.html",
    ),
    ("2026-05-13T10:32:30Z", "ota/cases/genai-eu/Meta_AI__Terms_of_Service/part-0.html"),
]


def clock() -> datetime:
    return datetime(2026, 12, 1, tzinfo=UTC)


def snapshots_repository(corpus: Path, folder: Path, captures: list[tuple[str, str]] = CAPTURES) -> Path:
    """A bare clone of an OTA snapshots repository holding `captures`, committed as OTA's engine commits them."""
    work = folder / "snapshots"
    (work / "Meta AI").mkdir(parents=True)
    git(work, "init", "-q")
    for n, (date, capture) in enumerate(captures):
        shutil.copyfile(corpus / capture, work / DOCUMENT)
        git(work, "add", "-A")
        subject = "First record of" if n == 0 else "Record new changes of"
        trailers = f"X-fetcher: fullDom\nX-source-document-location: {ADDRESS}\nX-engine-version: 10.1.2"
        git(work, "commit", "-q", "-m", f"{subject} Meta AI Terms of Service", "-m", trailers, date=date)
    bare = folder / "snapshots.git"
    bare_clone(work, bare)
    shutil.rmtree(work)
    return bare


def project(folder: Path) -> Path:
    """A page following a declaration whose region changed on 1 March 2026 (the history says so)."""
    declarations = folder / "checkout" / "declarations"
    declarations.mkdir(parents=True)
    terms = {"fetch": "http://127.0.0.1:9/eu-ai-terms", "executeClientScripts": True, "select": [RANGE]}
    (declarations / "Meta AI.json").write_text(
        json.dumps({"name": "Meta AI", "terms": {"Terms of Service": terms}})
    )
    history = {"Terms of Service": [{**terms, "select": OLD_SELECT, "validUntil": "2026-03-01T00:00:00Z"}]}
    (declarations / "Meta AI.history.json").write_text(json.dumps(history))
    config = folder / "config.toml"
    config.write_text(
        '[fetch]\nretries = 0\ntimeout = 5\n\n[[pages]]\nid = "meta-ai-terms"\n'
        f'declaration = {{ path = "{folder / "checkout"}", service = "Meta AI", terms = "Terms of Service" }}\n'
    )
    return config


@pytest.fixture
def imported(corpus: Path, tmp_path: Path) -> tuple[Path, Store]:
    repository = snapshots_repository(corpus, tmp_path)
    config = project(tmp_path)
    code, output = run_cli(config, clock, "import", "meta-ai-terms", str(repository), "--path", DOCUMENT)
    assert (code, output.splitlines()[-1]) == (0, "3 versions imported, 0 merged, 0 failed"), output
    return config, Store(load_config(config).store_path)


def test_a_bare_clone_of_an_ota_snapshots_repository_imports_with_raw_evidence(
    imported: tuple[Path, Store],
) -> None:
    _, store = imported
    timeline = store.versions.list("meta-ai-terms")
    # January's capture read again under May's declaration comes first on 12 May (see the test below)
    january, twelfth, thirteenth = (time for time, _ in CAPTURES)
    assert [entry.since for entry in timeline] == [january, twelfth, twelfth, thirteenth]
    assert all(entry.raw_sha256 for entry in timeline)
    assert all(store.versions.read_raw("meta-ai-terms", entry) for entry in timeline)


def test_each_capture_is_extracted_under_the_declaration_in_force_at_its_date(
    imported: tuple[Path, Store],
) -> None:
    """January's capture under the whole main region (its footer's links read too); May's under the range."""
    _, store = imported
    first, *_, second = store.versions.list("meta-ai-terms")
    assert first.rules != second.rules
    parts = [store.state.read_json(rules_parts_file(entry.rules)) for entry in (first, second) if entry.rules]
    assert [part["select"] for part in parts if part] == [
        [OLD_SELECT],
        [{"start_before": '[role="main"]', "end_after": '[role="separator"]'}],
    ]


def test_a_declaration_change_inside_imported_history_is_a_technical_version(
    imported: tuple[Path, Store],
) -> None:
    """Between January and 12 May the declaration took OTA's range instead of the whole main region: January's
    capture is read again under the range first (a technical version, "rules changed"), and 12 May's capture is
    compared with that, so its change is the page's alone."""
    config, store = imported
    first, technical, may, _ = store.checks.list("meta-ai-terms")
    assert is_technical(technical) and not is_imported(technical) and technical.alerts == []
    assert technical.time == may.time and technical.raw_sha256 == first.raw_sha256
    assert technical.source is not None and technical.source["changed"].startswith('select [role="main"] -> ')
    assert (technical.previous, may.previous) == (first.version, technical.version)
    assert (
        may.summary is not None and may.summary["line"] == "Effective January 5, 2026 · 1 substantive change"
    )
    assert store.checks.changes() == []  # neither is news
    code, output = run_cli(config, clock, "history", "meta-ai-terms")
    assert code == 0 and '  rules changed (select [role="main"] -> ' in output, output


def test_verify_agrees_with_a_timeline_holding_a_technical_version_of_history(
    imported: tuple[Path, Store],
) -> None:
    _, store = imported
    assert store.verify().problems == []


def test_an_imported_change_has_the_summary_and_effective_date_a_live_change_has(
    imported: tuple[Path, Store],
) -> None:
    _, store = imported
    *_, change = store.checks.list("meta-ai-terms")
    assert is_imported(change) and change.alerts == []
    assert change.summary is not None and change.changes
    assert change.summary["effective"] is not None and "2026" in change.summary["effective"]
    assert change.source is not None and change.source["address"] == ADDRESS
    assert change.source["fetched"] == "2026-05-13T10:32:30Z" and change.source["fetcher"] == "fullDom"
    assert change.url == ADDRESS


def test_export_of_an_imported_capture_names_otas_source_address(
    imported: tuple[Path, Store], tmp_path: Path
) -> None:
    config, store = imported
    out = tmp_path / "may.zip"
    code, output = run_cli(config, clock, "export", "meta-ai-terms", "--at", "2026-06-01", "--out", str(out))
    assert code == 0, output
    with zipfile.ZipFile(out) as bundle:
        readme = bundle.read("README.txt").decode()
        warc = bundle.read("capture.warc.gz")
    assert f"fetched from {ADDRESS} at 2026-05-13T10:32:30Z by the fullDom fetcher" in readme
    assert "127.0.0.1" not in readme
    import io

    from warcio.archiveiterator import ArchiveIterator

    uris = {r.rec_headers.get_header("WARC-Target-URI") for r in ArchiveIterator(io.BytesIO(warc))} - {
        None,
        "",
    }
    assert uris == {ADDRESS}


def test_imported_history_is_shown_as_history_in_pages_and_status(imported: tuple[Path, Store]) -> None:
    config, _ = imported
    code, output = run_cli(config, clock, "pages")
    assert code == 0 and "2026-05-13 10:32 UTC (imported)" in output, output
    code, output = run_cli(config, clock, "status")
    assert "2026-05-13 10:32 UTC (imported)" in output, output


def test_the_report_shows_imported_history_as_history(imported: tuple[Path, Store], tmp_path: Path) -> None:
    config, _ = imported
    site = tmp_path / "site"
    code, output = run_cli(config, clock, "report", "--out", str(site))
    assert code == 0, output
    index = (site / "index.html").read_text()
    assert "not checked yet" in index  # imported history is not a check
    assert "Effective May 13, 2026 · 3 substantive changes (imported)" in index
    page = next(path for path in site.rglob("*.html") if "first version (imported)" in path.read_text())
    assert "Effective January 5, 2026 · 1 substantive change (imported)" in page.read_text()
    assert "rules changed (select" in page.read_text()


def test_the_last_imported_change_is_the_pages_never_a_rule_change(corpus: Path, tmp_path: Path) -> None:
    """January's capture fetched again in April (a byte outside the document differs): under April's range it
    reads as January's capture read again under the range, the technical version recorded first. The page did
    not change in April, the rules did: its last change (imported) is January's."""
    january, *_ = CAPTURES
    april = tmp_path / "april.html"
    april.write_bytes((corpus / january[1]).read_bytes() + b"<!-- fetched again -->")
    repository = snapshots_repository(corpus, tmp_path, [january, ("2026-04-02T08:00:00Z", str(april))])
    config = project(tmp_path)
    code, output = run_cli(config, clock, "import", "meta-ai-terms", str(repository), "--path", DOCUMENT)
    assert (code, output.splitlines()[-1]) == (0, "1 version imported, 1 merged, 0 failed"), output
    store = Store(load_config(config).store_path)
    technical = [record for record in store.checks.list("meta-ai-terms") if is_technical(record)]
    assert [record.time for record in technical] == ["2026-04-02T08:00:00Z"]
    assert store.imported.last_change("meta-ai-terms") == january[0]
    code, output = run_cli(config, clock, "pages")
    assert code == 0 and "2026-01-21" in output and "2026-04-02" not in output, output
