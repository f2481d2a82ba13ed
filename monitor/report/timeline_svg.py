"""A page's timeline as an inline SVG drawn here (no script, no external asset, no inline style).

One bar per change at its time, its height the substantive words it changed (square-root scale, so one big
update does not flatten the rest; a change of cosmetic edits only is a short grey bar), each bar a link to its
change page; the periods in which the page's checks failed are shaded. Colours come from presentation
attributes and classes of style.css, which the Content-Security-Policy allows (inline `style` it does not).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from markupsafe import Markup, escape

from monitor.store.timeline import parse_time

WIDTH, HEIGHT = 1000, 180
SMALL = (240, 40)  # the index's sparkline
PAD_LEFT, PAD_RIGHT, PAD_TOP, AXIS = 8, 8, 8, 22
MIN_BAR = 3.0


@dataclass(frozen=True, slots=True)
class Bar:
    time: str
    words: int  # substantive words changed (0: cosmetic only)
    link: str  # relative href of the change page
    label: str  # what the bar's tooltip and accessible name say


@dataclass(frozen=True, slots=True)
class Shade:
    start: str
    end: str | None  # None: still failing at the end of the plot
    label: str


def draw(
    bars: Sequence[Bar],
    shades: Sequence[Shade],
    start: str | None,
    end: str | None,
    *,
    title: str,
    small: bool = False,
) -> Markup:
    width, height = SMALL if small else (WIDTH, HEIGHT)
    axis = 0 if small else AXIS
    times = [parse_time(t) for t in (start, end, *(b.time for b in bars)) if t]
    if not times:
        times = [datetime(1970, 1, 1, tzinfo=UTC)]
    first, last = min(times), max(times)
    span = max((last - first).total_seconds(), 86400.0)
    first -= timedelta(seconds=span * 0.02)
    span *= 1.04
    inner = width - PAD_LEFT - PAD_RIGHT
    base = height - axis - 1
    top = PAD_TOP if not small else 2

    def x(moment: str | datetime) -> float:
        value = parse_time(moment) if isinstance(moment, str) else moment
        return PAD_LEFT + inner * (value - first).total_seconds() / span

    out = [
        f'<svg class="timeline{" small" if small else ""}" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}" '
        'xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for shade in shades:
        left = x(shade.start)
        right = x(shade.end) if shade.end else PAD_LEFT + inner
        out.append(
            f'<rect class="failed" x="{left:.1f}" y="{top}" width="{max(right - left, 2.0):.1f}" '
            f'height="{base - top:.1f}" fill="#f6d7a7"><title>{escape(shade.label)}</title></rect>'
        )
    out.append(
        f'<line class="baseline" x1="{PAD_LEFT}" y1="{base}" x2="{PAD_LEFT + inner}" y2="{base}" '
        'stroke="#57606a" stroke-width="1"/>'
    )
    if not small:
        out.extend(_ticks(first, first + timedelta(seconds=span), x, base))
    tallest = max((math.sqrt(b.words) for b in bars), default=1.0) or 1.0
    bar_width = max(2.0, min(10.0, inner / max(len(bars), 1) * 0.6))
    for bar in bars:
        size = (base - top) * math.sqrt(bar.words) / tallest
        size = max(MIN_BAR, size)
        kind = "substantive" if bar.words else "cosmetic"
        fill = "#cf222e" if bar.words else "#8c959f"
        out.append(
            f'<a href="{escape(bar.link)}" aria-label="{escape(bar.label)}">'
            f'<rect class="bar {kind}" x="{x(bar.time) - bar_width / 2:.1f}" y="{base - size:.1f}" '
            f'width="{bar_width:.1f}" height="{size:.1f}" fill="{fill}"><title>{escape(bar.label)}</title>'
            "</rect></a>"
        )
    out.append("</svg>")
    return Markup("".join(out))


def _ticks(first: datetime, last: datetime, x: Callable[[datetime], float], base: float) -> list[str]:
    """A tick and label at each year (or each month, when the plot spans less than two years)."""
    monthly = (last - first).days < 730
    out: list[str] = []
    moment = datetime(first.year, first.month if monthly else 1, 1, tzinfo=UTC)
    while moment <= last:
        if moment >= first:
            left = x(moment)
            label = moment.strftime("%b %Y" if monthly else "%Y")
            middle = min(max(left, PAD_LEFT + 24), WIDTH - PAD_RIGHT - 24)  # the label stays inside the plot
            out.append(
                f'<line x1="{left:.1f}" y1="{base}" x2="{left:.1f}" y2="{base + 4}" stroke="#57606a"/>'
                f'<text x="{middle:.1f}" y="{base + 16}" font-size="12" fill="#1f2328" '
                f'text-anchor="middle">{label}</text>'
            )
        year, month = (moment.year, moment.month + 1) if monthly else (moment.year + 1, 1)
        if month > 12:
            year, month = year + 1, 1
        moment = moment.replace(year=year, month=month)
    if monthly and len(out) > 12:  # a label every few months keeps them apart
        step = math.ceil(len(out) / 12)
        out = out[::step]
    return out
