"""A document combined from several pages (`combine` in an OTA declaration): each part fetched from its own URL
under its own rules, joined in declaration order, stored part by part, exported one response record per part.

The Llama API Terms of Service case in ../shared/corpus/ota/cases/ (four combined pages) is served on loopback
from a copy of its declaration made here (AGPL data: read from the corpus at run time, never copied).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

import pytest
from cli_support import LOOPBACK_FETCH, run_cli
from pytest_httpserver import HTTPServer
from test_declarations_cases import visible_words, words
from warcio.archiveiterator import ArchiveIterator
from werkzeug import Request, Response

from monitor.evidence.warc import build_warc
from monitor.models import CheckRecord, Outcome
from monitor.store.core import Store
from monitor.store.db import close_all

CASE = (
    Path(__file__).resolve().parents[2] / "shared" / "corpus" / "ota" / "cases" / "genai-eu"
    / "Llama_API__Terms_of_Service"
)  # fmt: skip
pytestmark = pytest.mark.skipif(not CASE.is_dir(), reason="the shared OTA corpus is not here")
CLOCK = lambda: datetime(2026, 7, 9, tzinfo=UTC)  # noqa: E731


@pytest.fixture
def server() -> Iterator[HTTPServer]:
    server = HTTPServer()
    server.start()
    yield server
    server.clear()
    server.stop()


def setup(server: HTTPServer, tmp_path: Path, *, failing: int | None = None) -> tuple[Path, list[str]]:
    """The case's four parts on loopback (each with an ETag, answering 304 to it) and a config following a
    copy of the declaration whose part URLs point there."""
    case = json.loads((CASE / "case.json").read_text(encoding="utf-8"))
    declaration = json.loads(json.dumps(case["declaration"]))
    parts = declaration["terms"][case["terms"]]["combine"]
    paths = []
    for number, (part, file) in enumerate(zip(parts, case["parts"], strict=True)):
        path = f"/part-{number}"
        body = (CASE / file["file"]).read_bytes()
        if number == failing:
            server.expect_request(path).respond_with_data("down", status=503)
        else:
            server.expect_request(path).respond_with_handler(_conditional(body, f'"etag-{number}"'))
        part["fetch"] = server.url_for(path)
        paths.append(path)
    target = tmp_path / "checkout" / "declarations"
    target.mkdir(parents=True)
    (target / f"{case['service']}.json").write_text(json.dumps(declaration), encoding="utf-8")
    config = tmp_path / "config.toml"
    config.write_text(
        LOOPBACK_FETCH
        + '\n[[pages]]\nid = "doc"\nrenderer = "http"\n'
        + f"declaration = {{ path = {json.dumps(str(tmp_path / 'checkout'))}, service = {json.dumps(case['service'])}, "
        + f"terms = {json.dumps(case['terms'])} }}\n",
        encoding="utf-8",
    )
    close_all()
    return config, paths


def _conditional(body: bytes, etag: str):  # noqa: ANN202 - a werkzeug handler
    def handler(request: Request) -> Response:
        if request.headers.get("If-None-Match") == etag:
            return Response(status=304, headers={"ETag": etag})
        return Response(body, content_type="text/html; charset=utf-8", headers={"ETag": etag})

    return handler


def test_a_combined_document_is_its_parts_text_joined_in_declaration_order(
    server: HTTPServer, tmp_path: Path
) -> None:
    config, _ = setup(server, tmp_path)
    code, output = run_cli(config, CLOCK, "check")
    assert code == 0, output
    store = Store(tmp_path / "snapshots")
    current = store.versions.current("doc")
    assert current is not None
    text = store.versions.read_text("doc", current.id)
    stored, expected = words(text), visible_words((CASE / "version.md").read_text(encoding="utf-8"))
    common = sum((stored & expected).values())
    recall, precision = common / sum(expected.values()), common / sum(stored.values())
    assert recall >= 0.95 and precision >= 0.95, (round(recall, 3), round(precision, 3))
    # each part's opening words come after the previous part's, as the declaration lists them
    openings = ["Release Date: July 8, 2026", "\nData Security Terms", "European Region Terms"]
    positions = [text.replace("# ", "").find(opening) for opening in openings]
    assert -1 not in positions and positions == sorted(positions), positions


def test_each_part_s_raw_capture_is_stored_and_exported_as_its_own_response_record(
    server: HTTPServer, tmp_path: Path
) -> None:
    config, _ = setup(server, tmp_path)
    assert run_cli(config, CLOCK, "check")[0] == 0
    store = Store(tmp_path / "snapshots")
    current = store.versions.current("doc")
    assert current is not None
    parts = store.versions.captures("doc", current)
    assert [number for number, _, _ in parts] == [1, 2, 3, 4]
    assert [url for _, url, _ in parts] == [server.url_for(f"/part-{n}") for n in range(4)]
    case = json.loads((CASE / "case.json").read_text(encoding="utf-8"))
    bodies = [(CASE / part["file"]).read_bytes() for part in case["parts"]]
    assert [store.blobs.read_raw_blob("doc", raw) for _, _, raw in parts] == bodies
    record = CheckRecord(page="doc", time=current.since, url=parts[0][1], outcome=Outcome.NEW)
    record.text_sha256 = current.id
    warc = build_warc(
        record,
        None,
        b"text",
        "{}",
        "test",
        parts=[(url, body) for (_, url, _), body in zip(parts, bodies, strict=True)],
    )
    responses = [
        (item.rec_headers.get_header("WARC-Target-URI"), item.content_stream().read())
        for item in ArchiveIterator(BytesIO(warc))
        if item.rec_type == "response"
    ]
    assert responses == [(url, body) for (_, url, _), body in zip(parts, bodies, strict=True)]


def test_a_part_that_fails_fails_the_check_and_no_partial_version_is_stored(
    server: HTTPServer, tmp_path: Path
) -> None:
    config, _ = setup(server, tmp_path, failing=2)
    code, output = run_cli(config, CLOCK, "check")
    assert code != 0
    assert f"part 3 ({server.url_for('/part-2')}): HTTP 503" in output
    store = Store(tmp_path / "snapshots")
    assert store.versions.current("doc") is None
    last = store.checks.last("doc")
    assert last is not None and last.outcome == Outcome.FAILED


def test_parts_answering_304_reuse_their_stored_captures_and_the_check_is_unchanged(
    server: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every part's capture is then byte for byte the stored one, under the same rules: the check is unchanged
    without extracting anything (the fast path of a single page)."""
    import monitor.extract.document as document

    config, _ = setup(server, tmp_path)
    assert run_cli(config, CLOCK, "check")[0] == 0
    close_all()
    extracted: list[str] = []
    extract = document.extract_document
    monkeypatch.setattr(
        document,
        "extract_document",
        lambda html, **options: extracted.append(html) or extract(html, **options),
    )
    code, output = run_cli(config, lambda: datetime(2026, 7, 10, tzinfo=UTC), "check")
    assert code == 0, output
    store = Store(tmp_path / "snapshots")
    last = store.checks.last("doc")
    assert last is not None and last.outcome == Outcome.UNCHANGED
    conditional = [request for request, _ in server.log if request.headers.get("If-None-Match")]
    assert len(conditional) == 4
    assert len(store.versions.list("doc")) == 1
    assert extracted == []
