"""The one Jinja environment: every template in monitor/templates (and monitor/report/templates, as
`report/<name>`) renders through it.

Undefined names are errors (StrictUndefined), so a template never prints "None" or an empty hole;
`.html.j2` templates are autoescaped, so text that comes from a page can never become markup.
"""

from __future__ import annotations

import textwrap
from functools import cache
from pathlib import Path

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PrefixLoader,
    StrictUndefined,
    Template,
    select_autoescape,
)
from markupsafe import Markup, escape

from monitor.diff.segments import marked
from monitor.diff.summary import kind_label, renamed, touches

TEMPLATES = Path(__file__).parent / "templates"
REPORT_TEMPLATES = Path(__file__).parent / "report" / "templates"  # named "report/<file>"


def indent_wrap(text: str, width: int = 76, indent: str = "    ") -> str:
    """Each paragraph wrapped and indented (quoted page text stands out from the tool's own words)."""
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    wrap = textwrap.TextWrapper(
        width, initial_indent=indent, subsequent_indent=indent, break_long_words=False
    )
    return "\n\n".join(wrap.fill(" ".join(p.split())) for p in paragraphs)


def breaks(text: str) -> Markup:
    """A blank line inside a word diff (a split or merged paragraph) shown as a pilcrow and a line break."""
    return Markup("¶<br>").join(escape(part) for part in text.split("\n\n"))


@cache
def environment() -> Environment:
    env = Environment(
        loader=ChoiceLoader(
            [FileSystemLoader(TEMPLATES), PrefixLoader({"report": FileSystemLoader(REPORT_TEMPLATES)})]
        ),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(marked=marked, indent_wrap=indent_wrap, breaks=breaks, kind_label=kind_label)
    env.globals.update(touches=touches, renamed=renamed)
    return env


def get_template(name: str) -> Template:
    return environment().get_template(name)
