"""The command line: the one place that prints, and that turns a MonitorError into a message and an exit code.

Commands live in `monitor/cli/commands/` (one module per area); how they write (times, JSON, colour) in
`monitor/cli/output.py`. Each module registers its commands on `main` when imported, and `COMMAND_MODULES`
names the module of each command so that a run imports only the one it needs.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from datetime import tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

import click

from monitor import __version__
from monitor.cli.lazy import LazyGroup
from monitor.cli.output import error_line, human_times, silence_stdout
from monitor.cli.process import start_up, started
from monitor.config.defaults import DEFAULT_CONFIG
from monitor.errors import ExitStatus, MonitorError
from monitor.models import Clock, system_clock

if TYPE_CHECKING:
    from monitor.config.loading import LoadedConfig

F = TypeVar("F", bound=Callable[..., Any])

# Every command of `main` and the module that defines it (under monitor.cli.commands). A run imports the one
# module of its command: `diff a.html b.html` never loads the config models, the store or the scheduler.
# tests/test_cli_startup.py checks this table against what the modules define.
COMMAND_MODULES = {
    name: f"monitor.cli.commands.{module}"
    for name, module in {
        "add": "page_cmds",
        "check": "check_cmd",
        "config": "config_cmds",
        "demo": "demo_cmd",
        "diff": "diff_cmd",
        "digest": "digest_cmd",
        "export": "export_cmd",
        "feed": "digest_cmd",
        "history": "store_cmds",
        "import": "import_cmd",
        "objections": "objections_cmd",
        "outbox": "outbox_cmd",
        "pages": "status_cmd",
        "reextract": "reextract_cmd",
        "report": "report_cmd",
        "run": "service_cmds",
        "show": "store_cmds",
        "status": "status_cmd",
        "test": "page_cmds",
        "verify": "store_cmds",
        "watches": "watch_cmds",
    }.items()
}


class State:
    """What every command gets: the config path (loaded lazily, so `--help` never needs a config)."""

    def __init__(
        self,
        config_path: Path = Path(DEFAULT_CONFIG),
        traceback: bool = False,
        *,
        clock: Clock = system_clock,
    ):
        self.config_path = config_path
        self.traceback = traceback
        self.clock = clock  # tests pass a fixed clock through CliRunner.invoke(obj=State(clock=...))
        self._loaded: LoadedConfig | None = None

    @property
    def loaded(self) -> LoadedConfig:
        if self._loaded is None:
            from monitor.config.loading import load_config  # pydantic: only for a command that reads a config

            with start_up():
                self._loaded = load_config(self.config_path)
        return self._loaded

    @property
    def zone(self) -> tzinfo:
        """The time zone of human output: the digest's (`[digest] timezone`)."""
        return ZoneInfo(self.loaded.config.digest.timezone)


class MonitorGroup(LazyGroup):
    """Turns every MonitorError raised by a command into one clean line and its named exit code (its commands
    load lazily: `COMMAND_MODULES`)."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        started()  # the command's code is loaded: start-up is over (monitor/cli/process.py)
        return command

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            # The reader closed the pipe (`privacy-monitor watches | head -1`): it has what it wanted.
            silence_stdout()
            ctx.exit(int(ExitStatus.OK))
        except MonitorError as error:
            if _wants_traceback(ctx):
                raise
            error_line(readable(ctx.find_object(State), str(error)))
            ctx.exit(int(error.exit_status))
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            ctx.exit(int(ExitStatus.INTERRUPTED))
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as error:  # a bug: still one line, and the way to see more
            if _wants_traceback(ctx):
                raise
            error_line(
                f"internal error: {type(error).__name__}: {error} (run again with --traceback and report it)"
            )
            ctx.exit(int(ExitStatus.INTERNAL))


def readable(state: State | None, message: str) -> str:
    """An error raised below the CLI, with its ISO times as every human line writes times (the digest's zone,
    to the minute); as it is when no config can be read (the error is then about the config itself)."""
    if state is None:
        return message
    try:
        zone = state.zone
    except (MonitorError, OSError, ValueError):
        return message
    return human_times(message, zone)


def _wants_traceback(ctx: click.Context) -> bool:
    state = ctx.find_object(State)
    return bool(state and state.traceback) or "--traceback" in sys.argv


@click.group(
    cls=MonitorGroup,
    command_modules=COMMAND_MODULES,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option(
    "-c",
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_CONFIG,
    show_default=True,
    envvar="PRIVACY_MONITOR_CONFIG",
    help="Config file to use.",
)
@click.option("--traceback", is_flag=True, help="Show the full stack on errors (for debugging).")
@click.version_option(__version__, prog_name="privacy-monitor")
@click.pass_context
def main(ctx: click.Context, config_path: Path, traceback: bool) -> None:
    """Watch privacy notices and report precisely when their wording changes.

    \b
    Exit codes: 0 ok, 1 differences found (diff), 2 usage or config error,
    3 a page failed, 4 store damaged, 5 store locked by another process,
    6 delivery failed (kept in the outbox), 70 internal error.
    """
    state = ctx.obj if isinstance(ctx.obj, State) else State()
    state.config_path, state.traceback = config_path, traceback
    ctx.obj = state


pass_state = click.make_pass_decorator(State)


def json_option(func: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Machine-readable output (JSON).")(func)


def exits_with(func: F) -> F:
    """Let a command return an ExitStatus (or int) that becomes the process exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        status = func(*args, **kwargs)
        if status:
            click.get_current_context().exit(int(status))

    return wrapper  # type: ignore[return-value]
