"""Open Terms Archive filters run in Chromium, never in this process: a declaration's named filters edit the
page's DOM (the page's own scripts off), OTA's own `removeQueryParams` works as OTA's does, and a filter that throws
or runs past its time fails the check naming the filter, never a version."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cli_support import LOOPBACK_FETCH, run_cli
from pytest_httpserver import HTTPServer

from monitor.fetch import filters as filters_module
from monitor.fetch.browser import SYSTEM_CHROMIUM
from monitor.fetch.filters import Filter, run_filters
from monitor.store.core import Store
from monitor.store.db import close_all

pytestmark = pytest.mark.browser

WORDS = "Your data is kept for as long as your account exists and erased within ninety days after. " * 4
PAGE = (
    "<html><head><title>Terms</title></head><body><main><h1>Terms</h1>"
    f"<p>{WORDS}</p><p class='promo'>Download our app today and win a prize.</p>"
    "<script>document.querySelector('main').append('The page script ran.')</script>"
    "</main></body></html>"
)
FILTERS_JS = """export function removePromo(document) {
  document.querySelectorAll('.promo').forEach(element => element.remove());
}
export function boom(document) { throw new Error('no such element'); }
export const spin = document => { while (true) {} };
export async function hang(document) { await new Promise(() => {}); }
"""


def clock() -> datetime:
    return datetime(2026, 4, 1, 8, 0, tzinfo=UTC)


def project(tmp_path: Path, url: str, filters: list[object], *, script: str | None = FILTERS_JS) -> Path:
    folder = tmp_path / "checkout" / "declarations"
    folder.mkdir(parents=True)
    declaration = {
        "name": "Example",
        "terms": {"Terms of Service": {"fetch": url, "select": "main", "filter": filters}},
    }
    (folder / "Example.json").write_text(json.dumps(declaration), encoding="utf-8")
    if script is not None:
        (folder / "Example.filters.js").write_text(script, encoding="utf-8")
    config = tmp_path / "config.toml"
    config.write_text(
        LOOPBACK_FETCH
        + '\n[[pages]]\nid = "terms"\n'
        + f'declaration = {{ path = "{folder.parent}", service = "Example", terms = "Terms of Service" }}\n',
        encoding="utf-8",
    )
    close_all()
    return config


def check(
    httpserver: HTTPServer, tmp_path: Path, filters: list[object], *, script: str = FILTERS_JS
) -> tuple[int, dict]:
    httpserver.expect_request("/terms").respond_with_data(PAGE, content_type="text/html; charset=utf-8")
    config = project(tmp_path, httpserver.url_for("/terms"), filters, script=script)
    code, output = run_cli(config, clock, "check", "--json")
    return code, json.loads(output)


def test_a_named_filter_edits_the_page_before_extraction(httpserver: HTTPServer, tmp_path: Path) -> None:
    code, result = check(httpserver, tmp_path, ["removePromo"])

    assert (code, result["outcome"]) == (0, "new"), result
    store = Store(tmp_path / "snapshots")
    text = store.versions.read_text("terms", store.versions.current("terms").id)
    assert "Download our app" not in text
    assert "The page script ran" not in text  # the page's own scripts never run
    assert text.startswith("# Terms\n\nYour data is kept")


def test_a_filter_that_throws_fails_the_check_naming_it(httpserver: HTTPServer, tmp_path: Path) -> None:
    code, result = check(httpserver, tmp_path, ["removePromo", "boom"])

    assert (code, result["outcome"]) == (3, "failed")
    assert result["reason"].startswith("filter boom: Error: no such element"), result["reason"]
    assert Store(tmp_path / "snapshots").versions.current("terms") is None


@pytest.mark.parametrize("name", ["spin", "hang"], ids=["a loop", "a promise that never settles"])
def test_a_filter_past_its_time_fails_the_check_naming_it(
    httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.setattr(filters_module, "FILTER_SECONDS", 1.0)
    monkeypatch.setattr(filters_module, "LAUNCH_SECONDS", 8.0)

    code, result = check(httpserver, tmp_path, ["removePromo", name])

    assert (code, result["outcome"]) == (3, "failed")
    assert result["reason"] == f"filter {name}: ran past 1s"
    assert Store(tmp_path / "snapshots").versions.current("terms") is None


def test_a_filter_the_file_does_not_define_fails_naming_it(httpserver: HTTPServer, tmp_path: Path) -> None:
    code, result = check(httpserver, tmp_path, ["removeBanner"])

    assert (code, result["reason"]) == (3, "filter removeBanner: not defined in Example.filters.js")


def test_a_filters_file_with_a_syntax_error_fails_the_check_naming_the_file_and_the_error(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    broken = "export function removePromo(document) {\n  document.querySelectorAll('.promo'.forEach(e => e.remove());\n}\n"

    code, result = check(httpserver, tmp_path, ["removePromo"], script=broken)

    assert (code, result["outcome"]) == (3, "failed")
    assert result["reason"].startswith("filters file Example.filters.js: SyntaxError"), result["reason"]
    assert Store(tmp_path / "snapshots").versions.current("terms") is None


def test_indented_exports_and_exported_classes_run_as_config_check_reads_them(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    indented = (
        "  export class Promo { static selector = '.promo'; }\n"
        "  export function removePromo(document) {\n"
        "    document.querySelectorAll(Promo.selector).forEach(element => element.remove());\n"
        "  }\n"
    )

    code, result = check(httpserver, tmp_path, ["removePromo"], script=indented)

    assert (code, result["outcome"]) == (0, "new"), result
    store = Store(tmp_path / "snapshots")
    assert "Download our app" not in store.versions.read_text("terms", store.versions.current("terms").id)


def test_remove_query_params_works_as_ota_s() -> None:
    html = (
        '<html><body><a href="/help?utm_source=x&id=7&fbclid=1">help</a>'
        '<img src="https://cdn.example/a.png?fbclid=2"><a href="https://other.example/p?id=3">p</a></body></html>'
    )

    out = run_filters(
        html,
        "https://example.com/terms",
        [Filter("removeQueryParams", ["utm_source", "fbclid"], True)],
        executable=str(SYSTEM_CHROMIUM),
    )

    assert '<a href="https://example.com/help?id=7">help</a>' in out  # made absolute, as OTA's DOM does
    assert '<img src="https://cdn.example/a.png">' in out
    assert '<a href="https://other.example/p?id=3">p</a>' in out  # untouched: none of the parameters
    assert "<base" not in out
