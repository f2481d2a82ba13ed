"""An imported text (.md, .txt) is judged as a live capture is: a broken recording (Open Terms Archive's 29-byte
`Privacy Policy` page, an error page it saved, a text that lost most of its words) is a failed record with the
reason a check would give, never a version the timeline flips to; and a capture dated exactly at a declaration
history entry's `validUntil` is read under that entry, as OTA's engine reads it (`date <= validUntil`)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cli_support import run_cli

from monitor.extract.document import document_from_markdown

PAGE = "policy"
SENTENCE = (
    "We use the information we collect to provide, personalise and improve our products, to keep them safe, "
    "and to develop and improve AI at Meta on the basis of legitimate interests. "
)
GOOD = f"# Privacy Policy\n\n## How do we use your information?\n\n{SENTENCE * 8}\n"
BROKEN = (
    "Privacy Policy\n--------------\n"  # OTA's recording of Instagram's policy on 21 May 2025, byte for byte
)
SHORT = f"# Privacy Policy\n\n{SENTENCE * 2}\n"  # over the word threshold, a quarter of GOOD
ERROR_PAGE = (
    "Sorry, something went wrong.\n\nWe're working on getting this fixed as soon as we can. "
    "You may be able to try again.\n"
)


def clock() -> datetime:
    return datetime(2026, 12, 1, tzinfo=UTC)


def project(folder: Path, extra: str = "") -> Path:
    config = folder / "config.toml"
    config.write_text(
        f'[store]\npath = "store"\n\n[[pages]]\nid = "{PAGE}"\nurl = "https://example.org/privacy"\n{extra}',
        encoding="utf-8",
    )
    return config


def history_folder(folder: Path, files: dict[str, str]) -> Path:
    history = folder / "history"
    history.mkdir()
    for name, text in files.items():
        (history / name).write_text(text, encoding="utf-8")
    return history


def checks(config: Path, page: str = PAGE) -> list[tuple[str, str, str | None]]:
    """(file, outcome, reason) of each record of `page`, in timeline order."""
    code, output = run_cli(config, clock, "history", page, "--checks", "--json")
    assert code == 0, output
    return [
        (record["source"]["file"], record["outcome"], record["reason"])
        for record in json.loads(output)["checks"]
    ]


def versions(config: Path) -> list[str]:
    code, output = run_cli(config, clock, "history", PAGE, "--json")
    assert code == 0, output
    return [version["since"] for version in json.loads(output)["versions"]]


def test_a_broken_md_recording_is_a_failed_record_and_the_versions_around_it_merge(tmp_path: Path) -> None:
    config = project(tmp_path)
    source = history_folder(tmp_path, {
        "2025-05-20.md": GOOD, "2025-05-21.md": BROKEN, "2025-05-22.md": GOOD,
        "2025-05-25.md": BROKEN, "2025-05-26.md": GOOD,
    })  # fmt: skip

    code, output = run_cli(config, clock, "import", PAGE, str(source))

    assert (code, output.splitlines()) == (0, [
        "failed: 2025-05-21.md (2025-05-21T00:00:00Z): empty page",
        "failed: 2025-05-25.md (2025-05-25T00:00:00Z): empty page",
        "1 version imported, 2 merged, 2 failed",
    ])  # fmt: skip
    assert versions(config) == ["2025-05-20T00:00:00Z"]  # one version: no flip to the heading and back
    assert checks(config) == [
        ("2025-05-20.md", "new", None),
        ("2025-05-21.md", "failed", "empty page"),
        ("2025-05-22.md", "unchanged", None),
        ("2025-05-25.md", "failed", "empty page"),
        ("2025-05-26.md", "unchanged", None),
    ]


def test_a_broken_first_recording_is_an_empty_page_never_the_first_version(tmp_path: Path) -> None:
    config = project(tmp_path)
    source = history_folder(tmp_path, {"2025-05-21.md": BROKEN, "2025-05-22.md": GOOD})

    assert run_cli(config, clock, "import", PAGE, str(source))[1].splitlines()[-1] == (
        "1 version imported, 0 merged, 1 failed"
    )
    assert checks(config) == [("2025-05-21.md", "failed", "empty page"), ("2025-05-22.md", "new", None)]


def test_txt_and_md_recordings_fail_with_the_reasons_a_live_check_gives(tmp_path: Path) -> None:
    """An error page saved as text is an "error page", a text that lost most of its words between two full ones
    "collapsed", each as a check of a capture would say it (monitor/extract/walls.py)."""
    config = project(tmp_path)
    good_txt = document_from_markdown(GOOD).to_text()  # the store's own form, as `show` prints it
    source = history_folder(tmp_path, {
        "2025-01-01.txt": good_txt, "2025-02-01.txt": ERROR_PAGE, "2025-03-01.md": SHORT,
        "2025-04-01.md": GOOD,
    })  # fmt: skip

    code, output = run_cli(config, clock, "import", PAGE, str(source))

    assert (code, output.splitlines()[-1]) == (0, "1 version imported, 1 merged, 2 failed")
    assert checks(config) == [
        ("2025-01-01.txt", "new", None),
        ("2025-02-01.txt", "failed", "error page"),
        ("2025-03-01.md", "failed", "collapsed: 25% of the last good text"),
        ("2025-04-01.md", "unchanged", None),
    ]


def test_a_text_that_shrinks_for_good_is_a_version_and_the_last_collapsed_text_fails(tmp_path: Path) -> None:
    """History knows what came next: a shorter text the source goes on with is where the page went (a live
    check would fail every capture after it), while the source's last text, collapsed against the version
    before it with nothing after it, is judged as a live check judges it."""
    config = project(tmp_path)
    shorter = f"# Privacy Policy\n\n{SENTENCE * 3}\n"
    source = history_folder(tmp_path, {
        "2025-01-01.md": GOOD, "2025-02-01.md": shorter, "2025-03-01.md": shorter, "2025-04-01.md": BROKEN,
        "2025-05-01.md": shorter + "\nA sentence added.\n", "2025-06-01.md": "# Privacy Policy\n\n" + SENTENCE,
    })  # fmt: skip

    code, output = run_cli(config, clock, "import", PAGE, str(source))

    assert (code, output.splitlines()[-1]) == (0, "3 versions imported, 1 merged, 2 failed")
    assert [(name, outcome) for name, outcome, _ in checks(config)] == [
        ("2025-01-01.md", "new"),
        ("2025-02-01.md", "changed"),
        ("2025-03-01.md", "unchanged"),
        ("2025-04-01.md", "failed"),
        ("2025-05-01.md", "changed"),
        ("2025-06-01.md", "failed"),
    ]
    last_reason = checks(config)[-1][2]
    assert last_reason is not None and last_reason.startswith("collapsed: "), last_reason


def a_dip(tmp_path: Path) -> Path:
    """The same partial text recorded twice (the second a little different), then the whole text again."""
    partial = f"# Privacy Policy\n\n{SENTENCE * 2}\n"
    return history_folder(tmp_path, {
        "2025-01-01.md": GOOD, "2025-02-01.md": partial, "2025-02-02.md": partial + "\nLoading...\n",
        "2025-02-03.md": GOOD,
    })  # fmt: skip


def test_a_broken_recording_made_twice_then_mended_is_a_dip_not_a_shrink(tmp_path: Path) -> None:
    """A broken recording made twice, then the whole text again within days: both partial texts fail as
    collapsed, as live checks would have, and the timeline never flips."""
    config = project(tmp_path)

    code, output = run_cli(config, clock, "import", PAGE, str(a_dip(tmp_path)))

    assert (code, output.splitlines()[-1]) == (0, "1 version imported, 1 merged, 2 failed")
    assert [(name, outcome) for name, outcome, _ in checks(config)] == [
        ("2025-01-01.md", "new"),
        ("2025-02-01.md", "failed"),
        ("2025-02-02.md", "failed"),
        ("2025-02-03.md", "unchanged"),
    ]


def test_a_dip_is_a_dip_though_an_until_window_ends_inside_it(tmp_path: Path) -> None:
    """What the source goes on with is read past --until: a window ending in the dip does not make it a
    shrink for good."""
    config = project(tmp_path)
    source = a_dip(tmp_path)

    assert run_cli(config, clock, "import", PAGE, str(source), "--until", "2025-02-02")[0] == 0
    assert run_cli(config, clock, "import", PAGE, str(source))[0] == 0

    assert [outcome for _, outcome, _ in checks(config)] == ["new", "failed", "failed", "unchanged"]


@pytest.mark.corpus
def test_instagrams_ota_history_never_flips_to_its_broken_recordings(corpus: Path, tmp_path: Path) -> None:
    """Instagram's policy as OTA recorded it alternates in May and June 2025 between the full text and a 29-byte
    heading, and is once an error page: those are failed records, the full text's versions around them merge,
    and the years of real history after a shrink (OTA's rules changed in 2024 and 2025) still import."""
    folder = corpus / "versions/pga-versions/Instagram/Privacy_Policy"
    config = project(tmp_path)

    code, output = run_cli(config, clock, "import", PAGE, str(folder))

    assert (code, output.splitlines()[-1]) == (0, "31 versions imported, 18 merged, 11 failed"), output
    failed = {name: reason for name, outcome, reason in checks(config) if outcome == "failed"}
    broken = {file.name for file in folder.glob("*.md") if file.stat().st_size < 100}
    assert len(broken) == 8 and all(failed[name] == "empty page" for name in broken)
    assert failed.pop("2025-08-08T00-33-09Z_10c4ba37.md") == "error page"
    # OTA's declaration upgrade of 16 April 2024 recorded the headings alone, then for four months a part.
    assert failed.pop("2024-04-16T21-34-29Z_53c15adf.md") == "table of contents only"
    assert failed.pop("2024-04-17T00-34-06Z_e2585e41.md") == "collapsed: 17% of the last good text"
    assert set(failed) == broken
    code, output = run_cli(config, clock, "history", PAGE, "--json")
    shown = [version["id"] for version in json.loads(output)["versions"]]
    for version in shown:
        code, text = run_cli(config, clock, "show", PAGE, version)
        assert code == 0 and len(text.split()) > 1000, (version, text[:80])


def test_a_capture_dated_at_a_validuntil_is_read_under_that_history_entry(tmp_path: Path) -> None:
    """OTA's engine reads a capture under the history entry with `date <= validUntil`: one dated exactly at the
    end of an entry was extracted under it, one a second later under the next entry (here: the current one)."""
    declarations = tmp_path / "checkout" / "declarations"
    declarations.mkdir(parents=True)
    terms = {"fetch": "https://example.org/privacy", "select": "#new"}
    (declarations / "Example.json").write_text(
        json.dumps({"name": "Example", "terms": {"Privacy Policy": terms}}), encoding="utf-8"
    )
    history = {"Privacy Policy": [{**terms, "select": "#old", "validUntil": "2026-03-01T00:00:00Z"}]}
    (declarations / "Example.history.json").write_text(json.dumps(history), encoding="utf-8")
    config = tmp_path / "config.toml"
    config.write_text(
        '[store]\npath = "store"\n\n[[pages]]\nid = "declared"\n'
        f'declaration = {{ path = "{tmp_path / "checkout"}", service = "Example", terms = "Privacy Policy" }}\n',
        encoding="utf-8",
    )
    page = (
        "<html><body><main><div id='old'><h1>Old region</h1><p>{old}</p></div>"
        "<div id='new'><h1>New region</h1><p>{new}</p></div></main></body></html>"
    ).format(old="Read under the old entry. " + SENTENCE * 2, new="Read under the new entry. " + SENTENCE * 2)
    source = history_folder(tmp_path, {
        "2026-03-01T00-00-00Z.html": page, "2026-03-01T00-00-01Z.html": page,
    })  # fmt: skip

    code, output = run_cli(config, clock, "import", "declared", str(source))

    assert code == 0, output
    code, text = run_cli(config, clock, "show", "declared", "2026-03-01T00:00:00Z")
    assert code == 0 and "Old region" in text and "New region" not in text, text
    code, text = run_cli(config, clock, "show", "declared", "2026-03-01T00:00:01Z")
    assert code == 0 and "New region" in text and "Old region" not in text, text
