"""`watches WATCH --history` over Meta's real captures, imported as a folder of dated HTML files: every
rewording of the watched sentence is a wording of its own, `changed` on the day Meta made it, and the watch
follows each new wording to the next (the Meta AI Terms' private-processing sentence, rewritten on 13 May
2026; the printable privacy policy's item on interactions with AI, rewritten on 16 December 2025 and again
in August 2026)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cli_support import run_cli, write_project

pytestmark = pytest.mark.corpus

CAPTURES = "html/genai-eu-snapshots"
CASES = {
    "meta-ai-terms": (
        "Meta_AI/Terms_of_Service",
        "When you share your private messages with friends and family with AIs that use Private Processing "
        "technology, Meta cannot read or access the messages you have shared.",
        {"2026-05-13": "When you interact with AI chats that use Private Processing technology"},
    ),
    "facebook-printable": (
        "Llama_API/Privacy_Policy_privacy-policy-printable",
        "Interactions with Meta's artificial intelligence technology and related metadata.",
        {
            "2025-12-16": "Interactions with AI at Meta and related metadata.",
            "2026-08-21": "Interactions with our features that are part of AI at Meta and related metadata.",
        },
    ),
}


@pytest.mark.parametrize("page", list(CASES))
def test_history_of_imported_captures_shows_every_rewording_as_changed(
    corpus: Path, tmp_path: Path, page: str
) -> None:
    folder, text, rewordings = CASES[page]
    watch = f"""
[[watches]]
id = "clause"
pages = ["{page}"]
kind = "clause"
text = {json.dumps(text, ensure_ascii=False)}
severity = "high"
"""
    config = write_project(tmp_path, {page: "https://www.example.com/policy"}, select=None, extra=watch)

    def clock() -> datetime:
        return datetime(2026, 12, 1, tzinfo=UTC)

    code, output = run_cli(config, clock, "import", page, str(corpus / CAPTURES / folder))
    assert code == 0, output
    code, output = run_cli(config, clock, "watches", "clause", "--history", "--json")
    assert code == 0, output
    (story,) = json.loads(output)["history"]
    wordings = story["wordings"]

    assert wordings[0]["status"] == "found" and wordings[0]["wording"] == text
    assert wordings[0]["alerts"] == []
    later = wordings[1:]
    assert [w["since"][:10] for w in later] == list(rewordings)
    for entry, (day, words) in zip(later, rewordings.items(), strict=True):
        assert entry["status"] == "found" and entry["wording"].startswith(words), (day, entry)
        assert [a["kind"] for a in entry["alerts"]] == ["changed"], (day, entry["alerts"])
