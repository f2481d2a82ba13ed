"""`combine` in config.toml: a document made of several pages, each part `{ url, select, remove }` over the
page's shared `select`/`remove`, joined in order, with what a declared combined document has (a failing part
fails the check, each part's raw capture stored, a part answering 304 its stored capture again, the unchanged
fast path), strict config, and `pages`, `config check` and `test` on such a page."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cli_support import LOOPBACK_FETCH, run_cli
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from monitor.config.loading import load_config
from monitor.errors import ConfigError, StoreDamaged
from monitor.models import Outcome
from monitor.store.core import Store
from monitor.store.db import close_all

WORDS = (
    "<p>We keep the information you give us only as long as we need it to run the service for you.</p>" * 3
)
BODIES = {
    "/one": f"<html><body><main><h1>Part one</h1>{WORDS}</main><footer>Footer one</footer></body></html>",
    "/two": f"<html><body><main><p>Read this first: how part two begins.</p><article><h2>Part two</h2>{WORDS}</article></main></body></html>",
    "/three": f"<html><body><main><h2>Part three</h2>{WORDS}<aside class='note'>A side note</aside></main></body></html>",
}


def day(number: int) -> datetime:
    return datetime(2026, 6, number, 8, 0, tzinfo=UTC)


class Site:
    """The three parts on loopback, each with an ETag it answers 304 to (unless `etags` is off); `down` parts
    answer 503."""

    def __init__(self, server: HTTPServer) -> None:
        self.server, self.etags, self.down = server, True, set[str]()
        for path in BODIES:
            server.expect_request(path).respond_with_handler(self.handler(path))

    def handler(self, path: str):  # noqa: ANN201 - a werkzeug handler
        def answer(request: Request) -> Response:
            if path in self.down:
                return Response("down", status=503)
            etag = f'"{path}"' if self.etags else None
            if etag and request.headers.get("If-None-Match") == etag:
                return Response(status=304, headers={"ETag": etag})
            return Response(BODIES[path], content_type="text/html", headers={"ETag": etag} if etag else {})

        return answer

    def url(self, path: str) -> str:
        return self.server.url_for(path)


@pytest.fixture
def site() -> Iterator[Site]:
    server = HTTPServer()
    server.start()
    yield Site(server)
    server.clear()
    server.stop()


def project(tmp_path: Path, site: Site, *, two: str = 'select = "article"', page: str = "") -> Path:
    config = tmp_path / "config.toml"
    config.write_text(
        LOOPBACK_FETCH
        + f'[[pages]]\nid = "doc"\nselect = "main"\n{page}combine = [\n'
        + f'  {{ url = "{site.url("/one")}" }},\n'
        + f'  {{ url = "{site.url("/two")}", {two} }},\n'
        + f'  {{ url = "{site.url("/three")}", remove = [".note"] }},\n]\n',
        encoding="utf-8",
    )
    close_all()
    return config


def check(config: Path, number: int) -> tuple[int, str]:
    close_all()  # a new process: the store is opened afresh
    return run_cli(config, lambda: day(number), "check")


@pytest.fixture
def extractions(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The pages the check extracts (an observer: each is still extracted)."""
    import monitor.extract.document as document

    seen: list[str] = []
    extract = document.extract_document

    def counted(html: str, **options: object) -> object:
        seen.append(html)
        return extract(html, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(document, "extract_document", counted)
    return seen


def test_the_parts_are_joined_in_order_each_under_its_own_rules_and_stored_one_by_one(
    site: Site, tmp_path: Path
) -> None:
    config = project(tmp_path, site)
    assert load_config(config).config.pages[0].url == site.url("/one")  # the page is known by its first part
    code, output = check(config, 1)
    assert code == 0 and output.split()[:2] == ["doc", "new"], output
    store = Store(tmp_path / "snapshots")
    current = store.versions.current("doc")
    assert current is not None
    text = store.versions.read_text("doc", current.id)
    assert [text.find(heading) for heading in ("Part one", "Part two", "Part three")] == sorted(
        text.find(heading) for heading in ("Part one", "Part two", "Part three")
    )
    assert "Part three" in text
    for left_out in ("Footer one", "Read this first", "A side note"):  # shared select, own select, own remove
        assert left_out not in text
    parts = store.versions.captures("doc", current)
    assert [(number, url) for number, url, _ in parts] == [
        (1, site.url("/one")),
        (2, site.url("/two")),
        (3, site.url("/three")),
    ]
    assert [store.blobs.read_raw_blob("doc", raw).decode() for _, _, raw in parts] == list(BODIES.values())


def test_a_part_that_fails_fails_the_check_and_no_partial_version_is_stored(
    site: Site, tmp_path: Path
) -> None:
    config = project(tmp_path, site)
    site.down.add("/two")
    code, output = check(config, 1)
    assert code == 3 and f"part 2 ({site.url('/two')}): HTTP 503" in output, output
    store = Store(tmp_path / "snapshots")
    assert store.versions.current("doc") is None
    last = store.checks.last("doc")
    assert last is not None and last.outcome == Outcome.FAILED


def test_parts_that_answer_304_or_the_same_bytes_are_unchanged_without_extracting(
    site: Site, tmp_path: Path, extractions: list[str]
) -> None:
    """The unchanged fast path, for a combined document: every part's raw capture byte for byte the stored one
    of the same part, under the same rules fingerprint, and nothing is extracted."""
    config = project(tmp_path, site)
    assert check(config, 1)[0] == 0 and len(extractions) == 3
    extractions.clear()
    code, output = check(config, 2)  # every part answers 304: its stored capture again
    assert code == 0 and output.split()[:2] == ["doc", "unchanged"], output
    conditional = [request for request, _ in site.server.log if request.headers.get("If-None-Match")]
    assert len(conditional) == 3 and extractions == []
    site.etags = False
    code, output = check(config, 3)  # 200 answers with the same bytes
    assert code == 0 and output.split()[:2] == ["doc", "unchanged"], output
    assert extractions == []
    store = Store(tmp_path / "snapshots")
    assert [record.outcome for record in store.checks.list("doc")] == [
        Outcome.NEW,
        Outcome.UNCHANGED,
        Outcome.UNCHANGED,
    ]
    assert len(store.versions.list("doc")) == 1


def test_a_part_s_own_rules_are_in_the_fingerprint_so_changing_them_extracts_again(
    site: Site, tmp_path: Path, extractions: list[str]
) -> None:
    project(tmp_path, site)
    config = tmp_path / "config.toml"
    assert check(config, 1)[0] == 0
    extractions.clear()
    config.write_text(config.read_text().replace('select = "article"', 'select = "main"'))
    code, output = check(config, 2)
    assert code == 0 and extractions, output
    records = Store(tmp_path / "snapshots").checks.list("doc")
    assert records[0].rules != records[-1].rules
    text = Store(tmp_path / "snapshots").versions.read_text("doc", records[-1].version or "")
    assert "Read this first" in text  # part two now under the shared `main`


def test_changing_a_part_s_rules_is_a_technical_version_never_news(site: Site, tmp_path: Path) -> None:
    """The parts answer 304 after a part's rules changed: their stored captures are read again under the new
    rules, and the new text is a technical version (no alert, no change of the policy)."""
    config = project(tmp_path, site)
    assert check(config, 1)[0] == 0
    config.write_text(config.read_text().replace('select = "article"', 'select = "main"'))
    code, output = check(config, 2)
    assert code == 0 and output.split()[:2] == ["doc", "unchanged"], output
    store = Store(tmp_path / "snapshots")
    records = store.checks.list("doc")
    assert [(record.outcome, (record.source or {}).get("kind")) for record in records] == [
        (Outcome.NEW, None),
        (Outcome.CHANGED, "rules"),
        (Outcome.UNCHANGED, None),
    ]
    assert "select" in str((records[1].source or {}).get("changed")), records[1].source
    assert "Read this first" in store.versions.read_text("doc", records[1].version or "")
    technical = store.versions.list("doc")[-1]
    assert [url for _, url, _ in store.versions.captures("doc", technical)] == [  # read from the same parts
        site.url("/one"),
        site.url("/two"),
        site.url("/three"),
    ]
    assert run_cli(config, lambda: day(2), "verify")[0] == 0


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            'id = "doc"\nurl = "https://example.org/a"\ncombine = [{ url = "https://example.org/b" }]\n',
            "pages[0] (id 'doc').url: a page with `combine` is fetched from its parts' URLs, not from `url` "
            "(hint: remove `url` (the first part's URL names the page), or remove `combine`)",
        ),
        (
            'id = "doc"\ncombine = [{ url = "https://example.org/a", selct = "main" }]\n',
            "pages[0] (id 'doc').combine[0].selct: unknown key (hint: did you mean 'select'?)",
        ),
        (
            'id = "doc"\ncombine = [{ url = 3 }]\n',
            "pages[0] (id 'doc').combine[0].url: input should be a valid string (got int 3)",
        ),
        (
            'id = "doc"\ncombine = [{ url = "ftp://example.org/a" }]\n',
            "pages[0] (id 'doc').combine[0].url: 'ftp://example.org/a' is not an http(s) URL",
        ),
        (
            'id = "doc"\ncombine = [{ url = "https://example.org/a", remove = ["main >"] }]\n',
            "pages[0] (id 'doc').combine[0].remove: not a CSS selector: 'main >'",
        ),
        (
            'id = "doc"\ncombine = []\n',
            "pages[0] (id 'doc').combine: no parts (write combine = [{ url = \"...\" }, ...], one table per page, in order)",
        ),
    ],
    ids=["url and combine", "unknown key", "wrong type", "not http", "bad selector", "no parts"],
)
def test_a_combine_the_config_cannot_follow_is_one_line_naming_the_file_and_key(
    tmp_path: Path, table: str, message: str
) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[[pages]]\n" + table, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    assert str(caught.value).startswith(f"{config}: {message}"), str(caught.value)


def test_combine_on_a_declaration_page_is_an_error_naming_both_sources(tmp_path: Path) -> None:
    folder = tmp_path / "ota" / "declarations"
    folder.mkdir(parents=True)
    (folder / "Example.json").write_text('{"terms": {"Terms": {"fetch": "https://example.org/t"}}}')
    config = tmp_path / "config.toml"
    config.write_text(
        '[[pages]]\nid = "doc"\ndeclaration = { path = "ota", service = "Example", terms = "Terms" }\n'
        'combine = [{ url = "https://example.org/a" }]\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    assert str(caught.value) == (
        f"{config}: pages[0] (id 'doc').combine: the page's rules come from its declaration "
        f"({folder / 'Example.json'}, terms 'Terms') and from this key (hint: one place holds a page's rules: "
        "remove `combine` here, or remove `declaration`)"
    )


def test_pages_config_check_and_test_work_on_a_combined_page(site: Site, tmp_path: Path) -> None:
    config = project(tmp_path, site)
    code, output = run_cli(config, lambda: day(1), "config", "check")
    assert code == 0, output
    code, output = run_cli(config, lambda: day(1), "pages")
    assert code == 0 and "combine (3 parts)" in output, output
    code, output = run_cli(config, lambda: day(1), "test", "doc", "--full")
    assert code == 0, output
    assert "Part one" in output and "Part three" in output and "A side note" not in output
    assert Store(tmp_path / "snapshots").versions.current("doc") is None  # `test` stores nothing


def test_the_stored_parts_are_read_again_under_the_parts_rules_now_without_fetching(
    site: Site, tmp_path: Path
) -> None:
    """What a change of a combined document's rules reads first (to tell it from a change of the document):
    the stored capture of each part that brought the version in effect, under that part's rules now."""
    from monitor.config.declared_pages import page_now
    from monitor.pipeline.capture import Context, extract_capture
    from monitor.pipeline.combine import extract_stored

    config = project(tmp_path, site)
    assert check(config, 1)[0] == 0
    fetched = len(site.server.log)
    config.write_text(config.read_text().replace('remove = [".note"]', 'remove = [".note", "h2"]'))
    loaded = load_config(config)
    store = Store(loaded.store_path)
    current = store.versions.current("doc")
    assert current is not None
    page = page_now(loaded.base_dir, loaded.config.pages[0])
    old = store.versions.read_document("doc", current.id)
    read = extract_stored(Context(loaded, store), page, current, old, extract_capture)
    assert read is not None and read[0] is not None and read[1] is None
    text = read[0].to_text()
    assert "Part two" in text and "Part three" not in text  # the third part's heading is removed now
    assert len(site.server.log) == fetched


def test_a_combined_document_imports_its_versions_never_one_part_s_capture(
    site: Site, tmp_path: Path
) -> None:
    """A snapshots repository keeps each part of a combined document in its own file: one of them imported as
    the whole document would make the first live check report the other parts as added."""
    config = project(tmp_path, site)
    folder = tmp_path / "history"
    folder.mkdir()
    (folder / "2026-05-01.html").write_text(BODIES["/one"], encoding="utf-8")
    code, output = run_cli(config, lambda: day(1), "import", "doc", str(folder))
    assert (code, output.strip()) == (
        2,
        "Error: doc is a document combined from 3 pages: a raw capture of one of them would be stored as the "
        "whole document; import its versions (a versions repository's .md, or .txt files) instead",
    )
    (folder / "2026-05-01.html").unlink()
    (folder / "2026-05-01.md").write_text(f"# Part one\n\n{WORDS}\n", encoding="utf-8")
    code, output = run_cli(config, lambda: day(1), "import", "doc", str(folder))
    assert code == 0 and output.splitlines()[-1] == "1 version imported, 0 merged, 0 failed", output


def test_a_lost_part_capture_is_damage_that_verify_names(site: Site, tmp_path: Path) -> None:
    """A part's raw capture is stored like any raw capture: a missing one is damage, named by `verify` and by the
    check that needs it, never a page with 'no stored version'."""
    config = project(tmp_path, site)
    assert check(config, 1)[0] == 0
    store = Store(tmp_path / "snapshots")
    (_, _, raw), *_ = store.versions.captures("doc", store.versions.list("doc")[-1])
    lost = store.blobs.raw_path("doc", raw)
    lost.unlink()
    code, output = run_cli(config, lambda: day(2), "verify")
    assert code == 4 and f"{lost}: missing, referenced by" in output, output
    with pytest.raises(StoreDamaged):
        store.blobs.read_raw_blob("doc", raw)
