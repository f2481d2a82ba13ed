"""The renderings of a diff: exact text, markdown and unified output, the json shape, a safe html page."""

from __future__ import annotations

import difflib
import json
import re

import pytest
from lxml import html as lxml_html

from monitor.diff.core import DocumentDiff, diff_documents
from monitor.diff.formats import render
from monitor.models import Document

META = {
    "page": "facebook-privacy",
    "from": {"id": "aaaa1111", "label": "aaaa1111 (2025-11-26)"},
    "to": {"id": "bbbb2222", "label": "bbbb2222 (2025-12-17)"},
}


def doc(*lines: str) -> Document:
    return Document.from_text("\n\n".join(lines) + "\n")


@pytest.fixture
def policy_update() -> DocumentDiff:
    old = doc(
        "# Privacy Policy",
        "Effective June 16, 2025",
        "## How we use information",
        "We may share your information with partners.",
        "We don't sell it.",
        "## Retention",
        "We keep it for 30 days.",
    )
    new = doc(
        "# Privacy Policy",
        "Effective December 16, 2025",
        "## How we use information",
        "We will share your information with partners.",
        "We don’t sell it.",
        "## Retention",
        "We keep it for 30 days.",
        "Then we delete it.",
    )
    return diff_documents(old, new)


def test_text(policy_update: DocumentDiff) -> None:
    assert render(policy_update, "text", meta=META) == (
        "--- facebook-privacy aaaa1111 (2025-11-26)\n"
        "+++ facebook-privacy bbbb2222 (2025-12-17)\n"
        "Effective December 16, 2025 · 3 substantive changes\n"
        "4 changes (3 substantive, 1 cosmetic): 3 modified, 1 added\n"
        "Dated: Effective June 16, 2025 → Effective December 16, 2025\n"
        "\n"
        "@@ Privacy Policy @@\n"
        "    # Privacy Policy\n"
        "~ modified · substantive · touches: June, December (dates)\n"
        "    Effective [-June-]{+December+} 16, 2025\n"
        "\n"
        "@@ Privacy Policy › How we use information @@\n"
        "    ## How we use information\n"
        "~ modified · substantive · touches: may, will (permission or duty)\n"
        "    We [-may-]{+will+} share your information with partners.\n"
        "~ modified · cosmetic\n"
        "    We don[-'-]{+’+}t sell it.\n"
        "\n"
        "@@ Privacy Policy › Retention @@\n"
        "    ## Retention\n"
        "    We keep it for 30 days.\n"
        "+ added · substantive\n"
        "    {+Then we delete it.+}\n"
    )


def test_text_filters_and_no_context(policy_update: DocumentDiff) -> None:
    assert render(
        policy_update, "text", meta=META, context=0, substantive_only=True, section="how we USE"
    ) == (
        "--- facebook-privacy aaaa1111 (2025-11-26)\n"
        "+++ facebook-privacy bbbb2222 (2025-12-17)\n"
        "Effective December 16, 2025 · 3 substantive changes\n"
        "1 change (1 substantive, 0 cosmetic): 1 modified\n"
        "Dated: Effective June 16, 2025 → Effective December 16, 2025\n"
        "\n"
        "@@ Privacy Policy › How we use information @@\n"
        "~ modified · substantive · touches: may, will (permission or duty)\n"
        "    We [-may-]{+will+} share your information with partners.\n"
    )


def test_text_without_changes() -> None:
    same = diff_documents(doc("# P", "Text."), doc("# P", "Text."))
    assert render(same, "text") == "--- old\n+++ new\nNo changes.\n"


def test_text_colors_edits_and_underlines_signal_words(policy_update: DocumentDiff) -> None:
    colored = render(policy_update, "text", meta=META, color=True)
    red_signal, green_signal = "\x1b[31m\x1b[1m\x1b[4m\x1b[9mmay\x1b[0m", "\x1b[32m\x1b[1m\x1b[4mwill\x1b[0m"
    assert f"We {red_signal}{green_signal} share" in colored
    assert "don\x1b[31m\x1b[9m'\x1b[0m\x1b[32m’\x1b[0mt sell" in colored  # cosmetic: no signal emphasis
    assert "    We maywill share your information" in re.sub(r"\x1b\[[0-9;]*m", "", colored)
    assert "\x1b[" not in render(policy_update, "text", meta=META)


def test_text_shows_context_gaps_splits_and_moves() -> None:
    first = "We use the information we collect to provide, personalize and improve our Products."
    second = "These partners must follow strict rules and cannot sell your information."
    old = doc(
        "# Policy",
        "## Use",
        first + " " + second,
        "## Sharing",
        "Partners help us.",
        "A.",
        "B.",
        "C.",
        "## End",
    )
    new = doc(
        "# Policy", "## Use", first, second, "## Sharing", "Partners help us.", "A.", "B.", "C.", "## End"
    )
    assert render(diff_documents(old, new), "text", context=2) == (
        "--- old\n"
        "+++ new\n"
        "no substantive change (1 cosmetic edit)\n"
        "1 change (0 substantive, 1 cosmetic): 1 modified\n"
        "\n"
        "@@ Policy @@\n"
        "    # Policy\n"
        "\n"
        "@@ Policy › Use @@\n"
        "    ## Use\n"
        "~ modified · cosmetic · paragraph → 2 blocks\n"
        f"    {first} {second}\n"  # a paragraph split in two regroups the same words: no markup (issue 23)
        "\n"
        "@@ Policy › Sharing @@\n"
        "    ## Sharing\n"
        "    Partners help us.\n"
    )
    moved = diff_documents(doc("# P", first, "## Q", second), doc("# P", "## Q", second, first))
    assert "> moved · substantive · from P\n" in render(moved, "text", context=0)


def test_markdown(policy_update: DocumentDiff) -> None:
    assert render(policy_update, "markdown", meta=META, context=0) == (
        "# Changes: facebook-privacy aaaa1111 (2025-11-26) → facebook-privacy bbbb2222 (2025-12-17)\n"
        "\n"
        "**Effective December 16, 2025 · 3 substantive changes**\n"
        "\n"
        "4 changes (3 substantive, 1 cosmetic): 3 modified, 1 added\n"
        "\n"
        "- Dated: Effective June 16, 2025 → Effective December 16, 2025\n"
        "\n"
        "## Privacy Policy\n"
        "\n"
        "**modified · substantive · touches: June, December (dates)**\n"
        "\n"
        "Effective ~~June~~**December** 16, 2025\n"
        "\n"
        "## Privacy Policy › How we use information\n"
        "\n"
        "**modified · substantive · touches: may, will (permission or duty)**\n"
        "\n"
        "We ~~may~~**will** share your information with partners.\n"
        "\n"
        "**modified · cosmetic**\n"
        "\n"
        "We don~~'~~**’**t sell it.\n"
        "\n"
        "## Privacy Policy › Retention\n"
        "\n"
        "**added · substantive**\n"
        "\n"
        "**Then we delete it.**\n"
    )


def test_markdown_escapes_page_text() -> None:
    result = diff_documents(doc("# P", "Keep *this* text."), doc("# P", "Keep *this* text <b>[now]</b>."))
    assert "Keep \\*this\\* text **&lt;b&gt;\\[now\\]&lt;/b&gt;**." in render(result, "markdown", context=0)


def test_unified(policy_update: DocumentDiff) -> None:
    assert render(policy_update, "unified", meta=META, context=1) == (
        "--- facebook-privacy aaaa1111 (2025-11-26)\n"
        "+++ facebook-privacy bbbb2222 (2025-12-17)\n"
        "@@ -2,3 +2,3 @@\n"
        " \n"
        "-Effective June 16, 2025\n"
        "+Effective December 16, 2025\n"
        " \n"
        "@@ -6,5 +6,5 @@\n"
        " \n"
        "-We may share your information with partners.\n"
        "+We will share your information with partners.\n"
        " \n"
        "-We don't sell it.\n"
        "+We don’t sell it.\n"
        " \n"
        "@@ -13 +13,3 @@\n"
        " We keep it for 30 days.\n"
        "+\n"
        "+Then we delete it.\n"
    )


@pytest.mark.parametrize("context", [0, 1, 3, 10])
def test_unified_is_what_difflib_gives_for_the_stored_text(policy_update: DocumentDiff, context: int) -> None:
    expected = difflib.unified_diff(
        policy_update.old.to_text().splitlines(keepends=True),
        policy_update.new.to_text().splitlines(keepends=True),
        "old",
        "new",
        n=context,
    )
    assert render(policy_update, "unified", context=context) == "".join(expected)


def test_unified_with_filters_keeps_only_hunks_that_touch_a_shown_change(policy_update: DocumentDiff) -> None:
    assert render(policy_update, "unified", context=0, section="retention") == (
        "--- old\n+++ new\n@@ -13,0 +14,2 @@\n+\n+Then we delete it.\n"
    )
    assert render(policy_update, "unified", section="no such section") == ""


def test_json(policy_update: DocumentDiff) -> None:
    data = json.loads(render(policy_update, "json", meta=META))
    assert list(data) == ["overview", "page", "from", "to", "summary", "structure", "changes"]
    assert data["overview"]["line"] == "Effective December 16, 2025 · 3 substantive changes"
    # The date line is the overview's own ("Effective December 16, 2025"), not a highlight again (issue 23).
    assert [(h["kind"], h["section"], h["topics"]) for h in data["overview"]["highlights"]] == [
        ("modified", "Privacy Policy › How we use information", ["sharing", "third parties"]),
        ("added", "Privacy Policy › Retention", ["deletion"]),
    ]
    assert (data["page"], data["from"], data["to"]) == ("facebook-privacy", META["from"], META["to"])
    assert data["summary"] == {
        "by_kind": {"modified": 3, "added": 1, "removed": 0, "moved": 0},
        "by_class": {"substantive": 3, "cosmetic": 1},
        "total": 4,
    }
    assert data["structure"] == {
        "metadata": {"updated": {"old": "Effective June 16, 2025", "new": "Effective December 16, 2025"}}
    }
    assert data["changes"][1] == {
        "kind": "modified",
        "class": "substantive",
        "section": ["Privacy Policy", "How we use information"],
        "section_path": "Privacy Policy › How we use information",
        "old": "We may share your information with partners.",
        "new": "We will share your information with partners.",
        "ops": [
            {"tag": "equal", "old": "We ", "new": "We "},
            {"tag": "replace", "old": "may", "new": "will"},
            {
                "tag": "equal",
                "old": " share your information with partners.",
                "new": " share your information with partners.",
            },
        ],
        "signals": ["may", "will"],
        "old_index": 3,
        "new_index": 3,
        "old_section": ["Privacy Policy", "How we use information"],
    }
    assert [change["kind"] for change in data["changes"]] == ["modified", "modified", "modified", "added"]


ATTACK = "<script>alert(1)</script>"


def test_html_is_one_safe_self_contained_page() -> None:
    old = doc(f"# Policy {ATTACK}", "We may share it.", f"Old {ATTACK} text here.")
    new = doc(
        f"# Policy {ATTACK}", "We will share it.", f"New {ATTACK} text here, <img src=x onerror=alert(2)>."
    )
    meta = {"page": ATTACK, "from": {"label": ATTACK}, "to": {"label": "<b>x</b>"}}
    page = render(diff_documents(old, new), "html", meta=meta)
    assert "<script" not in page.lower() and "<img" not in page.lower() and "<b>x" not in page
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 5  # title, page, side, section, text
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)  # nothing fetched from elsewhere
    tree = lxml_html.fromstring(page)
    assert tree.xpath("//style") and not tree.xpath("//script | //link | //iframe | //img")
    changes = tree.xpath("//section[contains(@class, 'change')]")
    assert [c.get("class") for c in changes] == ["change substantive modified", "change substantive modified"]
    inline = changes[0].xpath(".//div[@class='inline']")[0]
    assert [(el.tag, el.get("class"), el.text) for el in inline] == [
        ("del", "signal", "may"),
        ("ins", "signal", "will"),
    ]
    side = changes[0].xpath(".//div[@class='pair']/div")
    assert [div.text_content() for div in side] == ["We may share it.", "We will share it."]
    assert changes[0].xpath(".//span[@class='signals']/mark/text()") == ["may", "will"]


def test_html_marks_cosmetic_changes_so_they_can_be_hidden() -> None:
    page = render(diff_documents(doc("# P", "We don't."), doc("# P", "We don’t.")), "html")
    assert '<section class="change cosmetic modified">' in page
    assert "#hide-cosmetic:checked~main .cosmetic{display:none}" in page


def test_unknown_format() -> None:
    with pytest.raises(ValueError, match="unknown diff format 'pdf'"):
        render(diff_documents(doc("# P"), doc("# P")), "pdf")  # type: ignore[arg-type]
