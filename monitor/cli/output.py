"""How the CLI writes: plurals, times, JSON shapes, colour, the progress line and broken pipes, in one place.

Rules (documented in the README):
- times: ISO 8601 UTC (`2026-12-01T18:43:00Z`) in JSON; in human output the digest's time zone
  (`[digest] timezone`) to the minute with its abbreviation (`2026-12-01 19:43 CET`), in every command;
- JSON: JSON Lines for streams (`check`), one object with a named list for listings;
- colour only on a terminal, only for outcomes and severities, never when NO_COLOR is set;
- the progress line goes to stderr, only when stderr is a terminal;
- no text reaches the terminal raw: `terminal_safe` shows every control character (C0 but newline and tab,
  DEL, C1) and lone surrogate as an escape (`\\x1b`), so a server's `ESC c` in a reason or a page's 8-bit
  CSI cannot reset or drive the reader's terminal; only the colour codes the CLI adds itself are kept.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from collections.abc import Iterable, Iterator
from typing import IO, TYPE_CHECKING, Any

import click

from monitor.errors import UsageError
from monitor.models import Clock
from monitor.present.words import human_time, human_times, plural

if TYPE_CHECKING:
    from monitor.config.loading import Config, LoadedConfig, PageConfig

__all__ = ["human_time", "human_times", "plural"]  # the CLI's names for the one wording of counts and times

OUTCOME_COLORS = {"new": "cyan", "changed": "yellow", "failed": "red"}
SEVERITY_COLORS = {"high": "red", "medium": "yellow"}
PAGES_HINT = "see `privacy-monitor pages` for the configured ids"

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
# The colour codes click.style writes (SGR: `ESC [ 31 m`, `ESC [ 0 m`): kept where colour is on.
_COLOUR = re.compile("\x1b\\[[0-9;]*m")
_KEPT = re.compile(f"({_COLOUR.pattern})|{_CONTROL.pattern}")


# The last stream asked and its answer: `say` asks for every line it writes, and a stream's being a terminal
# does not change while it is open (tests swap sys.stdout, so the answer is kept for that stream object only).
_asked: tuple[IO[Any] | None, bool] = (None, False)


def _is_terminal(stream: IO[Any]) -> bool:
    global _asked
    if _asked[0] is not stream:
        _asked = (stream, bool(getattr(stream, "isatty", lambda: False)()))
    return _asked[1]


def color_enabled(err: bool = False) -> bool:
    """Colour only on a terminal, and never with NO_COLOR set (https://no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    return _is_terminal(sys.stderr if err else sys.stdout)


def paint(text: str, color: str | None, *, err: bool = False) -> str:
    """`text` coloured when it means something (`color` given) and colour is on; else unchanged."""
    if color is None or not color_enabled(err):
        return text
    return click.style(text, fg=color)


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_safe(text: str, *, colour: bool = False) -> str:
    """`text` with every control character and lone surrogate shown as an escape (`\\x1b`, `\\x9b`,
    `\\udc80`); with `colour`, the colour codes in it are kept."""
    if colour:
        return _KEPT.sub(lambda m: m.group(1) or _escape(m.group()), text)
    return _CONTROL.sub(lambda m: _escape(m.group()), text)


def say(text: str = "", *, err: bool = False, nl: bool = True) -> None:
    """Every line the CLI writes for people (made terminal-safe here, whatever it holds)."""
    colour = color_enabled(err)
    click.echo(terminal_safe(text, colour=colour), err=err, nl=nl, color=colour)


def write_output(text: str, *, colour: bool = False) -> None:
    """A whole rendered output (a diff), as it is, but terminal-safe."""
    click.echo(terminal_safe(text, colour=colour), nl=False, color=colour)


def error_line(message: str) -> None:
    """The one line an error ends with, on stderr (red on a terminal)."""
    say(paint(f"Error: {message}", "red", err=True), err=True)


def json_text(text: str) -> str:
    """JSON text with what `json.dumps(ensure_ascii=False)` leaves raw (DEL, C1 controls, lone surrogates)
    written as `\\u` escapes: the same JSON value, safe on a terminal."""
    return _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def json_line(data: Any) -> None:
    """One JSON Lines record (streams: `check`)."""
    click.echo(json_text(json.dumps(data, ensure_ascii=False)))


def json_listing(data: dict[str, Any]) -> None:
    """One JSON object with a named list (listings: `pages`, `history`, `watches`, `outbox`, `status`)."""
    click.echo(json_text(json.dumps(data, ensure_ascii=False, indent=2)))


def find_page(config: Config, page_id: str) -> PageConfig:
    """The configured page `page_id`, or the one error every command gives for an unknown page (exit 2)."""
    for page in config.pages:
        if page.id == page_id:
            return page
    from difflib import get_close_matches

    close = get_close_matches(page_id, [page.id for page in config.pages], n=1)
    hint = f"did you mean {close[0]!r}? {PAGES_HINT}" if close else PAGES_HINT
    raise UsageError(f"unknown page {page_id!r} ({hint})")


def kept_alerts_line(loaded: LoadedConfig, clock: Clock) -> str | None:
    """With no notifier configured, what `status` says of the alerts waiting in the outbox: where they are
    kept and the config section that delivers them (None: a notifier is configured, or nothing waits)."""
    from monitor.notify.base import has_notifier, kept_for_digest
    from monitor.store.core import Store

    if has_notifier(loaded.config.notify):
        return None
    waiting = len(Store(loaded.store_path, clock=clock).outbox.undelivered())
    return kept_for_digest(waiting, loaded.path) if waiting else None


def with_hint(reason: str | None) -> str | None:
    """A failure reason with what to do about it, where the CLI knows (the check log keeps the short reason)."""
    if reason and reason.startswith("browser renderer unavailable"):
        from monitor.registry import FETCHERS

        FETCHERS.get("browser")  # the registry loads its built-ins first, in their own order
        from monitor.fetch.browser import INSTALL_HINT

        return f"{reason} (install it: {INSTALL_HINT})"
    return reason


class Progress:
    """`[3/12] page-id (4s)` on stderr while a long command runs; nothing at all when stderr is not a terminal."""

    def __init__(self, total: int, *, enabled: bool | None = None) -> None:
        self.total = total
        self.done = 0
        self.started = time.monotonic()
        self.enabled = _is_terminal(sys.stderr) if enabled is None else enabled
        self._shown = False

    def track(self, items: Iterable[PageConfig]) -> Iterator[PageConfig]:
        for item in items:
            self.show(item.id)
            yield item
            self.done += 1
        self.clear()

    def show(self, current: str) -> None:
        if not self.enabled:
            return
        elapsed = int(time.monotonic() - self.started)
        click.echo(f"\r\033[K[{self.done}/{self.total}] {current} ({elapsed}s)", nl=False, err=True)
        self._shown = True

    def clear(self) -> None:
        """Erase the line (before a result line is printed, and at the end)."""
        if self._shown:
            click.echo("\r\033[K", nl=False, err=True)
            self._shown = False


def silence_stdout() -> None:
    """After the reader closed the pipe: point stdout at /dev/null so the interpreter's last flush is quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass  # not a real file descriptor (e.g. CliRunner): nothing will flush to a closed pipe
