"""`privacy-monitor import` from a hostile or broken source: it never reads outside the source (symbolic links,
`..`, git link blobs), and a name, date or text it cannot take is one line naming the file and exit 2, before
anything is stored. Refused, not skipped: a folder never imports less than its owner thinks."""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from service_support import FakeClock

from monitor.cli.main import State, main
from monitor.errors import ImportSourceError
from monitor.imports.sources import folder_versions

PAGE = "policy"
# Over the word threshold (`[quality] min_words`): an imported text is judged as a live capture is.
TEXT = (
    "# Privacy Policy\n\nWe use information to develop and improve our products for everyone. This policy "
    "explains what we collect, how we use and share it, how long we keep it and which rights you have.\n"
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "config.toml").write_text(
        f'[store]\npath = "store"\n\n[[pages]]\nid = "{PAGE}"\nurl = "https://example.org/privacy"\n'
    )
    folder = tmp_path / "history"
    folder.mkdir()
    (folder / "2024-01-01.md").write_text(TEXT)
    return tmp_path


def run(project: Path, *args: str) -> tuple[int, str]:
    clock = FakeClock(datetime(2026, 12, 1, 8, 0, tzinfo=UTC))
    result = CliRunner().invoke(main, ["-c", str(project / "config.toml"), *args], obj=State(clock=clock))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def refused(project: Path, *args: str) -> str:
    """Run an import that must be refused: exit 2, one line, and nothing stored."""
    code, output = run(project, "import", PAGE, *args)
    assert code == 2, output
    assert output.startswith("Error: ") and output.count("\n") == 1, output
    assert not (project / "store").exists()
    return output


def git(repo: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org"}
    env |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}
    env |= {"GIT_AUTHOR_DATE": "2024-03-01T10:00:00Z", "GIT_COMMITTER_DATE": "2024-03-01T10:00:00Z"}
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=env)


def test_a_link_to_a_file_outside_the_folder_is_refused_and_its_content_never_read(project: Path) -> None:
    secret = project / "secret.txt"
    secret.write_text("the password is hunter2\n")
    folder = project / "history"
    (folder / "2024-03-01.txt").symlink_to(secret)
    assert refused(project, str(folder)) == (
        f"Error: {folder}/2024-03-01.txt: a symbolic link to {secret}, outside {folder}; imports read only "
        "the folder's own files: copy the file in instead\n"
    )


def test_a_link_that_climbs_out_with_dot_dot_is_refused(project: Path) -> None:
    (project / "elsewhere.md").write_text(TEXT)
    folder = project / "history"
    (folder / "2024-03-01.md").symlink_to("../elsewhere.md")
    assert f"a symbolic link to {project / 'elsewhere.md'}, outside {folder}" in refused(project, str(folder))


def test_a_link_to_a_folder_outside_is_refused(project: Path) -> None:
    outside = project / "outside"
    outside.mkdir()
    folder = project / "history"
    (folder / "2024-03-01.md").symlink_to(outside, target_is_directory=True)
    assert f"a symbolic link to {outside}, outside {folder}" in refused(project, str(folder))


def test_a_link_to_a_file_inside_the_folder_is_imported(project: Path) -> None:
    folder = project / "history"
    (folder / "2024-03-01.md").symlink_to("2024-01-01.md")
    assert run(project, "import", PAGE, str(folder)) == (0, "1 version imported, 1 merged, 0 failed\n")


def test_a_file_swapped_for_a_link_after_the_listing_is_not_read(project: Path) -> None:
    folder = project / "history"
    (version,) = folder_versions(folder)
    (project / "secret.md").write_text("# Secret\n\nNot for the report.\n")
    (folder / "2024-01-01.md").unlink()
    (folder / "2024-01-01.md").symlink_to(project / "secret.md")
    with pytest.raises(ImportSourceError, match="a symbolic link to .*secret.md, outside"):
        version.read()


def test_a_file_rewritten_after_the_listing_is_not_imported(project: Path) -> None:
    folder = project / "history"
    (version,) = folder_versions(folder)
    (folder / "2024-01-01.md").write_text(TEXT + "\nA sentence added meanwhile.\n")
    with pytest.raises(ImportSourceError, match="changed while importing; run the import again"):
        version.read()


def test_a_git_blob_that_is_a_symbolic_link_is_not_followed(project: Path) -> None:
    repo = project / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "Policy.md").symlink_to("/etc/passwd")
    git(repo, "add", "Policy.md")
    git(repo, "commit", "-q", "-m", "link")
    commit = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert refused(project, str(repo), "--path", "Policy.md") == (
        f"Error: {repo}: Policy.md in commit {commit[:8]} is a symbolic link; imports do not follow links: "
        "leave that commit out with --since/--until\n"
    )


@pytest.mark.parametrize("path", ["../secret.md", "docs/../../secret.md", "/etc/passwd.md"])
def test_a_git_path_outside_the_source_is_refused(project: Path, path: str) -> None:
    repo = project / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    assert refused(project, str(repo), "--path", path) == (
        f"Error: {path}: --path must name a file inside {repo} (no '..', not absolute)\n"
    )


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "2024-03-01T10:00+25:00.md",
            "its name's time zone +25:00 is impossible (offsets run from -23:59 to +23:59); rename it",
        ),
        (
            "2024-03-01T10:00+05:60.md",
            "its name's time zone +05:60 is impossible (offsets run from -23:59 to +23:59); rename it",
        ),
        (
            "9999-12-31T23:59:59-01:00.md",
            "dated 9999-12-31T23:59:59-01:00, which is out of range in UTC; correct its date",
        ),
        (
            "0001-01-01T00:00+01:00.md",
            "dated 0001-01-01T00:00:00+01:00, which is out of range in UTC; correct its date",
        ),
        ("2024-02-30.md", "its name begins with an impossible date"),
    ],
)
def test_a_date_no_clock_can_hold_is_one_line_naming_the_file(project: Path, name: str, message: str) -> None:
    folder = project / "history"
    (folder / name).write_text(TEXT)
    assert refused(project, str(folder)) == f"Error: {folder / name}: {message}\n"


def test_a_name_that_is_not_utf8_is_one_line_with_the_bytes_shown(project: Path) -> None:
    folder = project / "history"
    with open(os.path.join(os.fsencode(folder), b"2024-03-01-\xff.md"), "wb") as file:  # as Linux allows
        file.write(TEXT.encode())
    assert refused(project, str(folder)) == (
        f"Error: {folder}/2024-03-01-\\xff.md: its name is not printable UTF-8 text; rename it "
        "(e.g. with convmv) or move it out\n"
    )


def test_a_name_with_a_line_break_stays_on_one_line(project: Path) -> None:
    folder = project / "history"
    (folder / "2024-03-01\nforged.md").write_text(TEXT)
    assert refused(project, str(folder)) == (
        f"Error: {folder}/2024-03-01\\nforged.md: its name is not printable UTF-8 text; rename it "
        "(e.g. with convmv) or move it out\n"
    )


@pytest.mark.parametrize("name", ["2024-03-01.md", "2024-03-01.txt"])
def test_a_text_file_that_is_not_utf8_stops_the_import_before_anything_is_stored(
    project: Path, name: str
) -> None:
    folder = project / "history"
    (folder / name).write_bytes("Datenschutzerkl\u00e4rung\n".encode("latin-1"))
    assert refused(project, str(folder)) == (
        f"Error: {folder / name}: not UTF-8 text (byte 15); convert it, e.g. iconv -f latin1 -t utf-8, "
        "or move it out\n"
    )


def test_an_html_capture_in_another_charset_is_still_imported(project: Path) -> None:
    folder = project / "history"
    html = "<html><head><meta charset='iso-8859-1'><title>Datenschutz</title></head><body><main><h1>Datenschutz</h1>"
    html += "<p>Wir verwenden Informationen, um unsere Produkte f\u00fcr alle zu verbessern und sicher zu halten.</p>"
    (folder / "2024-03-01.html").write_bytes((html + "</main></body></html>").encode("latin-1"))
    code, output = run(project, "import", PAGE, str(folder))
    assert code == 0, output


@pytest.mark.parametrize("value", ["9999-12-31T23:59:59-01:00", "0001-01-01T00:00+01:00"])
def test_a_since_or_until_out_of_range_in_utc_is_a_usage_error(project: Path, value: str) -> None:
    for option in ("--since", "--until"):
        assert refused(project, str(project / "history"), option, value) == (
            f"Error: {option} {value!r}: out of range in UTC (write a date from 0001-01-02 to 9999-12-30)\n"
        )


def test_a_since_with_an_impossible_zone_is_a_usage_error(project: Path) -> None:
    assert refused(project, str(project / "history"), "--since", "2024-01-01T10:00+25:00") == (
        "Error: --since '2024-01-01T10:00+25:00': not a date or date-time (write e.g. 2024-01-01)\n"
    )


def test_until_the_last_day_a_date_can_hold_is_accepted(project: Path) -> None:
    code, output = run(project, "import", PAGE, str(project / "history"), "--until", "9999-12-31")
    assert (code, output) == (0, "1 version imported, 0 merged, 0 failed\n")


@pytest.mark.parametrize("name", ["2027-06-01.md", "9999-12-31T23-00-00Z.md"])
def test_a_version_dated_in_the_future_is_refused_before_anything_is_stored(project: Path, name: str) -> None:
    """History cannot come from the future (`verify` would hold such a record to be damage): refused in one
    line naming the file, whatever else the folder holds."""
    folder = project / "history"
    (folder / name).write_text(TEXT.replace("everyone", "you"))
    output = refused(project, str(folder))
    assert (
        output.startswith(f"Error: {name}: dated ")
        and ", after now (2026-12-01 08:00 UTC): history cannot" in output
    )
