"""Pages from Open Terms Archive declarations: read at each check, one place for a page's rules, a broken
declaration fails its page and never the run, `add --declaration`, `config check`, and `validUntil`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cli_support import LOOPBACK_FETCH, run_cli
from pytest_httpserver import HTTPServer

from monitor.config.declarations import in_force
from monitor.config.loading import load_config
from monitor.errors import ConfigError
from monitor.store.db import close_all

DOC = "<html><body><div id='main'><h1>Terms</h1>" + "<p>We keep your data safe and we say so here.</p>" * 5
DOC += "<hr id='sep'><p>Deutsch Türkçe Français</p></div><footer>Footer links</footer></body></html>"


def now() -> datetime:
    return datetime(2026, 4, 1, tzinfo=UTC)


@pytest.fixture
def server() -> Iterator[HTTPServer]:
    server = HTTPServer()
    server.start()
    server.expect_request("/terms").respond_with_data(DOC, content_type="text/html")
    yield server
    server.clear()
    server.stop()


def checkout(folder: Path, url: str) -> Path:
    declarations = folder / "ota" / "declarations"
    declarations.mkdir(parents=True)
    terms = {"fetch": url, "select": [{"startBefore": "#main", "endBefore": "#sep"}]}
    (declarations / "Example.json").write_text(
        json.dumps({"name": "Example", "terms": {"Terms of Service": terms}})
    )
    return folder / "ota"


def project(folder: Path, page: str) -> Path:
    config = folder / "config.toml"
    config.write_text(LOOPBACK_FETCH + "\n" + page, encoding="utf-8")
    return config


DECLARED = '[[pages]]\nid = "{id}"\nrenderer = "http"\ndeclaration = {{ path = "ota", service = "Example", terms = "{terms}" }}\n'


def test_a_declaration_page_takes_its_url_and_ranges_from_the_declaration(
    server: HTTPServer, tmp_path: Path
) -> None:
    checkout(tmp_path, server.url_for("/terms"))
    config = project(tmp_path, DECLARED.format(id="terms", terms="Terms of Service"))
    page = load_config(config).config.pages[0]
    assert (page.url, page.select, page.renderer) == (
        server.url_for("/terms"),
        [{"start_before": "#main", "end_before": "#sep"}],
        "http",
    )
    close_all()
    code, output = run_cli(config, now, "test", "terms", "--full")
    assert code == 0, output
    assert "Deutsch" not in output and "Footer" not in output and "We keep your data safe" in output


def test_select_on_a_declaration_page_is_a_config_error_naming_both_sources(tmp_path: Path) -> None:
    checkout(tmp_path, "https://example.org/terms")
    config = project(tmp_path, DECLARED.format(id="terms", terms="Terms of Service") + 'select = ["main"]\n')
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    file = tmp_path / "ota" / "declarations" / "Example.json"
    assert str(caught.value) == (
        f"{config}: pages[0] (id 'terms').select: the page's rules come from its declaration ({file}, terms "
        "'Terms of Service') and from this key (hint: one place holds a page's rules: remove `select` here, "
        "or remove `declaration`)"
    )


def test_a_broken_declaration_fails_its_page_naming_the_file_and_the_other_pages_are_checked(
    server: HTTPServer, tmp_path: Path
) -> None:
    checkout(tmp_path, server.url_for("/terms"))
    config = project(
        tmp_path,
        DECLARED.format(id="terms", terms="Terms of Service")
        + DECLARED.format(id="gone", terms="Privacy Policy"),
    )
    close_all()
    code, output = run_cli(config, now, "check")
    file = tmp_path / "ota" / "declarations" / "Example.json"
    assert code == 3, output
    assert f"{file}: terms.Privacy Policy: unknown terms type" in output
    assert "terms: new" in output or "terms" in output.split("gone")[0]
    (file).write_text("{ not json", encoding="utf-8")  # a `git pull` that broke it
    close_all()
    code, output = run_cli(config, now, "check")
    assert code == 3 and f"{file}: not valid JSON: line 1" in output, output


def test_config_check_names_unknown_and_missing_declarations_with_file_and_key(tmp_path: Path) -> None:
    checkout(tmp_path, "https://example.org/terms")
    config = project(
        tmp_path,
        DECLARED.format(id="terms", terms="Terms of Servce")
        + DECLARED.format(id="other", terms="x").replace('service = "Example"', 'service = "Exampel"'),
    )
    close_all()
    code, output = run_cli(config, now, "config", "check")
    folder = tmp_path / "ota" / "declarations"
    assert code == 2, output
    assert (
        f"error: page terms: {folder / 'Example.json'}: terms.Terms of Servce: unknown terms type (did you mean 'Terms of Service'?)"
        in output
    )
    assert f"page other: {folder / 'Exampel.json'}: no such declaration (did you mean 'Example'?)" in output


def test_add_declaration_appends_one_page_per_terms_type_with_ids_from_service_and_terms(
    tmp_path: Path,
) -> None:
    checkout(tmp_path, "https://example.org/terms")
    config = project(tmp_path, "")
    close_all()
    code, output = run_cli(config, now, "add", "--declaration", str(tmp_path / "ota"), "--service", "Example")
    assert code == 0, output
    assert output.startswith("added example-terms-of-service (Example / Terms of Service, rules from ")
    page = load_config(config).config.pages[0]
    assert page.declaration is not None and page.declaration.path == "ota"
    assert "select" not in config.read_text(encoding="utf-8")


def test_add_declaration_of_a_service_that_declares_no_terms_today_says_so(tmp_path: Path) -> None:
    folder = tmp_path / "ota" / "declarations"
    folder.mkdir(parents=True)
    (folder / "Gone.json").write_text('{"name": "Gone", "terms": {}}', encoding="utf-8")
    config = project(tmp_path, "")
    close_all()
    code, output = run_cli(config, now, "add", "--declaration", str(tmp_path / "ota"), "--service", "Gone")
    assert (code, output.strip()) == (
        2,
        f"Error: {folder / 'Gone.json'}: declares no terms today (only its history may): nothing to add; "
        "pick another --service",
    )


def test_valid_until_gives_the_declaration_in_force_at_a_date(tmp_path: Path) -> None:
    file = tmp_path / "Example.json"
    history = {
        "Terms of Service": [
            {"fetch": "https://example.org/b", "select": "#b", "validUntil": "2024-06-01T00:00:00Z"},
            {"fetch": "https://example.org/a", "select": "#a", "validUntil": "2023-01-01T00:00:00+01:00"},
        ]
    }
    (tmp_path / "Example.history.json").write_text(json.dumps(history))
    current = {"fetch": "https://example.org/c", "select": "#c"}
    at = lambda text: datetime.fromisoformat(text)  # noqa: E731
    assert in_force(file, "Terms of Service", current, at("2022-05-01T00:00:00+00:00"))["select"] == "#a"
    assert in_force(file, "Terms of Service", current, at("2023-06-01T00:00:00+00:00"))["select"] == "#b"
    assert in_force(file, "Terms of Service", current, at("2025-01-01T00:00:00"))["select"] == "#c"
    assert in_force(file, "Privacy Policy", current, at("2022-01-01T00:00:00"))["select"] == "#c"


# Every way the public declaration repositories write `validUntil` (counted over their history files).
VALID_UNTIL = [
    ("2024-06-01T10:00:00.000Z", datetime(2024, 6, 1, 10, tzinfo=UTC)),  # 277 entries
    ("2024-06-01T10:00:00Z", datetime(2024, 6, 1, 10, tzinfo=UTC)),  # 225
    ("2024-06-01T12:00:00+02:00", datetime(2024, 6, 1, 10, tzinfo=UTC)),  # 62
    ("2024-06-01T10:00:00.123456Z", datetime(2024, 6, 1, 10, 0, 0, 123456, tzinfo=UTC)),  # 3
    ("2024-06-01T12:00:00.000+02:00", datetime(2024, 6, 1, 10, tzinfo=UTC)),  # 1
    ("2024-06-01T12:00:00+0200", datetime(2024, 6, 1, 10, tzinfo=UTC)),  # 1
]


@pytest.mark.parametrize(("written", "until"), VALID_UNTIL)
def test_valid_until_is_read_in_every_form_the_declarations_write(
    tmp_path: Path, written: str, until: datetime
) -> None:
    file = tmp_path / "Example.json"
    history = {
        "Terms of Service": [{"fetch": "https://example.org/old", "select": "#old", "validUntil": written}]
    }
    (tmp_path / "Example.history.json").write_text(json.dumps(history))
    current = {"fetch": "https://example.org/new", "select": "#new"}
    # `validUntil` is inclusive, as in OTA's engine (`date <= validUntil`): the next entry begins just after it.
    at, just_after = until, until + timedelta(microseconds=1)
    assert in_force(file, "Terms of Service", current, at)["select"] == "#old"
    assert in_force(file, "Terms of Service", current, just_after)["select"] == "#new"


def test_pages_shows_where_each_page_s_rules_come_from(tmp_path: Path) -> None:
    checkout(tmp_path, "https://example.org/terms")
    config = project(
        tmp_path,
        DECLARED.format(id="terms", terms="Terms of Service")
        + '[[pages]]\nid = "own"\nurl = "https://example.org/own"\nselect = ["main"]\n'
        + '[[pages]]\nid = "auto"\nurl = "https://example.org/auto"\n',
    )
    code, output = run_cli(config, now, "pages")
    assert code == 0
    assert [line.split("  http  ")[1].split("  every")[0].strip() for line in output.splitlines()[1:4]] == [
        "Example / Terms of Service (declaration)",
        "select",
        "automatic",
    ]
    code, output = run_cli(config, now, "pages", "--json")
    assert [page["rules"]["from"] for page in json.loads(output)["pages"]] == [
        "declaration",
        "config",
        "automatic",
    ]


@pytest.mark.parametrize(
    ("key", "value", "reason"),
    [
        ("select", "main >", "terms.Terms of Service.select: not a CSS selector: 'main >'"),
        (
            "fetch",
            "ftp://example.org/terms",
            "terms.Terms of Service.fetch: 'ftp://example.org/terms' is not an http(s) URL",
        ),
    ],
    ids=["a selector that is none", "a fetch URL that is no http(s) URL"],
)
def test_a_bad_rule_in_a_declaration_fails_its_page_not_the_config(
    server: HTTPServer, tmp_path: Path, key: str, value: str, reason: str
) -> None:
    """A declaration's selectors and URL are checked where it is read, as the page's own keys are: what a `git
    pull` broke fails that page's check naming the file and key; the other pages are checked."""
    home = checkout(tmp_path, server.url_for("/terms"))
    file = home / "declarations" / "Example.json"
    declaration = json.loads(file.read_text())
    declaration["terms"]["Terms of Service"][key] = value
    file.write_text(json.dumps(declaration))
    server.expect_request("/own").respond_with_data(
        "<html><body><main><h1>Own</h1><p>"
        + "We keep your data safe and use it to run the service. " * 8
        + "</p></main></body></html>",
        content_type="text/html",
    )
    config = project(
        tmp_path,
        DECLARED.format(id="terms", terms="Terms of Service")
        + f'[[pages]]\nid = "own"\nurl = "{server.url_for("/own")}"\nselect = ["main"]\n',
    )
    close_all()
    code, output = run_cli(config, now, "check")
    assert code == 3, output
    lines = dict(line.split(None, 1) for line in output.splitlines() if line.split()[0] in ("terms", "own"))
    assert lines["own"].startswith("new") and f"{file}: {reason}" in lines["terms"], output
