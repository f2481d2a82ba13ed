"""Git repositories shaped like Open Terms Archive's, built in a test: commits by OTA's bot, dated as its engine
dates them (the capture's fetch), for imports to read."""

from __future__ import annotations

import subprocess
from pathlib import Path


def git(folder: Path, *args: str, date: str | None = None) -> None:
    """Run git in `folder` as OTA's bot, at `date` (author and committer) when given."""
    env = {"GIT_AUTHOR_NAME": "OTA", "GIT_AUTHOR_EMAIL": "bot@example.org", "GIT_COMMITTER_NAME": "OTA",
           "GIT_COMMITTER_EMAIL": "bot@example.org", "HOME": str(folder), "PATH": "/usr/bin:/bin"}  # fmt: skip
    if date:
        env |= {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    subprocess.run(["git", "-C", str(folder), *args], check=True, capture_output=True, env=env)


def bare_clone(work: Path, bare: Path) -> Path:
    """A bare clone of `work` at `bare`, as `git clone --bare` of a public repository gives."""
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(bare)], check=True, capture_output=True)
    return bare
