"""The default config's Meta AI Terms region is Open Terms Archive's range: over the real captures of 2026, no
change it records touches the footer or the language menu."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from monitor.extract.document import extract_document

ROOT = Path(__file__).resolve().parents[1]
CAPTURES = ROOT.parent / "shared" / "corpus" / "html" / "genai-eu-snapshots" / "Meta_AI" / "Terms_of_Service"
FURNITURE = (
    "Deutsch",
    "Türkçe",
    "Español",
    "Cookies",
    "Meta © 2026",
    "Privacy Centre",
    "Datenschutzrichtlinie",
)


@pytest.mark.skipif(not CAPTURES.is_dir(), reason="the shared corpus is not here")
def test_the_meta_ai_terms_region_holds_no_footer_or_language_menu_in_any_capture() -> None:
    config = tomllib.loads((ROOT / "config.toml").read_text(encoding="utf-8"))
    page = next(p for p in config["pages"] if p["id"] == "meta-ai-terms-en")
    assert page["select"] == [{"start_before": "[role='main']", "end_after": "[role='separator']"}]
    texts = []
    for capture in sorted(CAPTURES.glob("*.html")):
        text = extract_document(capture.read_text(encoding="utf-8"), select=page["select"]).document.to_text()
        assert text.count("\n\n") > 20, capture.name
        assert not [word for word in FURNITURE if word in text], capture.name
        texts.append(text)
    assert len(texts) >= 6
