"""`privacy-monitor demo --keep DIR` never writes over a project: a folder holding a config or a store is refused
(exit 2, one line naming the file) before anything is written; an empty or new folder gets the demo."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli.main import main
from monitor.demo.scenario import write_demo_config
from monitor.errors import UsageError

CONFIG = '[[pages]]\nid = "mine"\nurl = "https://example.org/privacy"\n'


def demo(keep: Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["demo", "--keep", str(keep)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def refusal(path: Path) -> str:
    return (
        f"Error: {path}: already there; the demo writes a config and a store of its own, so give --keep an "
        "empty or new folder\n"
    )


def test_a_folder_with_a_config_is_refused_and_the_config_kept(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(CONFIG)
    assert demo(tmp_path) == (2, refusal(tmp_path / "config.toml"))
    assert (tmp_path / "config.toml").read_text() == CONFIG
    assert sorted(path.name for path in tmp_path.iterdir()) == ["config.toml"]


@pytest.mark.parametrize("store", ["snapshots", "monitor.db", "pages"])
def test_a_folder_holding_a_store_is_refused_and_nothing_written(tmp_path: Path, store: str) -> None:
    if store == "monitor.db":
        (tmp_path / store).write_bytes(b"SQLite format 3\x00")
    else:
        (tmp_path / store).mkdir()
    assert demo(tmp_path) == (2, refusal(tmp_path / store))
    assert [path.name for path in tmp_path.iterdir()] == [store]


def test_a_dangling_link_named_config_toml_is_refused_too(tmp_path: Path) -> None:
    (tmp_path / "config.toml").symlink_to(tmp_path / "elsewhere.toml")
    assert demo(tmp_path) == (2, refusal(tmp_path / "config.toml"))
    assert not (tmp_path / "elsewhere.toml").exists()


def test_a_config_that_appears_after_the_check_is_not_overwritten(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(CONFIG)
    with pytest.raises(UsageError, match="config.toml: already there"):
        write_demo_config(tmp_path, "http://127.0.0.1:9")
    assert (tmp_path / "config.toml").read_text() == CONFIG


def test_a_new_folder_and_a_folder_of_other_files_get_the_demo(tmp_path: Path) -> None:
    new = tmp_path / "new" / "demo"
    code, output = demo(new)
    assert code == 0, output
    assert f"Config and store kept in {new}. Try:" in output
    assert (new / "config.toml").is_file() and (new / "snapshots").is_dir()

    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine\n")
    code, output = demo(other)
    assert code == 0, output
    assert (other / "notes.txt").read_text() == "mine\n"
