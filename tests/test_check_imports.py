"""A `check` process imports what its pages use: the fetcher registry imports the module of the renderer asked
for (`monitor.fetch.<renderer>`) rather than every built-in, so a check of plain pages never pays for the
browser's modules. Each case runs in a fresh interpreter, since the first import in a process decides."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from cli_support import write_project
from pytest_httpserver import HTTPServer

BROWSER_MODULES = ("monitor.fetch.browser", "monitor.fetch.chromium", "monitor.fetch.auto")
PAGE = "<html><body><main><h1>Privacy Policy</h1><p>{}</p></main></body></html>"
WORDS = "We collect information about how you use our Products and the features you use. " * 8


def run_fresh(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def imported_after(code: str) -> str:
    """What `code` prints, then the browser modules imported by then (after `imported:`)."""
    listing = f"print('imported:', *[m for m in {BROWSER_MODULES!r} if m in sys.modules])"
    return run_fresh(f"import sys\n{code}\n{listing}")


def test_a_check_of_plain_pages_imports_no_browser_module(tmp_path: Path, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/policy").respond_with_data(PAGE.format(WORDS), content_type="text/html")
    config = write_project(tmp_path, {"policy": httpserver.url_for("/policy")})
    code = (
        f"from monitor.cli.main import main\nmain(['-c', {str(config)!r}, 'check'], standalone_mode=False)\n"
    )
    checked, imported = imported_after(code).splitlines()
    assert checked.split()[:2] == ["policy", "new"]
    assert imported == "imported:"


def test_asking_for_a_renderer_imports_its_module_alone() -> None:
    asked = "from monitor.registry import FETCHERS\n"
    assert imported_after(asked + "FETCHERS.get('http')") == "imported:"
    assert imported_after(asked + "print('http' in FETCHERS)") == "True\nimported:"
    browser = imported_after(asked + "FETCHERS.get('browser')")
    assert browser == "imported: monitor.fetch.browser monitor.fetch.chromium"


def test_every_renderer_is_still_named_in_order_and_in_a_mistake() -> None:
    code = (
        "from monitor.errors import UsageError\n"
        "from monitor.registry import FETCHERS\n"
        "print(FETCHERS.in_order())\n"
        "try:\n"
        "    FETCHERS.get('brwoser')\n"
        "except UsageError as error:\n"
        "    print(error)\n"
    )
    assert run_fresh(code).splitlines() == [
        "['http', 'browser', 'auto']",
        "unknown renderer 'brwoser'; did you mean 'browser'?",
    ]
