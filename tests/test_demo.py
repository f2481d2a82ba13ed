"""The README's main job: `privacy-monitor demo`, offline, shows each kind of outcome a user meets."""

from __future__ import annotations

import re

from click.testing import CliRunner

from monitor.cli.main import main


def test_demo_walks_through_new_noise_change_wall_and_back() -> None:
    result = CliRunner().invoke(main, ["demo"])
    assert result.exit_code == 0, result.output
    outcomes = re.findall(r"^  (\S+)\s+(new|unchanged|changed|failed)\s", result.output, re.M)
    assert outcomes == [
        ("ki-bei-meta-de", "new"),
        ("meta-genai-en", "new"),
        ("ki-bei-meta-de", "unchanged"),  # other markup, new signed link parameters: no change
        ("meta-genai-en", "unchanged"),
        ("ki-bei-meta-de", "changed"),
        ("meta-genai-en", "unchanged"),
        ("ki-bei-meta-de", "failed"),  # the login wall
        ("meta-genai-en", "unchanged"),
        ("ki-bei-meta-de", "unchanged"),  # compared with the last good version, not with the wall
        ("meta-genai-en", "unchanged"),
    ]
    assert "  ki-bei-meta-de  failed     login wall\n" in result.output
    assert "ALERT [high] accounts-center-scope: changed" in result.output
    assert "[-sowie-]{+nicht aber+} auf [-alle-]{+andere+} Konten" in result.output


def test_demo_keeps_its_store_for_exploring(tmp_path) -> None:
    keep = tmp_path / "demo"
    result = CliRunner().invoke(main, ["demo", "--keep", str(keep)])
    assert result.exit_code == 0, result.output
    history = CliRunner().invoke(main, ["-c", str(keep / "config.toml"), "history", "ki-bei-meta-de"])
    assert history.exit_code == 0
    versions = [line for line in history.output.splitlines()[1:] if not line.startswith("  ")]
    assert len(versions) == 2  # two versions, each followed by its summary line
    assert history.output.splitlines()[-1] == "  2 substantive changes"
    diff = CliRunner().invoke(
        main, ["-c", str(keep / "config.toml"), "diff", "ki-bei-meta-de", "--format", "json"]
    )
    assert diff.exit_code == 1, diff.output
