"""The one Jinja environment: every template in monitor/templates (and monitor/report/templates, as
`report/<name>`) renders through it.

Undefined names are errors (StrictUndefined), so a template never prints "None" or an empty hole;
`.html.j2` templates are autoescaped, so text that comes from a page can never become markup. Every value a
template writes passes `finalize`: in HTML the characters XML forbids (and C1 controls) become U+FFFD, so
one page's stray control character can never make the report, the feed or a mail unwritable.
"""

from __future__ import annotations

import re
import textwrap
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PrefixLoader,
    StrictUndefined,
    Template,
    pass_eval_context,
    select_autoescape,
)
from jinja2.nodes import EvalContext
from markupsafe import Markup, escape

from monitor.diff.segments import marked
from monitor.diff.wording import kind_label, renamed, touches

TEMPLATES = Path(__file__).parent / "templates"
REPORT_TEMPLATES = Path(__file__).parent / "report" / "templates"  # named "report/<file>"

# What XML 1.0 forbids (C0 controls but tab, newline and CR; lone surrogates; U+FFFE, U+FFFF), plus DEL and
# the C1 controls, which HTML calls parse errors: lxml (feedgen) refuses the former outright.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def xml_safe(text: str) -> str:
    """`text` with every character XML or HTML cannot carry replaced by U+FFFD (the feed and the report)."""
    return _NOT_XML.sub(REPLACEMENT, text)


def encodable(text: str) -> str:
    """`text` with lone surrogates (which no UTF-8 file or mail can hold) replaced by U+FFFD."""
    return _SURROGATE.sub(REPLACEMENT, text)


@pass_eval_context
def _finalize(context: EvalContext, value: Any) -> Any:
    """Every value a template writes: made safe for HTML/XML in autoescaped templates, encodable in text
    ones (a plain-text part keeps its control characters: the terminal's edge, cli/output.py, escapes them)."""
    if not isinstance(value, str):
        return value
    clean = xml_safe(value) if context.autoescape else encodable(value)
    if clean == value:
        return value
    return Markup(clean) if isinstance(value, Markup) else clean


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
        finalize=_finalize,
    )
    env.filters.update(marked=marked, indent_wrap=indent_wrap, breaks=breaks, kind_label=kind_label)
    env.globals.update(touches=touches, renamed=renamed)
    return env


def get_template(name: str) -> Template:
    return environment().get_template(name)
