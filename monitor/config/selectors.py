"""CSS selectors as a browser reads them, written so that cssselect (the selector engine extraction uses) reads
them the same way (`browser_css`).

Open Terms Archive's declarations are checked against a browser's `querySelectorAll`, which accepts selectors
cssselect refuses. Measured over the public declaration repositories (contrib, pga, france: 1,191 documents,
1,175 distinct selectors, each compared with Chromium on generated pages), every selector cssselect compiles
matches what Chromium matches; those it refuses are of three kinds, written here in forms it reads:

- A string or bracket left open at the end (`img[src^='data:image/svg+xml`): the browser's CSS parser closes
  them at the end of the input, so does `browser_css`.
- An unquoted attribute value that starts with two hyphens (`a[href$=--espanol]`): an identifier for the
  browser, a syntax error for cssselect; it is quoted.
- `:first-of-type`, `:last-of-type`, `:only-of-type`, `:nth-of-type()`, `:nth-last-of-type()` on a compound
  without an element name (`.wrapper:nth-of-type(2)`): cssselect cannot count "siblings of the same name" for
  an element whose name it does not know. The pseudo-class becomes `:is(div:nth-of-type(2), p:nth-of-type(2),
  ...)` over every element name HTML defines (a custom element such as `<app-root>` is not counted).
"""

from __future__ import annotations

import re

from cssselect import HTMLTranslator, SelectorError

# Every element of the HTML Living Standard that can hold or be a page's text, in the order XPath tries them.
HTML_ELEMENTS = (
    "div", "p", "section", "article", "span", "li", "ul", "ol", "a", "h1", "h2", "h3", "h4", "h5", "h6",
    "table", "tr", "td", "th", "tbody", "thead", "tfoot", "main", "aside", "header", "footer", "nav", "dl",
    "dt", "dd", "blockquote", "pre", "code", "strong", "em", "b", "i", "u", "s", "small", "sup", "sub", "br",
    "hr", "img", "picture", "figure", "figcaption", "form", "fieldset", "legend", "label", "input", "button",
    "select", "option", "optgroup", "textarea", "details", "summary", "dialog", "address", "abbr", "cite",
    "dfn", "kbd", "mark", "q", "samp", "time", "var", "bdi", "bdo", "wbr", "ins", "del", "caption",
    "colgroup", "col", "iframe", "object", "embed", "video", "audio", "source", "track", "canvas", "svg",
    "math", "map", "area", "noscript", "script", "style", "template", "slot", "output", "progress", "meter",
    "datalist", "data", "ruby", "rt", "rp", "hgroup", "search", "menu", "center", "font", "body", "html",
    "head", "title", "meta", "link", "base",
)  # fmt: skip
_OF_TYPE = re.compile(r":(?:first|last|only)-of-type\b|:(?:nth|nth-last)-of-type\(")
_DOUBLE_HYPHEN_VALUE = re.compile(r"([~|^$*]?=\s*)(--(?:[\w-]|\\.)*)(?=\s*(?:[iIsS]\s*)?\])")


def browser_css(selector: str) -> str:
    """`selector` in a form cssselect compiles with the meaning a browser gives it (the same string when it
    already does), or ValueError naming the selector and what this tool cannot follow in it."""
    translator = HTMLTranslator()
    try:
        translator.css_to_xpath(selector)
        return selector
    except SelectorError as error:
        refused = error
    written = _typed_of_type(_quoted_values(_closed(selector)))
    try:
        translator.css_to_xpath(written)
    except SelectorError:
        raise ValueError(f"not a CSS selector: {selector!r} ({refused})") from None
    return written


def _closed(selector: str) -> str:
    """`selector` with the strings, brackets and parentheses left open at its end closed, as a browser's CSS
    parser closes them at the end of its input."""
    quote = ""
    opened: list[str] = []
    escaped = False
    for char in selector:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "[(":
            opened.append("]" if char == "[" else ")")
        elif char in "])" and opened and opened[-1] == char:
            opened.pop()
    return selector + quote + "".join(reversed(opened))


def _quoted_values(selector: str) -> str:
    """`[href$=--espanol]` -> `[href$="--espanol"]` (outside quoted strings)."""
    parts = re.split(r"(\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*')", selector)
    return "".join(
        part if index % 2 else _DOUBLE_HYPHEN_VALUE.sub(r'\1"\2"', part) for index, part in enumerate(parts)
    )


def _typed_of_type(selector: str) -> str:
    """Each of-type pseudo-class on a compound without an element name, as `:is()` over HTML's elements."""
    out: list[str] = []
    compound_start = 0
    outer: list[int] = []  # the compound starts around each open parenthesis
    depth_square = 0
    quote = ""
    index = 0
    while index < len(selector):
        char = selector[index]
        if quote:
            quote = "" if char == quote and selector[index - 1] != "\\" else quote
        elif char in "'\"":
            quote = char
        elif char == "[":
            depth_square += 1
        elif char == "]":
            depth_square = max(depth_square - 1, 0)
        elif depth_square == 0 and char == "(":
            outer.append(compound_start)
            compound_start = len(out) + 1
        elif depth_square == 0 and char == ")":
            compound_start = outer.pop() if outer else compound_start
        elif depth_square == 0 and (char.isspace() or char in ">+~,"):
            compound_start = len(out) + 1
        elif depth_square == 0 and char == ":" and (found := _OF_TYPE.match(selector, index)):
            end = found.end() if not found.group().endswith("(") else selector.find(")", index) + 1
            pseudo = selector[index : end or len(selector)]
            if not _has_type("".join(out[compound_start:])):
                out.append(f":is({', '.join(name + pseudo for name in HTML_ELEMENTS)})")
            else:
                out.append(pseudo)
            index += len(pseudo)
            continue
        out.append(char)
        index += 1
    return "".join(out)


def _has_type(compound: str) -> bool:
    return bool(re.match(r"(?:[A-Za-z_\u0080-\uffff]|-[A-Za-z_]|\\)", compound))
