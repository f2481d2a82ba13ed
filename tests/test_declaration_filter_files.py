"""A filters file that takes its filters from a sibling (`export { cleanUrls } from './Facebook.filters.js';`, as
several of OTA's files do) runs them as if it defined them; a re-export that cannot be followed fails that page
naming the file and line."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cli_support import LOOPBACK_FETCH, run_cli
from pytest_httpserver import HTTPServer

from monitor.config.declarations import DeclarationError, read_declaration
from monitor.config.schema import DeclarationRef
from monitor.store.core import Store
from monitor.store.db import close_all

WORDS = "Your data is kept for as long as your account exists and erased within ninety days after. " * 4
PAGE = (
    "<html><head><title>Terms</title></head><body><main><h1>Terms</h1>"
    f"<p>{WORDS}</p><p class='promo'>Download our app today.</p><p class='help'>Need help?</p>"
    "</main></body></html>"
)
SHARED_JS = """export function removePromo(document) {
  document.querySelectorAll('.promo').forEach(element => element.remove());
}
export function removeHelp(document) { document.querySelector('.help').remove(); }
"""
# A service's own file: one filter re-exported under its name, one under another, one of its own.
SERVICE_JS = """export { removePromo } from './Shared.filters.js';
export { removeHelp as dropHelp } from './Shared.filters.js';
export function own(document) { document.querySelector('h1').textContent = 'Terms of Service'; }
"""


def clock() -> datetime:
    return datetime(2026, 4, 1, 8, 0, tzinfo=UTC)


def checkout(
    tmp_path: Path, url: str, filters: list[str], script: str, shared: str | None = SHARED_JS
) -> Path:
    folder = tmp_path / "checkout" / "declarations"
    folder.mkdir(parents=True)
    terms = {"fetch": url, "select": "main", "filter": filters}
    (folder / "Example.json").write_text(
        json.dumps({"name": "Example", "terms": {"Terms of Service": terms}})
    )
    (folder / "Example.filters.js").write_text(script, encoding="utf-8")
    if shared is not None:
        (folder / "Shared.filters.js").write_text(shared, encoding="utf-8")
    return folder.parent


@pytest.mark.browser
def test_re_exported_filters_run_as_the_files_own(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/terms").respond_with_data(PAGE, content_type="text/html; charset=utf-8")
    folder = checkout(tmp_path, httpserver.url_for("/terms"), ["removePromo", "dropHelp", "own"], SERVICE_JS)
    config = tmp_path / "config.toml"
    config.write_text(
        LOOPBACK_FETCH + '\n[[pages]]\nid = "terms"\n'
        f'declaration = {{ path = "{folder}", service = "Example", terms = "Terms of Service" }}\n'
    )
    close_all()

    code, output = run_cli(config, clock, "check", "--json")

    assert (code, json.loads(output)["outcome"]) == (0, "new"), output
    store = Store(tmp_path / "snapshots")
    text = store.versions.read_text("terms", store.versions.current("terms").id)
    assert text.startswith("# Terms of Service\n\nYour data is kept")
    assert "Download our app" not in text
    assert "Need help" not in text


@pytest.mark.parametrize(
    ("script", "shared", "problem"),
    [
        ("export { removePromo } from './Gone.filters.js';\n", None, "line 1: cannot read Gone.filters.js"),
        (
            "export { nothing } from './Shared.filters.js';\n",
            SHARED_JS,
            "line 1: nothing is not exported by Shared",
        ),
        (
            "export { removePromo } from './Shared.filters.js';\n",
            "export { removePromo } from './Example.filters.js';\n",
            "Shared.filters.js: line 1: re-exports from Example.filters.js in a cycle",
        ),
        (
            "export { removePromo } from '../elsewhere/Shared.filters.js';\n",
            None,
            "line 1: re-exports from ../elsewhere/Shared.filters.js, outside the declarations folder",
        ),
    ],
)
def test_a_re_export_that_cannot_be_followed_names_the_file_and_line(
    tmp_path: Path, script: str, shared: str | None, problem: str
) -> None:
    folder = checkout(tmp_path, "https://example.org/terms", ["removePromo"], script, shared)
    with pytest.raises(DeclarationError) as caught:
        read_declaration(
            tmp_path, DeclarationRef(path=str(folder), service="Example", terms="Terms of Service")
        )
    assert problem in str(caught.value)
    assert str(caught.value).startswith(str(folder / "declarations"))


@pytest.mark.parametrize(
    ("script", "note"),
    [
        (
            "import fetch from 'isomorphic-fetch';\nexport function removePromo(document) {}\n",
            "Example.filters.js: imports isomorphic-fetch: filters that import modules cannot run here",
        ),
        (
            "export { removePromo } from './Gone.filters.js';\n",
            "Example.filters.js: line 1: cannot read Gone",
        ),
    ],
)
def test_config_check_names_a_filters_file_whose_filters_cannot_run(
    tmp_path: Path, script: str, note: str
) -> None:
    folder = checkout(tmp_path, "https://example.org/terms", ["removePromo"], script, shared=None)
    config = tmp_path / "config.toml"
    config.write_text(
        LOOPBACK_FETCH + '\n[[pages]]\nid = "terms"\n'
        f'declaration = {{ path = "{folder}", service = "Example", terms = "Terms of Service" }}\n'
    )
    close_all()

    code, output = run_cli(config, clock, "config", "check")

    assert f"page terms: {folder / 'declarations'}/{note}" in output, output
