"""An import records each version in a short transaction of its own, after its extraction, diff and blobs: an
import cut in the middle of a version's transaction leaves none of that version, and running it again imports
what is missing (and nothing twice)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from cli_support import run_cli, store_of

from monitor.store.parts import Baselines

CLAUSE = "Your objection applies to the account you are logged in to and to all accounts in the same Accounts Center."
FILLER = "We use information to develop and improve AI at Meta, on the basis of legitimate interests. " * 3


def clock() -> datetime:
    return datetime(2026, 6, 1, tzinfo=UTC)


def history(folder: Path) -> Path:
    folder.mkdir()
    for day, words in (("2026-01-01", "first"), ("2026-02-01", "second"), ("2026-03-01", "third")):
        (folder / f"{day}.md").write_text(
            f"# Privacy Policy\n\n## Use\n\n{FILLER} The {words} wording.\n\n{CLAUSE}\n"
        )
    return folder


def project(tmp_path: Path) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(
        '[[pages]]\nid = "policy"\nurl = "https://example.com/policy"\n'
        f'\n[[watches]]\nid = "scope"\npages = ["policy"]\nkind = "clause"\ntext = "{CLAUSE}"\n'
    )
    return config


class Cut(Exception):
    """The process dies here (a kill between two statements of the transaction)."""


def test_an_import_cut_inside_a_version_leaves_none_of_it_and_runs_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config, source = project(tmp_path), history(tmp_path / "history")
    put = Baselines.put
    calls = {"n": 0}

    def dies_on_the_second_version(self: Baselines, *args: object, **kwargs: object) -> None:
        calls["n"] += 1
        if calls["n"] == 2:  # the second version's record is written, its baseline is not
            raise Cut
        put(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Baselines, "put", dies_on_the_second_version)
    code, _ = run_cli(config, clock, "import", "policy", str(source))
    assert code == 70 and calls["n"] == 2  # the unexpected error's exit code, as a kill would leave it
    monkeypatch.setattr(Baselines, "put", put)
    store = store_of(config)
    assert [entry.since[:10] for entry in store.versions.list("policy")] == ["2026-01-01"]
    assert len(store.checks.list("policy")) == 1 and store.verify().problems == []

    code, output = run_cli(config, clock, "import", "policy", str(source))

    assert (code, output.splitlines()[-1]) == (
        0,
        "2 versions imported, 0 merged, 0 failed (1 already in the store)",
    )
    store = store_of(config)
    assert [entry.since[:10] for entry in store.versions.list("policy")] == [
        "2026-01-01",
        "2026-02-01",
        "2026-03-01",
    ]
    assert store.verify().problems == []
