"""Page HTML to the tree extraction reads (`parse_html`), with nothing a browser shows left out, or a
`PageUnreadable` error saying why not.

libxml2 hands back whatever tree it had built when it stops, and keeps the reason in the parser's error log,
where nobody looked: a page nested 2,048 elements deep (its tree builder's limit even with `huge_tree`) lost
the clause at the bottom and everything after it, and coverage, reading the same tree, said 100%. So every
parse is judged by its last error (a fatal error halts libxml2, so it is the last one: no walk over the log):

- too deep: the page is parsed again through a target. libxml2's parser without its tree builder has no depth
  limit; `_FlatTree` builds the tree as Chromium does (html_construction_site.cc, 512 levels): an element
  opened deeper is attached beside its parent instead of inside it, so every text stays, the tree stays 512
  deep (no walker, ours or trafilatura's, recurses past that) and only such pages pay the second parse.
- a lone surrogate in the text (libxml2 cannot encode it): parsed again with U+FFFD in its place.
- any other fatal error: `PageUnreadable` naming it and where, a failed check instead of a short version.

A NUL byte is dropped before parsing: a browser ignores it in the text (libxml2 would show U+FFFD). After it,
what libxml2 put outside the body goes into it (`_gather_into_body`), as a browser's parser puts it there.
"""

from __future__ import annotations

import re
from typing import Any

import lxml.html
from lxml import etree
from lxml.html import HtmlElement

from monitor.errors import FetchError

__all__ = ["MAX_TREE_DEPTH", "PageUnreadable", "parse_html"]

MAX_TREE_DEPTH = 512  # Chromium's kMaximumHTMLParserDOMTreeDepth
_SURROGATE = re.compile("[\ud800-\udfff]")
# Characters an lxml tree refuses (XML 1.0) that libxml2's own tree builder keeps; a browser draws none of them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0e-\x1f\ufffe\uffff]")
_DEPTH_ERROR = "Excessive depth"
_HINT = "the page's HTML cannot be read whole; check it with `privacy-monitor test URL`"


class PageUnreadable(FetchError):
    """The HTML parser stopped before the end of the page: what it built is not what a browser shows."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(url or "page", reason, hint=_HINT)


def parser(**options: Any) -> lxml.html.HTMLParser:
    """An HTML parser whose every element is an HtmlElement, chosen in C: lxml.html's default asks a Python
    method for each element's class (to give forms and inputs classes of their own, which nothing here uses),
    a fifth of the time of the walks on a React page. A parser per call: lxml parsers must not be shared
    between threads."""
    made = lxml.html.HTMLParser(remove_comments=True, remove_pis=True, huge_tree=True, **options)
    made.set_element_class_lookup(etree.ElementDefaultClassLookup(element=HtmlElement))
    return made


def parse_html(html: str, *, url: str = "") -> HtmlElement | None:
    """The page's tree (None when it has no elements). Raises PageUnreadable when the parser stopped early."""
    if not html.strip():
        return None
    if "\x00" in html:
        html = html.replace("\x00", "")
    page, error = _parse_with_tree_builder(html)
    if error is not None and error.type_name == "ERR_INVALID_ENCODING" and _SURROGATE.search(html):
        html = _SURROGATE.sub("\ufffd", html)
        page, error = _parse_with_tree_builder(html)
    if error is not None and _DEPTH_ERROR in error.message:
        page, error = _parse_flat(html)
    if error is not None:
        where = f"line {error.line}, column {error.column}"
        raise PageUnreadable(url, f"HTML parser stopped at {where}: {error.message.strip()}")
    if page is not None:
        _gather_into_body(page)
    return page


def _gather_into_body(page: HtmlElement) -> None:
    """Move what follows the body into it. A browser ignores `</body>` and `</html>` and merges a second
    `<body>` into the first, so what follows them is body content; libxml2 closes the elements, and that
    content became a sibling of the body, a second body, or a second root element after `</html>`, which
    extraction, reading the body, missed. On a page with nothing after its body this costs two lookups."""
    body = page.find("body")
    if body is None:
        return
    following = [*body.itersiblings(), *page.itersiblings()]
    if not following and (not body.tail or body.tail.isspace()):
        return
    _add_text(body, body.tail)
    body.tail = None
    stack: list[HtmlElement | str | None] = following[::-1]  # the next one last
    while stack:
        item = stack.pop()
        if item is None or isinstance(item, str):
            _add_text(body, item)
        elif item.tag in ("body", "html"):  # a second body or root: its content, in order, not itself
            _add_text(body, item.text)
            stack.append(item.tail)
            stack.extend(reversed(item))
            item.text = item.tail = None
        else:
            body.append(item)  # its tail comes along


def _add_text(element: HtmlElement, text: str | None) -> None:
    """Append `text` to what `element` holds, after its last child."""
    if not text:
        return
    if len(element):
        last = element[-1]
        last.tail = (last.tail or "") + text
    else:
        element.text = (element.text or "") + text


def _parse_with_tree_builder(html: str) -> tuple[HtmlElement | None, Any]:
    """libxml2's own tree, and its fatal error if it stopped early."""
    used = parser()
    try:
        try:
            page = lxml.html.document_fromstring(html, parser=used)
        except ValueError:  # a str that declares its own encoding (<?xml encoding=...?>)
            used = parser(encoding="utf-8")
            page = lxml.html.document_fromstring(html.encode("utf-8", "replace"), parser=used)
    except etree.ParserError:  # nothing but whitespace or comments
        return None, _fatal(used)
    return page, _fatal(used)


def _fatal(used: etree.XMLParser) -> Any:
    last = used.error_log.last_error
    return last if last is not None and last.level == etree.ErrorLevels.FATAL else None


def _parse_flat(html: str) -> tuple[HtmlElement | None, Any]:
    """The page's tree, built through a target from libxml2's parse events, at most MAX_TREE_DEPTH deep."""
    target = _FlatTree()
    used = etree.HTMLParser(target=target, huge_tree=True, encoding="utf-8")
    try:
        page = etree.fromstring(html.encode("utf-8", "replace"), used)
    except etree.XMLSyntaxError:
        page = target.close()
    return page, _fatal(used)


class _FlatTree:
    """An lxml target that builds the tree libxml2's events describe, as Chromium does past its depth limit:
    an element opened more than MAX_TREE_DEPTH levels down becomes a sibling at that depth. Text goes to the
    element open at that point (Chromium's current node), so all of it stays and stays in its element."""

    def __init__(self) -> None:
        self._factory = parser()
        self.root: HtmlElement | None = None
        self._open: list[HtmlElement] = []
        self._pending: list[str] = []

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        self._flush()
        if not _valid_name(tag):
            tag = "span"  # an unknown element: inline, as a browser draws it
        if self.root is None:
            element = self._factory.makeelement(tag)
            self.root = element
        else:
            parent = self._open[min(len(self._open), MAX_TREE_DEPTH) - 1] if self._open else self.root
            element = etree.SubElement(parent, tag)
        for name, value in attrib.items():
            if _valid_name(name):
                element.set(name, xml_text(value))
        self._open.append(element)

    def end(self, tag: str) -> None:
        self._flush()
        if self._open:
            self._open.pop()

    def data(self, text: str) -> None:
        self._pending.append(text)

    def close(self) -> HtmlElement | None:
        self._flush()
        return self.root

    def _flush(self) -> None:
        if not self._pending or self.root is None:
            self._pending.clear()
            return
        text = xml_text("".join(self._pending))
        self._pending.clear()
        _add_text(self._open[-1] if self._open else self.root, text)


def xml_text(text: str) -> str:
    """`text` as an lxml tree accepts it: the characters XML forbids and no browser draws left out (a form feed,
    HTML whitespace, read as a space)."""
    return _NOT_XML.sub("", text.replace("\x0c", " "))


def _valid_name(name: str) -> bool:
    try:
        etree.QName(name)
    except ValueError:
        return False
    return ":" not in name
