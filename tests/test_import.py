"""`privacy-monitor import` end to end: git repositories built in the test (dated commits), folders of dated files,
the real corpus (the Facebook policy's 60 versions as Open Terms Archive recorded them, the printable policy's
raw captures), live checks on loopback after an import; exact output and exit codes."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from pytest_httpserver import HTTPServer
from service_support import FakeClock
from warcio.archiveiterator import ArchiveIterator

from monitor.cli.main import State, main
from monitor.extract.document import document_from_markdown
from monitor.store.core import Store

PAGE = "facebook-privacy-policy-en"
FILE = "Facebook/Privacy Policy.md"
VERSIONS = Path("versions/pga-versions/Facebook/Privacy_Policy")
CAPTURES = Path("html/genai-eu-snapshots/Llama_API/Privacy_Policy_privacy-policy-printable")
CLAUSE = "Your objection applies to the account you are logged in to and to all accounts in the same Accounts Center."
FILLER = (
    "We use information to develop and improve AI at Meta, on the basis of legitimate interests. "
    "This policy explains how we collect, use and share information, and how long we keep it, in words "
    "that we hope are clear enough for everyone who uses our products."
)
LOGIN_WALL = """<html><head><title>Log in to Facebook</title></head><body><div id="login_form">
<h2>Log in to Facebook</h2><form><input name="email"><input name="pass" type="password">
<button>Log in</button></form><a href="/recover">Forgotten password?</a></div></body></html>"""


def policy_md(clause: str = CLAUSE, extra: str = "") -> str:
    return f"# Privacy Policy\n\n## How do we use your information?\n\n{FILLER} {extra}\n\n{clause}\n"


def policy_html(clause: str = CLAUSE) -> str:
    return (
        "<html><head><title>Privacy Policy</title></head><body><div id='root'><h1>Privacy Policy</h1>"
        f"<h2>How do we use your information?</h2><p>{FILLER} </p><p>{clause}</p></div></body></html>"
    )


def write_config(
    tmp_path: Path, url: str = "https://www.facebook.com/privacy/policy/", watch: bool = False
) -> Path:
    config = tmp_path / "config.toml"
    text = f'[store]\npath = "store"\n\n[fetch]\nretries = 0\ntimeout = 5\n\n[[pages]]\nid = "{PAGE}"\nurl = "{url}"\n'
    if watch:
        text += f'\n[[watches]]\nid = "scope"\npages = ["{PAGE}"]\nkind = "clause"\ntext = "{CLAUSE}"\nseverity = "high"\n'
    config.write_text(text)
    return config


def run(config: Path, *args: str, clock: FakeClock | None = None) -> tuple[int, str]:
    clock = clock or FakeClock(datetime(2026, 12, 1, 8, 0, tzinfo=UTC))
    result = CliRunner().invoke(main, ["-c", str(config), *args], obj=State(clock=clock))
    return result.exit_code, result.output


def git(repo: Path, *args: str, date: str | None = None) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org"}
    env |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}
    if date:
        env |= {"GIT_COMMITTER_DATE": date, "GIT_AUTHOR_DATE": date}
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=env)


def build_repo(repo: Path, versions: list[tuple[str, str]]) -> Path:
    """A git repository with one commit per (date, text) of FILE, committed at that date."""
    repo.mkdir(parents=True)
    git(repo, "init", "-q")
    (repo / "README.md").write_text("versions\n")
    git(repo, "add", "README.md")
    git(repo, "commit", "-qm", "start", date="2022-01-01T00:00:00Z")
    for date, text in versions:
        (repo / FILE).parent.mkdir(exist_ok=True)
        (repo / FILE).write_text(text, encoding="utf-8")
        git(repo, "add", "-A")
        git(repo, "commit", "-qm", f"Update {date}", date=date)
    return repo


def corpus_rows(corpus: Path) -> list[dict[str, str]]:
    with (corpus / VERSIONS / "index.tsv").open(encoding="utf-8") as handle:
        return [row for row in csv.DictReader(handle, delimiter="\t") if row["extracted_file"]]


@pytest.fixture(scope="module")
def facebook_repo(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    rows = corpus_rows(corpus)
    texts = [
        (row["date_utc"], (corpus / VERSIONS / row["extracted_file"]).read_text(encoding="utf-8"))
        for row in rows
    ]
    return build_repo(tmp_path_factory.mktemp("ota") / "pga-versions", texts)


def expected_timeline(corpus: Path) -> list[tuple[str, str]]:
    """(date, text) of each version the monitor should see: consecutive identical texts are one version."""
    timeline: list[tuple[str, str]] = []
    for row in corpus_rows(corpus):
        text = document_from_markdown(
            (corpus / VERSIONS / row["extracted_file"]).read_text(encoding="utf-8")
        ).to_text()
        if not timeline or timeline[-1][1] != text:
            timeline.append((row["date_utc"], text))
    return timeline


# --- the real Facebook history from a git repository -----------------------------------------------------


@pytest.mark.corpus
def test_the_facebook_history_imports_from_git_with_its_real_dates(
    corpus: Path, facebook_repo: Path, tmp_path: Path
) -> None:
    config = write_config(tmp_path)
    expected = expected_timeline(corpus)
    rows = corpus_rows(corpus)
    assert len(rows) == 60

    code, output = run(config, "import", PAGE, str(facebook_repo), "--path", FILE)

    assert (code, output) == (
        0,
        f"{len(expected)} versions imported, {60 - len(expected)} merged, 0 failed\n",
    )
    code, listing = run(config, "history", PAGE, "--json")
    versions = json.loads(listing)["versions"]
    assert [version["since"] for version in versions] == [date for date, _ in expected]
    assert versions[0]["since"] == "2022-07-11T14:58:05Z"
    assert sum(version["checks"] for version in versions) == 60
    code, table = run(config, "history", PAGE)
    assert code == 0
    assert table.splitlines()[1].startswith(
        f"{Store(tmp_path / 'store').versions.list(PAGE)[0].id[:12]}  2022-07-11 14:58 UTC"
    )
    # Every record keeps its commit.
    code, checks = run(config, "history", PAGE, "--checks", "--json")
    sources = [record["source"]["id"] for record in json.loads(checks)["checks"]]
    commits = subprocess.run(
        ["git", "-C", str(facebook_repo), "rev-list", "--reverse", "HEAD", "--", FILE],
        capture_output=True,
        text=True,
    ).stdout.split()
    assert sources == commits

    # `show` gives the text in effect on a day; `diff` compares two dates of the imported history.
    in_effect = [text for date, text in expected if date[:10] <= "2024-01-01"][-1]
    code, shown = run(config, "show", PAGE, "2024-01-01")
    assert (code, shown) == (0, in_effect)
    code, diff = run(config, "diff", PAGE, "2023-01-01", "2025-06-01")
    old = [date for date, _ in expected if date[:10] <= "2023-01-01"][-1]
    new = [date for date, _ in expected if date[:10] <= "2025-06-01"][-1]
    assert code == 1
    assert diff.splitlines()[0].endswith(f"({old[:10]} {old[11:16]} UTC)")
    assert diff.splitlines()[1].endswith(f"({new[:10]} {new[11:16]} UTC)")
    assert diff.splitlines()[2].startswith("Effective May 27, 2025 · ")

    # Importing again adds nothing.
    code, output = run(config, "import", PAGE, str(facebook_repo), "--path", FILE)
    assert (code, output) == (0, "0 versions imported, 0 merged, 0 failed (60 already in the store)\n")
    assert len(json.loads(run(config, "history", PAGE, "--checks", "--json")[1])["checks"]) == 60

    # An overlapping source (the same versions as dated files) merges by date: no new version.
    code, output = run(config, "import", PAGE, str(corpus / VERSIONS))
    assert (code, output) == (0, "0 versions imported, 60 merged, 0 failed\n")
    merged = json.loads(run(config, "history", PAGE, "--json")[1])["versions"]
    assert [(v["id"], v["since"], v["until"]) for v in merged] == [
        (v["id"], v["since"], v["until"]) for v in versions
    ]
    assert sum(version["checks"] for version in merged) == 120  # each version seen by both sources
    code, verified = run(config, "verify")
    assert code == 0, verified


@pytest.mark.corpus
def test_since_and_until_select_part_of_the_history(
    corpus: Path, facebook_repo: Path, tmp_path: Path
) -> None:
    config = write_config(tmp_path)
    code, output = run(
        config,
        "import",
        PAGE,
        str(facebook_repo),
        "--path",
        FILE,
        "--since",
        "2025-01-01",
        "--until",
        "2025-12-31",
    )
    dates = [
        row["date_utc"] for row in corpus_rows(corpus) if "2025-01-01" <= row["date_utc"][:10] <= "2025-12-31"
    ]
    assert code == 0
    versions = json.loads(run(config, "history", PAGE, "--json")[1])["versions"]
    assert versions[0]["since"] == dates[0]
    assert all(dates[0] <= version["since"] <= dates[-1] for version in versions)


# --- a folder of the corpus's dated HTML captures --------------------------------------------------------


@pytest.mark.corpus
def test_a_folder_of_real_captures_imports_with_the_pages_region_rules(corpus: Path, tmp_path: Path) -> None:
    folder = tmp_path / "captures"
    folder.mkdir()
    names = sorted(path.name for path in (corpus / CAPTURES).glob("*.html"))[:6]
    for name in names:
        shutil.copy(corpus / CAPTURES / name, folder / name)
    (folder / "2026-09-01T08-00-00Z_login.html").write_text(LOGIN_WALL)
    shutil.copy(corpus / CAPTURES / "index.tsv", folder / "index.tsv")  # not a version: ignored
    config = write_config(tmp_path, "https://mbasic.facebook.com/privacy/policy/printable/")

    code, output = run(config, "import", PAGE, str(folder))

    with (corpus / CAPTURES / "index.tsv").open(encoding="utf-8") as handle:
        versions = [row for row in csv.DictReader(handle, delimiter="\t") if row["extracted_file"] in names]
    assert code == 0
    assert (
        output.splitlines()[0] == "failed: 2026-09-01T08-00-00Z_login.html (2026-09-01T08:00:00Z): login wall"
    )
    imported = len(json.loads(run(config, "history", PAGE, "--json")[1])["versions"])
    assert (
        output.splitlines()[1] == f"{imported} versions imported, {len(versions) - imported} merged, 1 failed"
    )
    history = json.loads(run(config, "history", PAGE, "--json")[1])["versions"]
    assert history[0]["since"] == "2025-11-11T15:34:11Z"
    assert all(version["raw_sha256"] for version in history)  # the capture is kept with its version
    code, raw = run(config, "show", PAGE, history[0]["since"], "--raw")
    assert raw == (corpus / CAPTURES / names[0]).read_text(encoding="utf-8")


# --- rules that need no corpus ------------------------------------------------------------------------------


def test_imported_wording_is_the_baseline_of_the_first_live_check(
    tmp_path: Path, httpserver: HTTPServer
) -> None:
    folder = tmp_path / "history"
    folder.mkdir()
    (folder / "2024-03-01.md").write_text(policy_md(extra="First."))
    (folder / "2025-06-01T12-30-00Z.md").write_text(policy_md(extra="Second."))
    (folder / "2025-07-01.txt").write_text(document_from_markdown(policy_md(extra="Second.")).to_text())
    config = write_config(tmp_path, httpserver.url_for("/policy"), watch=True)
    config.write_text(config.read_text().replace('url = "', 'select = ["#root"]\nurl = "', 1))

    code, output = run(config, "import", PAGE, str(folder))
    assert (code, output) == (0, "2 versions imported, 1 merged, 0 failed\n")
    store = Store(tmp_path / "store")
    assert (
        store.checks.changes() == [] and store.checks.last(PAGE) is None
    )  # history is not news, nor a check

    changed = CLAUSE.replace("all accounts", "this account only, not other accounts")
    httpserver.expect_request("/policy").respond_with_data(policy_html(changed), content_type="text/html")
    clock = FakeClock(datetime(2026, 12, 1, 8, 0, tzinfo=UTC))
    code, output = run(config, "check", "--json", clock=clock)
    result = json.loads(output.splitlines()[0])
    assert result["outcome"] == "changed"
    assert [(alert["watch"], alert["kind"]) for alert in result["alerts"]] == [("scope", "changed")]
    assert result["alerts"][0]["old"] == CLAUSE

    # Now that the page is checked live, history after its first check is refused.
    (folder / "2026-12-02.md").write_text(policy_md(extra="Later."))
    code, output = run(config, "import", PAGE, str(folder))
    assert (code, output) == (
        2,
        "Error: 2026-12-02.md: dated 2026-12-02 00:00 UTC, on or after the first live check of "
        f"{PAGE} (2026-12-01 08:00 UTC); imports come before live checks: add --until 2026-11-30\n",
    )
    # Older history still goes in, by date, before the live check.
    (folder / "2026-12-02.md").unlink()
    (folder / "2023-01-01.md").write_text(policy_md(extra="Zeroth."))
    code, output = run(config, "import", PAGE, str(folder))
    assert (code, output) == (0, "1 version imported, 0 merged, 0 failed (3 already in the store)\n")
    since = [version.since for version in Store(tmp_path / "store").versions.list(PAGE)]
    assert since == [
        "2023-01-01T00:00:00Z",
        "2024-03-01T00:00:00Z",
        "2025-06-01T12:30:00Z",
        "2026-12-01T08:00:00Z",
    ]
    assert run(config, "verify")[0] == 0


@pytest.mark.parametrize(
    ("make", "args", "message"),
    [
        (lambda root: root / "missing", (), "{root}/missing: no such repository or folder"),
        (
            lambda root: _file(root / "a.md"),
            (),
            "{root}/a.md: not a repository or folder (give the folder, not a file)",
        ),
        (
            lambda root: _folder(root / "f", "policy.md"),
            (),
            "{root}/f/policy.md: no date in its name (names must begin with YYYY-MM-DD)",
        ),
        (
            lambda root: _folder(root / "f", "2025-13-01.md"),
            (),
            "{root}/f/2025-13-01.md: its name begins with an impossible date",
        ),
        (
            lambda root: _folder(root / "f", "index.tsv"),
            (),
            "{root}/f: no dated .md, .html, .pdf or .txt files in it",
        ),
        (
            lambda root: _folder(root / "f", "2025-01-01.md"),
            ("--path", FILE),
            "{root}/f: not a git repository (--path FILE reads a file's history in one)",
        ),
        (
            lambda root: build_repo(root / "r", [("2024-01-01T00:00:00Z", "x")]),
            (),
            "{root}/r: a git repository; name the document's file in it with --path FILE",
        ),
        (
            lambda root: build_repo(root / "r", [("2024-01-01T00:00:00Z", "x")]),
            ("--path", "Other.md"),
            "Other.md: never in the repository {root}/r (see `git -C {root}/r log --stat`)",
        ),
    ],
)
def test_a_source_that_cannot_be_imported_is_one_line_and_exit_2(
    tmp_path: Path, make: object, args: tuple[str, ...], message: str
) -> None:
    root = tmp_path / "src"
    root.mkdir()
    source = make(root)  # type: ignore[operator]
    config = write_config(tmp_path)

    code, output = run(config, "import", PAGE, str(source), *args)

    assert (code, output) == (2, f"Error: {message.format(root=root)}\n")


def test_a_git_history_of_small_versions(tmp_path: Path) -> None:
    repo = build_repo(tmp_path / "repo", [
        ("2024-01-01T10:00:00+02:00", policy_md(extra="One.")),
        ("2024-02-01T10:00:00Z", policy_md(extra="One.") + "\n"),  # the same text: merged
        ("2024-03-01T10:00:00Z", policy_md(extra="Two.")),
    ])  # fmt: skip
    config = write_config(tmp_path)

    assert run(config, "import", PAGE, str(repo), "--path", FILE) == (
        0,
        "2 versions imported, 1 merged, 0 failed\n",
    )
    versions = json.loads(run(config, "history", PAGE, "--json")[1])["versions"]
    assert [(v["since"], v["until"], v["checks"]) for v in versions] == [
        ("2024-01-01T08:00:00Z", "2024-03-01T10:00:00Z", 2),
        ("2024-03-01T10:00:00Z", None, 1),
    ]
    records = json.loads(run(config, "history", PAGE, "--checks", "--json")[1])["checks"]
    assert [record["source"]["kind"] for record in records] == ["git"] * 3
    assert [record["outcome"] for record in records] == ["new", "unchanged", "changed"]

    # FILE is relative to SOURCE, which may be a folder inside the repository.
    (tmp_path / "other").mkdir()
    other = write_config(tmp_path / "other")
    assert run(other, "import", PAGE, str(repo / "Facebook"), "--path", "Privacy Policy.md") == (
        0, "2 versions imported, 1 merged, 0 failed\n"
    )  # fmt: skip

    # An imported version exports as evidence too: its text as a resource record naming its commit.
    out = tmp_path / "v1.zip"
    code, output = run(config, "export", PAGE, "--at", "2024-02-15", "--out", str(out))
    assert (code, output) == (
        0, f"{out}: version {versions[0]['id'][:12]} since 2024-01-01 08:00 UTC, record 1 of 3 in the page's hash chain\n"
    )  # fmt: skip
    with zipfile.ZipFile(out) as bundle:
        assert sorted(bundle.namelist()) == [
            "README.txt", "SHA256SUMS", "capture.warc.gz", "chain.json", "check.json", "text.md"
        ]  # fmt: skip
        assert "None" not in bundle.read("README.txt").decode()  # no raw capture: none is named
        warc = [
            (r.rec_type, r.rec_headers.get_header("WARC-Source-URI"))
            for r in ArchiveIterator(io.BytesIO(bundle.read("capture.warc.gz")))
        ]
    assert warc == [
        ("warcinfo", None),
        ("resource", f"git:{records[0]['source']['id']}:{FILE}"),
        ("metadata", None),
    ]


def _file(path: Path) -> Path:
    path.write_text("x")
    return path


def _folder(path: Path, *names: str) -> Path:
    path.mkdir()
    for name in names:
        (path / name).write_text(policy_md())
    return path


# --- the clause-watch history over the imported history ------------------------------------------------------

WATCHED = {
    "audience": "When you share and communicate using our Products, you choose the audience for what you share.",
    "right-to-object": "You also have the right to object to and restrict certain processing of your data.",
    "controller": (
        "The data controller responsible for your information is Meta Platforms Ireland Limited, "
        "which you can contact online, or by mail at:"
    ),
    "still-process": (
        "Even if you don’t use our Products or have an account, we may still process information about you to "
        "develop and improve AI at Meta."
    ),
}


@pytest.mark.corpus
def test_the_clause_watch_history_over_the_imported_facebook_history_matches_the_live_alerts(
    facebook_repo: Path, tmp_path: Path
) -> None:
    from monitor.config.loading import WatchConfig
    from monitor.watch.evaluate import evaluate_watches

    config = write_config(tmp_path)
    config.write_text(
        config.read_text()
        + "".join(
            f'\n[[watches]]\nid = "{watch}"\npages = ["{PAGE}"]\nkind = "clause"\ntext = "{text}"\nseverity = "high"\n'
            for watch, text in WATCHED.items()
        )
    )
    assert run(config, "import", PAGE, str(facebook_repo), "--path", FILE)[0] == 0
    store = Store(tmp_path / "store")

    # The live pipeline's watch stage, version after version, as each check that brought a version runs it.
    watches = [
        WatchConfig(id=w, pages=[PAGE], kind="clause", text=t, severity="high") for w, t in WATCHED.items()
    ]
    live: dict[str, list[tuple[str, str, str]]] = {watch: [] for watch in WATCHED}
    old, previous, baselines = None, None, {}
    for info in store.versions.list(PAGE):
        document = store.versions.read_document(PAGE, info.id)
        evaluation = evaluate_watches(
            watches, PAGE, baselines, old=old, new=document, diff=None, version=info.id, previous=previous,
            time=info.since,
        )  # fmt: skip
        for alert in evaluation.alerts:
            live[alert.watch].append((alert.id, alert.kind, info.since))
        baselines.update(evaluation.baselines)
        old, previous = document, info.id

    for watch in WATCHED:
        code, output = run(config, "watches", watch, "--history", "--json")
        assert code == 0
        (story,) = json.loads(output)["history"]
        replayed = [
            (alert["id"], alert["kind"], wording["since"])
            for wording in story["wordings"]
            for alert in wording["alerts"]
        ]
        assert replayed == live[watch], watch
    assert {watch: [(kind, since) for _, kind, since in found] for watch, found in live.items()} == {
        "audience": [("changed", "2022-09-07T17:19:04Z")],  # the 2022 rewrite
        "right-to-object": [("changed", "2022-09-07T17:19:04Z")],
        "controller": [],
        "still-process": [("not_found", "2022-07-11T14:58:05Z")],  # not there yet when tracking starts
    }
    # The import moved the baselines along: the stored state is the replay's last version.
    last = store.versions.list(PAGE)[-1].id
    assert {store.baselines.get(watch, PAGE)["version"] for watch in WATCHED} == {last}


def test_captures_failing_in_a_row_for_one_reason_are_one_line(tmp_path: Path) -> None:
    # A declaration's history that lacks the rules of a past year makes hundreds of captures fail alike: the
    # output names the run once (first, last, how many), and a lone failure still has its own line.
    folder = tmp_path / "captures"
    folder.mkdir()
    for day in range(1, 5):
        (folder / f"2026-01-0{day}T08-00-00Z_login.html").write_text(LOGIN_WALL)
    (folder / "2026-02-01T08-00-00Z.html").write_text(policy_html())
    (folder / "2026-03-01T08-00-00Z_login.html").write_text(LOGIN_WALL)
    config = write_config(tmp_path)

    code, output = run(config, "import", PAGE, str(folder))

    assert (code, output.splitlines()) == (0, [
        "failed: 4 captures from 2026-01-01T08-00-00Z_login.html (2026-01-01T08:00:00Z) to "
        "2026-01-04T08-00-00Z_login.html (2026-01-04T08:00:00Z): login wall",
        "failed: 2026-03-01T08-00-00Z_login.html (2026-03-01T08:00:00Z): login wall",
        "1 version imported, 0 merged, 5 failed",
    ])  # fmt: skip
