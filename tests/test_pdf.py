"""PDF documents: a response that is a PDF (by type or by signature) is a capture of its own kind, extracted to
text without the running headers, footers and page numbers, headings where the outline names them or the
structure tree tags them; its bytes
are stored and exported as an HTML capture's are; a PDF that cannot be read is a failed check, never a version.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cli_support import LOOPBACK_FETCH, run_cli
from pdf_support import HEADER, report_pdf
from pytest_httpserver import HTTPServer
from warcio.archiveiterator import ArchiveIterator

from monitor.extract import pdf as pdf_module
from monitor.extract.pdf import extract_pdf
from monitor.store.core import Store
from monitor.store.db import close_all

CASES = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "ota" / "cases" / "dsa-reports"


def clock() -> datetime:
    return datetime(2026, 4, 1, 8, 0, tzinfo=UTC)


def project(tmp_path: Path, url: str) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(LOOPBACK_FETCH + f'\n[[pages]]\nid = "report"\nurl = "{url}"\n', encoding="utf-8")
    close_all()
    return config


def stored_text(tmp_path: Path) -> str:
    store = Store(tmp_path / "snapshots")
    current = store.versions.current("report")
    assert current is not None
    return store.versions.read_text("report", current.id)


# --- extraction -------------------------------------------------------------------------------------------------


def test_the_outline_names_the_headings_and_their_levels() -> None:
    document = extract_pdf(report_pdf(sections=2)).document

    headings = [(block.level, block.text) for block in document.blocks if block.kind == "heading"]

    assert headings == [(1, "1. Section 1"), (2, "1.1 Retention"), (1, "2. Section 2"), (2, "2.1 Retention")]


def test_running_headers_footers_and_page_numbers_are_left_out() -> None:
    text = extract_pdf(report_pdf(sections=4)).document.to_text()

    assert HEADER not in text
    assert not re.search(r"Page \d", text)
    # 4 pages of 4 paragraphs of 3 sentences: none lost with the furniture
    assert text.count("We keep your data") == 4 * 4 * 3


def test_a_paragraph_s_wrapped_lines_are_one_block() -> None:
    document = extract_pdf(report_pdf(sections=3, paragraphs=2)).document

    paragraphs = [block.text for block in document.blocks if block.kind == "paragraph"]

    assert len(paragraphs) == 3 * 3
    assert all(
        text.startswith("We keep your data") and text.endswith("keep it longer.") for text in paragraphs
    )


def test_tags_name_the_headings_and_their_levels_without_an_outline() -> None:
    # 4 pages: each section's title sits near the top of its page, where running headers are looked for
    document = extract_pdf(report_pdf(sections=4, outline=False, tags=True)).document

    headings = [(block.level, block.text) for block in document.blocks if block.kind == "heading"]

    assert headings == [
        heading for n in range(1, 5) for heading in ((1, f"{n}. Section {n}"), (2, f"{n}.1 Retention"))
    ]
    assert HEADER not in document.to_text()


@pytest.mark.parametrize(("outline", "tags"), [(True, False), (False, True)], ids=["outline", "tags"])
def test_a_heading_wrapped_over_lines_is_one_heading(outline: bool, tags: bool) -> None:
    title = "How long we keep the information we collect about you, {number}"
    document = extract_pdf(
        report_pdf(sections=3, outline=outline, tags=tags, title=title, heading_width=70)
    ).document

    headings = [block.text for block in document.blocks if block.kind == "heading"]

    assert headings[::2] == [f"{n}. " + title.format(number=n) for n in range(1, 4)]
    assert not [
        block
        for block in document.blocks
        if "information we collect" in block.text and block.kind != "heading"
    ]


def test_without_an_outline_no_line_is_taken_for_a_heading() -> None:
    document = extract_pdf(report_pdf(sections=2, outline=False)).document

    assert [block.kind for block in document.blocks if block.kind == "heading"] == []
    assert "1. Section 1" in document.to_text()


# --- through `check` --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "body_prefix"),
    [
        ("application/pdf", b""),
        ("application/octet-stream", b""),
        ("text/html", b""),
        ("application/pdf", b"\n\n"),
    ],
    ids=["typed", "untyped, by signature", "mistyped, by signature", "signature after a blank line"],
)
def test_a_pdf_answer_is_checked_as_a_document(
    httpserver: HTTPServer, tmp_path: Path, content_type: str, body_prefix: bytes
) -> None:
    body = body_prefix + report_pdf()
    httpserver.expect_request("/report.pdf").respond_with_data(body, content_type=content_type)
    config = project(tmp_path, httpserver.url_for("/report.pdf"))

    code, output = run_cli(config, clock, "check", "--json")

    assert code == 0, output
    assert json.loads(output)["outcome"] == "new"
    text = stored_text(tmp_path)
    assert text.startswith("# 1. Section 1\n\nWe keep your data")
    assert HEADER not in text


def test_a_pdf_s_bytes_are_stored_and_exported_as_served(httpserver: HTTPServer, tmp_path: Path) -> None:
    body = report_pdf()
    httpserver.expect_request("/report.pdf").respond_with_data(body, content_type="application/pdf")
    config = project(tmp_path, httpserver.url_for("/report.pdf"))
    assert run_cli(config, clock, "check")[0] == 0
    out = tmp_path / "bundle.zip"

    code, output = run_cli(config, clock, "export", "report", "--at", "latest", "--out", str(out))

    assert code == 0, output
    with zipfile.ZipFile(out) as bundle:
        assert bundle.read("capture.pdf") == body
        warc = bundle.read("capture.warc.gz")
    responses = [
        (r.http_headers.get_header("Content-Type"), r.content_stream().read())
        for r in ArchiveIterator(io.BytesIO(warc))
        if r.rec_type == "response"
    ]
    assert responses == [("application/pdf", body)]


def test_a_changed_pdf_is_a_change_and_an_identical_one_is_unchanged(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    url = httpserver.url_for("/report.pdf")
    config = project(tmp_path, url)
    first, second = report_pdf(), report_pdf(closing="From May on we keep logs for thirty days only.")
    outcomes = []
    for body in (first, first, second):
        httpserver.clear()
        httpserver.expect_request("/report.pdf").respond_with_data(body, content_type="application/pdf")
        code, output = run_cli(config, clock, "check", "--json")
        outcomes.append((code, json.loads(output)["outcome"]))

    assert outcomes == [(0, "new"), (0, "unchanged"), (0, "changed")]
    assert stored_text(tmp_path).endswith("From May on we keep logs for thirty days only.\n")


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\nnot a PDF after all" * 20, "application/pdf", "PDF unreadable"),
        (b"<html><body>Moved</body></html>", "application/pdf", "not a PDF: the answer has no PDF signature"),
        (
            b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4,
            "application/octet-stream",
            "not HTML: application/octet-stream",
        ),
    ],
    ids=["damaged", "typed but no PDF", "untyped, not a PDF"],
)
def test_an_answer_that_is_no_readable_pdf_fails_and_is_never_a_version(
    httpserver: HTTPServer, tmp_path: Path, body: bytes, content_type: str, reason: str
) -> None:
    httpserver.expect_request("/report.pdf").respond_with_data(body, content_type=content_type)
    config = project(tmp_path, httpserver.url_for("/report.pdf"))

    code, output = run_cli(config, clock, "check", "--json")

    assert code == 3
    result = json.loads(output)
    assert result["outcome"] == "failed" and result["reason"].startswith(reason), result["reason"]
    assert Store(tmp_path / "snapshots").versions.current("report") is None


@pytest.mark.parametrize(
    ("limit", "value", "reason"),
    [
        ("MAX_PAGES", 2, "PDF too long: 3 pages (at most 2)"),
        ("MAX_SECONDS", 0.0, "PDF too slow to read: over 0s"),
    ],
)
def test_a_pdf_past_its_bounds_is_a_failed_check_naming_the_bound(
    httpserver: HTTPServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    limit: str,
    value: float,
    reason: str,
) -> None:
    monkeypatch.setattr(pdf_module, limit, value)  # a 3-page report stands for a huge or endless one
    httpserver.expect_request("/report.pdf").respond_with_data(report_pdf(), content_type="application/pdf")
    config = project(tmp_path, httpserver.url_for("/report.pdf"))

    code, output = run_cli(config, clock, "check", "--json")

    assert code == 3
    assert json.loads(output)["reason"].startswith(reason)


# --- OTA's recorded versions of real reports --------------------------------------------------------------------


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def ota_words(markdown: str, ours: list[str]) -> Counter[str]:
    """The visible words of OTA's Markdown. OTA's PDF text drops the space where a line ends ("Weconsidered",
    "contentmoderation": a third of a report's lines): a token that is not ours but is two to four of our
    consecutive words joined counts as those words. Nothing else is forgiven."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", markdown)
    text = re.sub(r"<[^>]+>", " ", text)
    vocabulary = set(ours)
    joined: dict[str, list[str]] = {}
    for size in (2, 3, 4):
        for start in range(len(ours) - size + 1):
            joined.setdefault("".join(ours[start : start + size]), ours[start : start + size])
    found: list[str] = []
    for token in words(text):
        found.extend(joined[token] if token not in vocabulary and token in joined else [token])
    return Counter(found)


@pytest.mark.corpus
@pytest.mark.skipif(not CASES.is_dir(), reason="the shared OTA corpus is not here")
@pytest.mark.parametrize("year", ["2023", "2024"])
def test_a_systemic_risk_report_gives_the_words_ota_recorded(
    httpserver: HTTPServer, tmp_path: Path, year: str
) -> None:
    case_dir = CASES / f"Pinterest__Systemic_Risks_{year}"
    case = json.loads((case_dir / "case.json").read_text(encoding="utf-8"))
    httpserver.expect_request("/report.pdf").respond_with_data(
        (case_dir / "part-0.pdf").read_bytes(), content_type="application/pdf"
    )
    declaration = json.loads(json.dumps(case["declaration"]))
    declaration["terms"][case["terms"]]["fetch"] = httpserver.url_for("/report.pdf")
    folder = tmp_path / "checkout" / "declarations"
    folder.mkdir(parents=True)
    (folder / f"{case['service']}.json").write_text(json.dumps(declaration), encoding="utf-8")
    config = tmp_path / "config.toml"
    config.write_text(
        LOOPBACK_FETCH
        + '\n[[pages]]\nid = "report"\n'
        + f"declaration = {{ path = {json.dumps(str(folder.parent))}, service = {json.dumps(case['service'])}, "
        + f"terms = {json.dumps(case['terms'])} }}\n",
        encoding="utf-8",
    )
    close_all()

    code, output = run_cli(config, clock, "check")

    assert code == 0, output
    ours = words(stored_text(tmp_path))
    expected = ota_words((case_dir / "version.md").read_text(encoding="utf-8"), ours)
    common = sum((Counter(ours) & expected).values())
    recall, precision = common / sum(expected.values()), common / len(ours)
    assert recall >= 0.95 and precision >= 0.95, (round(recall, 3), round(precision, 3))
    assert "Pinterest Digital Services Act Risk Assessment and Mitigation Report" not in stored_text(tmp_path)


def test_an_html_page_that_mentions_the_pdf_signature_is_read_as_html() -> None:
    """The signature counts only with no markup before it: a page that writes "%PDF-" near its top is HTML."""
    from monitor.fetch.common import is_pdf

    page = b"<!doctype html><html><body><main><h1>Formats</h1><p>PDF files start with %PDF-1.7.</p></main></body></html>"
    assert not is_pdf(page, "text/html")
    assert is_pdf(b"\xef\xbb\xbf\n%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "application/octet-stream")
