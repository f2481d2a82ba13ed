"""Importing years of history is quick: the Facebook privacy policy's 60 recorded versions (2022-07 .. 2026-08), as
the folder of dated Markdown files the corpus holds and as a git repository with one dated commit per version
(built before timing), each into a fresh store with a clause watch on the page (its baseline follows every
imported version). Wall time of one `import_versions` run, best of N. Goal: under 20 s each.

    .venv/bin/python bench/bench_import.py [--repeat 2]
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchlib import FACEBOOK_HISTORY, ROOT, missing, result  # noqa: F401 - ROOT puts the project on sys.path

PAGE = "facebook-privacy-policy-en"
FILE = "Facebook/Privacy Policy.md"
GOAL = 20.0  # seconds
CLAUSE = "You also have the right to object to and restrict certain processing of your data."


def write_config(folder: Path) -> Path:
    config = folder / "config.toml"
    config.write_text(
        f'[store]\npath = "store"\n\n[[pages]]\nid = "{PAGE}"\nurl = "https://www.facebook.com/privacy/policy/"\n\n'
        f'[[watches]]\nid = "right-to-object"\npages = ["{PAGE}"]\nkind = "clause"\ntext = "{CLAUSE}"\n'
    )
    return config


def build_repo(repo: Path) -> Path:
    env = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@example.org"}
    env |= {"GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@example.org"}
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    with (FACEBOOK_HISTORY / "index.tsv").open(encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle, delimiter="\t") if row["extracted_file"]]
    (repo / FILE).parent.mkdir(parents=True)
    for row in rows:
        shutil.copy(FACEBOOK_HISTORY / row["extracted_file"], repo / FILE)
        dated = env | {"GIT_COMMITTER_DATE": row["date_utc"], "GIT_AUTHOR_DATE": row["date_utc"]}
        subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True, env=dated)
        subprocess.run(["git", "-C", str(repo), "commit", "-qm", row["date_utc"]], check=True, env=dated)
    return repo


def import_once(folder: Path, source: Path, path: str | None) -> tuple[float, str]:
    from monitor.config.loading import load_config
    from monitor.imports.run import import_versions
    from monitor.imports.sources import open_source
    from monitor.pipeline.check import Context
    from monitor.store.core import Store
    from monitor.store.db import close_all

    if folder.exists():
        close_all()
        shutil.rmtree(folder)
    folder.mkdir()
    loaded = load_config(write_config(folder))
    started = time.perf_counter()
    ctx = Context(loaded, Store(loaded.store_path), deliver=False)
    report = import_versions(ctx, loaded.config.pages[0], open_source(source, path))
    return time.perf_counter() - started, report.line()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args(argv)
    if not FACEBOOK_HISTORY.is_dir():
        return missing(FACEBOOK_HISTORY)
    ok = True
    with tempfile.TemporaryDirectory() as temp:
        root = Path(temp)
        repo = build_repo(root / "pga-versions")
        for name, source, path in (("folder", FACEBOOK_HISTORY, None), ("git", repo, FILE)):
            timings = [import_once(root / f"store-{name}", source, path) for _ in range(args.repeat)]
            seconds = min(seconds for seconds, _ in timings)
            print(
                f"import from a {name}: {timings[0][1]}; {seconds:.2f} s (best of {args.repeat}; goal < {GOAL:g} s)"
            )
            ok &= result(f"import_60_versions_{name}_seconds", seconds, GOAL)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
