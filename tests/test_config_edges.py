"""Config and page options as people write them, each mistake one line with exit status 2 (never a traceback,
never pydantic's own wording): a file saved with a byte-order mark, pages written as an inline array that
`add` cannot extend, a config reached through a link, a page given on the command line with a bad URL or
selector, a header value HTTP cannot carry, a range in `select` with a wrong value."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_support import run_cli, write_project
from pytest_httpserver import HTTPServer
from service_support import FakeClock, utc

POLICY = (
    "<html><head><title>Privacy Policy</title></head><body><main><h1>Privacy Policy</h1>"
    + "<p>We collect information about how you use our Products, such as the content you view.</p>" * 6
    + "</main></body></html>"
)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(utc("2026-05-01 10:00"))


def test_a_config_saved_with_a_byte_order_mark_reads_as_written(tmp_path: Path, clock: FakeClock) -> None:
    config = tmp_path / "config.toml"
    config.write_bytes(b'\xef\xbb\xbf[store]\npath = "store"\n')
    assert run_cli(config, clock, "config", "check")[0] == 0


def test_add_to_pages_written_as_an_inline_array_says_what_to_do(
    tmp_path: Path, clock: FakeClock, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/policy").respond_with_data(POLICY, content_type="text/html")
    config = tmp_path / "config.toml"
    config.write_text('pages = []\n\n[store]\npath = "store"\n', encoding="utf-8")
    code, output = run_cli(config, clock, "add", httpserver.url_for("/policy"))
    assert (code, output.splitlines()[-1]) == (
        2,
        f"Error: {config}: a [[pages]] table cannot be added to this file as it is written (its pages are an"
        " inline array?); write each page as a [[pages]] table, or add this one by hand",
    )
    assert config.read_text(encoding="utf-8") == 'pages = []\n\n[store]\npath = "store"\n'


def test_add_through_a_link_writes_the_file_it_names_and_keeps_the_link(
    tmp_path: Path, clock: FakeClock, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/policy").respond_with_data(POLICY, content_type="text/html")
    (tmp_path / "dotfiles").mkdir()
    real = tmp_path / "dotfiles" / "config.toml"
    real.write_text('[store]\npath = "store"\n', encoding="utf-8")
    link = tmp_path / "config.toml"
    link.symlink_to(real)
    code, output = run_cli(link, clock, "add", httpserver.url_for("/policy"))
    assert code == 0, output
    assert link.is_symlink() and "[[pages]]" in real.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("test", "http://"), "Error: http://: url: 'http://' is not an http(s) URL"),
        (("add", "ftp://example.org/policy"), "Error: ftp://example.org/policy: url: 'ftp://example.org/policy' is not an http(s) URL"),
        (("test", "policy", "--select", "p:nth-child("), "Error: policy: select: not a CSS selector: 'p:nth-child(' (Expected an argument, got <EOF at 12>)"),
        (("add", "https://example.org/p", "--id", "Bad Id"), "Error: https://example.org/p: id: 'Bad Id' is not a safe id (lowercase letters, digits, '.', '_', '-')"),
    ],
)  # fmt: skip
def test_a_page_given_on_the_command_line_is_checked_as_the_config_checks_it(
    tmp_path: Path, clock: FakeClock, args: tuple[str, ...], message: str
) -> None:
    config = write_project(tmp_path, {"policy": "https://example.org/policy"})
    code, output = run_cli(config, clock, *args)
    assert (code, output) == (2, message + "\n")


@pytest.mark.parametrize(
    ("page", "message"),
    [
        ('headers = { "X-Price" = "5 €" }', "pages[0] (id 'p').headers: '5 €' cannot be sent in an HTTP header: '€' is not a Latin-1 character (write it in ASCII)"),
        ('accept_language = "de-DE €"', "pages[0] (id 'p').accept_language: 'de-DE €' cannot be sent in an HTTP header: '€' is not a Latin-1 character (write it in ASCII)"),
        ('select = [{ start_before = 1, end_before = "h2" }]', "pages[0] (id 'p').select[0].start_before: input should be a valid string (got int 1)"),
        ('select = ["#x", 3]', "pages[0] (id 'p').select[1]: input should be a valid string (got int 3) (and 1 more problem)"),
    ],
)  # fmt: skip
def test_a_page_key_http_or_the_selector_cannot_use_is_named(
    tmp_path: Path, clock: FakeClock, page: str, message: str
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[[pages]]\nid = "p"\nurl = "https://example.org/p"\n{page}\n', encoding="utf-8")
    assert run_cli(config, clock, "config", "check") == (2, f"Error: {config}: {message}\n")
