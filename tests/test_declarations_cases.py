"""Pages whose rules come from Open Terms Archive declarations give OTA's recorded text.

For every single-page HTML case in ../shared/corpus/ota/cases/ (not the combined Llama ToS, not the PDFs), the
snapshot is served on loopback and `check` runs on a page whose `declaration` points at a copy of the
declarations made here, with the fetch URL rewritten to loopback: the stored text holds at least 95% of the
visible words of OTA's `version.md` (recall), and at least 95% of its words are there (precision).
Declarations are AGPL data: read from the corpus at run time, never copied into the project.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cli_support import LOOPBACK_FETCH, run_cli
from pytest_httpserver import HTTPServer

from monitor.store.core import Store
from monitor.store.db import close_all

CASES = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "ota" / "cases"
pytestmark = pytest.mark.skipif(not CASES.is_dir(), reason="the shared OTA corpus is not here")


def single_page_html_cases() -> list[Path]:
    found = []
    for case_json in sorted(CASES.glob("*/*/case.json")) if CASES.is_dir() else []:
        case = json.loads(case_json.read_text(encoding="utf-8"))
        entry = case["declaration"]["terms"][case["terms"]]
        if "combine" not in entry and [p["file"] for p in case["parts"]] == ["part-0.html"]:
            found.append(case_json.parent)
    return found


# The Llama API Data Processor Agreement case holds OTA to its word: OTA keeps a breadcrumb <nav> inside the
# selected <main> (16 of 191 words), and so does a region the rules name here (Skipper.name_region).


def visible_words(markdown: str) -> Counter[str]:
    """The words a browser shows of OTA's Markdown: link targets, images' addresses and markup gone."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", markdown)
    text = re.sub(r"<[^>]+>", " ", text)
    return Counter(re.findall(r"\w+", text.lower()))


def words(text: str) -> Counter[str]:
    return Counter(re.findall(r"\w+", text.lower()))


@pytest.fixture(scope="module")
def server() -> Iterator[HTTPServer]:
    server = HTTPServer()
    server.start()
    yield server
    server.clear()
    server.stop()


def declarations_copy(folder: Path, case: dict, url: str) -> Path:
    """A checkout-shaped copy of the case's declaration (as in force when OTA recorded it), its URL on loopback."""
    declaration = json.loads(json.dumps(case["declaration"]))
    declaration["terms"][case["terms"]]["fetch"] = url
    target = folder / "checkout" / "declarations"
    target.mkdir(parents=True)
    (target / f"{case['service']}.json").write_text(json.dumps(declaration, indent=2), encoding="utf-8")
    return folder / "checkout"


@pytest.mark.parametrize("case_dir", single_page_html_cases(), ids=lambda path: getattr(path, "name", None))
def test_a_declaration_page_stores_the_text_ota_recorded(
    case_dir: Path, server: HTTPServer, tmp_path: Path
) -> None:
    case = json.loads((case_dir / "case.json").read_text(encoding="utf-8"))
    path = f"/{case_dir.name}"
    server.expect_request(path).respond_with_data(
        (case_dir / "part-0.html").read_bytes(), content_type="text/html; charset=utf-8"
    )
    checkout = declarations_copy(tmp_path, case, server.url_for(path))
    config = tmp_path / "config.toml"
    config.write_text(
        LOOPBACK_FETCH
        + '\n[[pages]]\nid = "doc"\nrenderer = "http"\n'
        + f"declaration = {{ path = {json.dumps(str(checkout))}, service = {json.dumps(case['service'])}, "
        + f"terms = {json.dumps(case['terms'])} }}\n",
        encoding="utf-8",
    )
    close_all()
    code, output = run_cli(config, lambda: datetime(2026, 4, 1, tzinfo=UTC), "check")
    assert code == 0, output
    store = Store(tmp_path / "snapshots")
    current = store.versions.current("doc")
    assert current is not None
    stored = words(store.versions.read_text("doc", current.id))
    expected = visible_words((case_dir / "version.md").read_text(encoding="utf-8"))
    common = sum((stored & expected).values())
    recall, precision = common / sum(expected.values()), common / sum(stored.values())
    assert recall >= 0.95 and precision >= 0.95, (round(recall, 3), round(precision, 3))
