"""`privacy-monitor demo`: the offline walk-through (needs no config and no internet)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import click

from monitor.cli.commands.check_cmd import describe
from monitor.cli.main import main
from monitor.cli.output import SEVERITY_COLORS, color_enabled, paint, say
from monitor.models import Outcome


@main.command()
@click.option(
    "--keep",
    type=click.Path(file_okay=False, path_type=Path),
    help="Keep the demo's config and store in this folder, empty or new (default: a temporary folder, removed "
    "afterwards).",
)
def demo(keep: Path | None) -> None:
    """Show what privacy-monitor does, offline: recorded pages served on loopback, checked day by day.

    Example: privacy-monitor demo --keep /tmp/pm-demo
    """
    from monitor.demo.scenario import StepResult, check_workdir, run_demo
    from monitor.diff.formats import render

    if keep is not None:
        check_workdir(keep)  # before anything is written: a folder holding a project is refused
    workdir = keep or Path(tempfile.mkdtemp(prefix="privacy-monitor-demo-"))
    color = color_enabled()

    def show(step_result: StepResult) -> None:
        step = step_result.step
        say(f"\nDay {step.day} (2025-12-{step.day:02d}): {step.title}")
        for result in step_result.results:
            say("  " + describe(result, width=14))
            if result.record.outcome == Outcome.CHANGED and result.diff is not None:
                text = render(result.diff, "text", color=color, context=0)
                say("".join(f"    {line}\n" for line in text.splitlines()), nl=False)
            for alert in result.alerts:
                data = alert.to_json()
                say(
                    f"    ALERT [{paint(data['severity'], SEVERITY_COLORS.get(data['severity']))}] "
                    f"{data['watch']}: {data['kind']}"
                    + (f" in {' › '.join(data['section'])}" if data.get("section") else "")
                )
        for note in step_result.objection_notes:
            say(f"    {note}")

    try:
        run_demo(workdir, on_step=show)
        click.echo()
        if keep:
            click.echo(f"Config and store kept in {workdir}. Try:")
            click.echo(f"  privacy-monitor -c {workdir / 'config.toml'} history ki-bei-meta-de")
            click.echo(f"  privacy-monitor -c {workdir / 'config.toml'} diff ki-bei-meta-de")
        else:
            click.echo(
                "Keep the demo's store with --keep DIR to explore it with `history`, `show` and `diff`."
            )
    finally:
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)
