"""`test PAGE` tunes selectors without storing; `add URL` tries a page, then appends it to the config."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner
from pytest_httpserver import HTTPServer

from monitor.cli.main import main
from monitor.config.edit import page_id_for

POLICY = """<html><head><title>WhatsApp Privacy Policy</title></head><body>
<nav>Home</nav><div id="content-wrapper"><h1>WhatsApp Privacy Policy</h1>
<p>We collect information to operate, provide, improve, understand, customise, support and market our Services,
including when you install, access or use our Services.</p>
<p>The types of information we receive and collect depend on how you use our Services. We require certain
information to deliver our Services and without this we will not be able to provide our Services to you.</p>
</div><div id="cookie-banner">We use cookies. Accept?</div></body></html>"""


@pytest.fixture
def config(tmp_path: Path, httpserver: HTTPServer) -> Path:
    httpserver.expect_request("/legal/privacy").respond_with_data(POLICY, content_type="text/html")
    path = tmp_path / "config.toml"
    path.write_text("# my pages\n[fetch]\nretries = 0\n")
    return path


def invoke(config: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["-c", str(config), *args])
    return result.exit_code, result.output


@pytest.mark.parametrize(
    ("url", "taken", "expected"),
    [
        ("https://www.facebook.com/privacy/genai/", set(), "facebook-com-privacy-genai"),
        (
            "https://mbasic.facebook.com/privacy/policy/printable/",
            set(),
            "facebook-com-privacy-policy-printable",
        ),
        ("https://example.org/", {"example-org"}, "example-org-2"),
        ("http://127.0.0.1:8123/policy.html", set(), "policy-html"),
        ("http://localhost:8123/legal/privacy", set(), "legal-privacy"),
        ("http://[::1]:8123/", set(), "page"),
    ],
)
def test_page_ids_are_made_from_the_url(url: str, taken: set[str], expected: str) -> None:
    assert page_id_for(url, taken) == expected


def test_a_title_makes_the_page_id() -> None:
    assert page_id_for("http://127.0.0.1:8123/policy.html", set(), "Datenschutzrichtlinie für Ä") == (
        "datenschutzrichtlinie-fur-a"
    )
    assert page_id_for("https://x.example/", {"whatsapp-privacy-policy"}, "WhatsApp Privacy Policy") == (
        "whatsapp-privacy-policy-2"
    )


def test_test_shows_coverage_and_first_lines_and_stores_nothing(config: Path, httpserver: HTTPServer) -> None:
    code, output = invoke(
        config, "test", httpserver.url_for("/legal/privacy"), "--select", "#content-wrapper"
    )
    assert code == 0, output
    lines = output.splitlines()
    assert lines[0].startswith("trial: HTTP 200 ")
    assert lines[1].startswith("coverage 100.0% of ")
    assert lines[2] == "ok: the document"
    assert lines[3:5] == ["---", "# WhatsApp Privacy Policy"]
    assert "cookies" not in output
    assert not (config.parent / "snapshots").exists()


def test_test_with_a_selector_that_matches_nothing_fails_clearly(
    config: Path, httpserver: HTTPServer
) -> None:
    code, output = invoke(config, "test", httpserver.url_for("/legal/privacy"), "--select", "#nope")
    assert code == 3
    assert output.splitlines()[-1].startswith("failed: selector matched nothing")


def test_add_appends_a_valid_page_and_keeps_comments(config: Path, httpserver: HTTPServer) -> None:
    url = httpserver.url_for("/legal/privacy")
    code, output = invoke(config, "add", url, "--id", "whatsapp-privacy", "--select", "#content-wrapper")
    assert code == 0, output
    assert output.splitlines()[-1] == f"added whatsapp-privacy (renderer http) to {config}"
    text = config.read_text()
    assert text.startswith("# my pages\n")
    page = tomllib.loads(text)["pages"][0]
    assert page == {
        "id": "whatsapp-privacy",
        "url": url,
        "title": "WhatsApp Privacy Policy",
        "renderer": "http",
        "select": ["#content-wrapper"],
    }
    code, output = invoke(config, "add", url, "--id", "whatsapp-privacy")
    assert (code, output) == (
        2,
        f"warning: {url} is configured already as page whatsapp-privacy\n"
        f"Error: {config}: a page with id 'whatsapp-privacy' exists already (choose another --id)\n",
    )


def test_add_names_the_page_after_its_title_and_warns_about_a_known_url(
    config: Path, httpserver: HTTPServer
) -> None:
    url = httpserver.url_for("/legal/privacy")
    code, output = invoke(config, "add", url, "--select", "#content-wrapper")
    assert (code, output.splitlines()[-1]) == (
        0,
        f"added whatsapp-privacy-policy (renderer http) to {config}",
    )
    code, output = invoke(config, "add", url, "--select", "#content-wrapper", "--dry-run")
    assert code == 0
    assert output.splitlines()[0] == f"warning: {url} is configured already as page whatsapp-privacy-policy"
    assert output.endswith(
        "\n[[pages]]\n"
        'id = "whatsapp-privacy-policy-2"\n'
        f'url = "{url}"\n'
        'title = "WhatsApp Privacy Policy"\n'
        'renderer = "http"\n'
        'select = ["#content-wrapper"]\n'
    )


def test_add_help_states_the_real_default() -> None:
    result = CliRunner().invoke(main, ["add", "--help"])
    assert "(default: auto, plain HTTP first, then the browser; the renderer that worked is" in " ".join(
        result.output.split()
    ).replace("is written", "is")


def test_add_refuses_a_page_whose_trial_failed(config: Path, httpserver: HTTPServer) -> None:
    before = config.read_text()
    url = httpserver.url_for("/missing")
    code, output = invoke(config, "add", url)
    assert (code, output) == (
        3,
        "failed: HTTP 500\n"
        f"Error: {url}: not added, the trial failed (check the URL, or add it anyway with --force)\n",
    )
    assert invoke(config, "test", url) == (3, "failed: HTTP 500\n")  # the same failure, the same code
    assert config.read_text() == before
    code, output = invoke(config, "add", httpserver.url_for("/legal/privacy"), "--select", "#nope")
    assert (code, output.splitlines()[-1]) == (
        3,
        f"Error: {httpserver.url_for('/legal/privacy')}: not added, the trial failed (tune --select/--remove "
        "with `privacy-monitor test URL`, or add it anyway with --force)",
    )
