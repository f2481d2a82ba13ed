"""The word threshold of a combined document is the document's, not each part's: a one-paragraph summary page
is a part like any other, while each part is still judged for what it is (a login wall fails the check naming
the part) and the joined document is held to `[quality] min_words` as a single page is."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cli_support import LOOPBACK_FETCH, run_cli
from pytest_httpserver import HTTPServer

from monitor.store.core import Store
from monitor.store.db import close_all

PARAGRAPH = "<p>We keep the information you give us only as long as we need it to run the service.</p>"
SUMMARY = "<p>In short: we keep your data only while needed.</p>"  # 8 words
LOGIN = (
    "<html><head><title>Log in to Facebook</title></head><body><form><h1>Log in to Facebook</h1>"
    "<input name='email'><button>Log in</button></form></body></html>"
)


def page(body: str) -> str:
    return f"<html><body><nav>Home Help Privacy Centre</nav><main>{body}</main></body></html>"


def clock() -> datetime:
    return datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def served() -> Iterator[HTTPServer]:
    server = HTTPServer()
    server.start()
    yield server
    server.clear()
    server.stop()


def combined(folder: Path, server: HTTPServer, bodies: dict[str, str]) -> Path:
    """A config with one page `doc` combined from `bodies` (path -> HTML) served on loopback, in that order,
    each part's region its `main`."""
    for path, body in bodies.items():
        server.expect_request(path).respond_with_data(body, content_type="text/html")
    parts = "".join(f'  {{ url = "{server.url_for(path)}" }},\n' for path in bodies)
    config = folder / "config.toml"
    config.write_text(
        LOOPBACK_FETCH + f'[[pages]]\nid = "doc"\nselect = "main"\ncombine = [\n{parts}]\n', encoding="utf-8"
    )
    close_all()
    return config


def test_a_part_of_eight_words_is_stored_with_the_others(served: HTTPServer, tmp_path: Path) -> None:
    config = combined(
        tmp_path,
        served,
        {
            "/policy": page("<h1>Privacy Policy</h1>" + PARAGRAPH * 3),
            "/summary": page(SUMMARY),
            "/cookies": page("<h1>Cookies Policy</h1>" + PARAGRAPH * 3),
        },
    )
    code, output = run_cli(config, clock, "check")
    assert code == 0 and output.split()[:2] == ["doc", "new"], output
    store = Store(tmp_path / "snapshots")
    current = store.versions.current("doc")
    assert current is not None
    assert [url for _, url, _ in store.versions.captures("doc", current)] == [
        served.url_for(path) for path in ("/policy", "/summary", "/cookies")
    ]
    text = store.versions.read_text("doc", current.id)
    assert text.index("Privacy Policy") < text.index("In short") < text.index("Cookies Policy"), text


def test_a_part_that_is_a_login_wall_fails_the_check_naming_the_part(
    served: HTTPServer, tmp_path: Path
) -> None:
    config = combined(
        tmp_path,
        served,
        {"/policy": page("<h1>Privacy Policy</h1>" + PARAGRAPH * 3), "/summary": LOGIN},
    )
    code, output = run_cli(config, clock, "check")
    assert code == 3, output
    assert f"part 2 ({served.url_for('/summary')}): login wall" in output, output
    assert Store(tmp_path / "snapshots").versions.current("doc") is None


def test_a_joined_document_under_the_threshold_fails_as_a_single_page_does(
    served: HTTPServer, tmp_path: Path
) -> None:
    """Two parts of 8 words: 16 words joined, under the 30 of `[quality] min_words`. The reason is the one a
    single page of those 16 words gets, naming no part: it is the document that is too short."""
    config = combined(tmp_path, served, {"/summary": page(SUMMARY), "/again": page(SUMMARY)})
    code, output = run_cli(config, clock, "check")
    assert code == 3, output
    assert "empty page" in output and "part " not in output, output
    assert Store(tmp_path / "snapshots").versions.current("doc") is None

    single = tmp_path / "single"
    single.mkdir()
    served.expect_request("/both").respond_with_data(page(SUMMARY * 2), content_type="text/html")
    (single / "config.toml").write_text(
        LOOPBACK_FETCH + f'[[pages]]\nid = "doc"\nurl = "{served.url_for("/both")}"\nselect = "main"\n',
        encoding="utf-8",
    )
    close_all()
    code, alone = run_cli(single / "config.toml", clock, "check")
    assert code == 3 and alone == output, alone  # `doc  failed  empty page`, word for word


def test_a_short_joined_document_that_reads_as_a_login_wall_fails_as_one(
    served: HTTPServer, tmp_path: Path
) -> None:
    """A part holds a few words beside a login prompt: as a part (no word threshold) that is a banner beside its
    text; the joined document is short, and a short text that reads as a login wall is one, as a single page
    of it would be. The reason tells the reader what to do (a cookies file), where "empty page" would not."""
    prompt = "<html><body><div>You must log in to continue</div><main><p>Privacy terms here.</p></main></body></html>"
    config = combined(tmp_path, served, {"/policy": prompt, "/more": page("<p>More terms words.</p>")})
    code, output = run_cli(config, clock, "check")
    assert code == 3, output
    assert "login wall" in output and "part " not in output, output
    assert Store(tmp_path / "snapshots").versions.current("doc") is None


def test_a_part_with_no_text_at_all_still_fails_naming_the_part(served: HTTPServer, tmp_path: Path) -> None:
    config = combined(
        tmp_path,
        served,
        {"/policy": page("<h1>Privacy Policy</h1>" + PARAGRAPH * 3), "/blank": page("<p> </p>")},
    )
    code, output = run_cli(config, clock, "check")
    assert code == 3 and f"part 2 ({served.url_for('/blank')}): " in output, output
