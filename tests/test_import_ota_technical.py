"""An Open Terms Archive versions repository records a version its rules made, not its page, with a commit
whose subject says so ("Apply technical or declaration upgrade on ...", older engines' "Refilter ..."). Imported,
such a version is what a live rule change makes here: a technical version, marked "rules changed" with the
commit's subject, placed by its date, and never the page's last change."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from cli_support import run_cli
from ota_repo_support import bare_clone, git

from monitor.config.loading import load_config
from monitor.store.core import Store
from monitor.store.records import is_technical

DOCUMENT = "Example/Privacy Policy.md"
# Over the word threshold (`[quality] min_words`): an imported text is judged as a live capture is.
PARAGRAPH = (
    "We keep the information you give us only as long as we need it to run the service for you. "
    "You can ask us at any time what we hold about you, have it corrected, or have it deleted."
)
UPGRADE = "Apply technical or declaration upgrade on Example Privacy Policy"


def clock() -> datetime:
    return datetime(2026, 12, 1, tzinfo=UTC)


def versions_repository(folder: Path) -> Path:
    """A bare clone of a versions repository: a first version, a technical upgrade (the footer line the new
    rules leave out), then a change of the page itself."""
    work = folder / "versions"
    (work / "Example").mkdir(parents=True)
    git(work, "init", "-q")
    texts = [
        ("2026-01-10T10:00:00Z", "First record of Example Privacy Policy",
         f"# Privacy Policy\n\n{PARAGRAPH}\n\nFooter: Deutsch English\n"),
        ("2026-02-10T10:00:00Z", UPGRADE, f"# Privacy Policy\n\n{PARAGRAPH}\n"),
        ("2026-03-10T10:00:00Z", "Record new changes of Example Privacy Policy",
         f"# Privacy Policy\n\n{PARAGRAPH}\n\nWe share it with no one.\n"),
    ]  # fmt: skip
    for date, subject, text in texts:
        (work / DOCUMENT).write_text(text, encoding="utf-8")
        git(work, "add", DOCUMENT)
        git(work, "commit", "-q", "-m", subject, date=date)
    bare = folder / "versions.git"
    return bare_clone(work, bare)


def test_an_ota_technical_upgrade_imports_as_a_technical_version_never_the_page_s_change(
    tmp_path: Path,
) -> None:
    repository = versions_repository(tmp_path)
    config = tmp_path / "config.toml"
    config.write_text('[[pages]]\nid = "policy"\nurl = "http://127.0.0.1:9/policy"\n', encoding="utf-8")

    code, output = run_cli(config, clock, "import", "policy", str(repository), "--path", DOCUMENT)
    assert code == 0 and "3 versions imported" in output, output

    store = Store(load_config(config).store_path)
    records = store.checks.list("policy")
    assert [(r.time[:10], is_technical(r)) for r in records] == [
        ("2026-01-10", False),
        ("2026-02-10", True),
        ("2026-03-10", False),
    ]
    code, output = run_cli(config, clock, "history", "policy")
    assert code == 0 and f"rules changed ({UPGRADE})" in output, output
    code, output = run_cli(config, clock, "pages")
    assert code == 0 and "2026-03-10" in output and "(imported)" in output, output
    assert store.imported.last_change("policy", until="2026-02-28T00:00:00Z") == "2026-01-10T10:00:00Z"
    assert run_cli(config, clock, "verify")[0] == 0
    # the same source again adds nothing
    code, output = run_cli(config, clock, "import", "policy", str(repository), "--path", DOCUMENT)
    assert code == 0 and "0 versions imported" in output, output
