"""Which elements of a page are not part of the document's text, by rule.

Three kinds, kept apart because coverage treats them differently:
- invisible: never shown to a reader (scripts, styles, `hidden`, `display:none`, form controls, images). Not
  text at all.
- removed: matched by the page's `remove` selectors. The user said they are not the document.
- link lists (automatic regions only, `find_link_lists` in link_lists.py): related topics, "more resources",
  rows of links beside the document; taken out like removed elements.
- boilerplate: shown, but page furniture (navigation, site header and footer, dialogs, cookie banners,
  "Was this helpful?" widgets, "Skip to main content" links, small `aria-hidden` decorations such as bullet
  glyphs). Dropped from the text but still counted as the region's visible words, so that a
  rule that eats real content shows up as lost coverage.

Boilerplate and link lists are heuristics of the automatic region, and of a `select` that names the whole page
(`body`, `html`), whose furniture nobody chose. Inside a region the page's rules name (`select = ["main"]`, a
range), what the region holds is the user's choice, as Open Terms Archive keeps it (a breadcrumb `nav` inside the
selected `main`): only what no reader sees and what `remove` names are left out (`Skipper.name_region`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from lxml import etree
from lxml.html import HtmlElement

# Re-exported: the automatic region's link lists are taken out as boilerplate is.
from monitor.extract.link_lists import find_link_lists as find_link_lists

_NOT_RENDERED = {"head", "title", "meta", "link", "base", "script", "style", "noscript", "template"}
_MEDIA = {"img", "picture", "source", "track", "video", "audio", "canvas", "svg", "math", "map", "area"}
_EMBEDDED_OR_FORM = {"iframe", "object", "embed", "input", "select", "option", "datalist", "textarea"}
INVISIBLE_TAGS = frozenset(_NOT_RENDERED | _MEDIA | _EMBEDDED_OR_FORM)
BOILERPLATE_TAGS = frozenset({"nav", "dialog"})
BOILERPLATE_ROLES = frozenset({"navigation", "dialog", "alertdialog", "banner", "contentinfo"})
# The attributes `is_invisible` and `Skipper` read.
_HIDING_ATTRIBUTES = frozenset({"hidden", "style"})
_SKIP_ATTRIBUTES = _HIDING_ATTRIBUTES | {"role", "aria-hidden"}
# A page-level header/footer is furniture; one inside sectioning content belongs to that content.
SECTION_HEADER_TAGS = frozenset({"header", "footer"})
SECTIONING = frozenset({"article", "main", "section", "aside"})
# A `select` matching one of these names the whole page, not a region of it.
PAGE_TAGS = frozenset({"html", "body"})

_HIDDEN_STYLE = re.compile(
    r"(?:^|;)\s*(?:display\s*:\s*none|visibility\s*:\s*hidden)\s*(?:!important\s*)?(?:;|$)", re.I
)

_FEEDBACK_PROMPT = re.compile(
    r"^(?:was this (?:page |article |answer |information )?helpful|did this (?:page |article )?help(?: you)?|"
    r"did you find this (?:page |article )?helpful|(?:war|ist) (?:das|diese seite|dieser artikel) hilfreich|"
    r"cette (?:page|réponse) vous a-t-elle été utile)\s*\??$",
    re.I,
)
# A cheap look at the raw page first: most pages have no feedback prompt, and then no text node is examined.
# The lookahead of the prompts' first letters (and `\s*+`, which never gives back the spaces it took) only lets
# the scan drop a tag's end at once instead of trying every prompt there: a third of the time on real pages.
_FEEDBACK_IN_HTML = re.compile(
    r">\s*+(?=[wdic])"
    r"(?:was this|did this|did you find this|war das|ist das|war diese|ist diese|war dieser|ist dieser|cette)"
    r"[^<]{0,40}(?:helpful|help|hilfreich|utile)",
    re.I,
)
_SHORT_TEXTS = etree.XPath("//text()[string-length() < 80]")
# A skip link takes keyboard users past the page's furniture to its content: a link to a place in the page whose
# text says so. It is furniture itself (on Meta's sub-processor list it was the document's first line). The same
# cheap look at the raw page first, as for the feedback prompts: a page without such words is never searched.
_SKIP_LINK = re.compile(
    r"^(?:(?:skip|jump) to (?:the )?(?:main )?(?:content|main)|skip (?:main )?navigation|"
    r"(?:direkt )?zum (?:haupt)?inhalt(?: springen| wechseln)?|(?:aller|passer) au contenu(?: principal)?)$",
    re.I,
)
_SKIP_LINK_IN_HTML = re.compile(r">\s*+(?=[sjdzap])(?:skip|jump|direkt|zum|aller|passer) ", re.I)
_IN_PAGE_LINKS = etree.XPath("//a[starts-with(@href, '#')]")
_COOKIE_BANNER_XPATH = (
    "//*[contains(@id,'cookie-banner') or contains(@class,'cookie-banner') or contains(@id,'cookie-consent')"
    " or contains(@class,'cookie-consent') or contains(@id,'cookieconsent') or contains(@class,'cookieconsent')"
    " or @id='onetrust-consent-sdk' or @id='CybotCookiebotDialog' or @data-cookiebanner"
    " or contains(@data-testid,'cookie-policy-manage-dialog')]"
)
# `aria-hidden` marks decorative bits (bullet glyphs, separators), but also the whole page behind an open cookie
# dialog (there, even a short error message behind the dialog is what the reader sees): only a few words are decoration.
ARIA_HIDDEN_MAX_WORDS = 5
_COOKIE_BANNER_MARKERS = (
    "cookie-banner",
    "cookie-consent",
    "cookieconsent",
    "onetrust-consent-sdk",
    "CybotCookiebotDialog",
    "data-cookiebanner",
    "cookie-policy-manage-dialog",
)
# The markers' one scan of the page (seven substring scans of a 900 KB page cost twice as much): every marker
# is "onetrust-consent-sdk" or has "ookie" followed by one of these (tests/test_widget_markers.py holds them to it).
_COOKIE_BANNER_IN_HTML = re.compile(
    r"ookie(?:-banner|-consent|consent|botDialog|banner|-policy-manage-dialog)"
)
# A widget is small; a container that big around a matching phrase is content (e.g. a cookie *policy* section).
WIDGET_MAX_WORDS = 150


def is_invisible(element: HtmlElement) -> bool:
    tag = element.tag
    if not isinstance(tag, str) or tag in INVISIBLE_TAGS:
        return True
    names = element.keys()  # as in `Skipper`: most elements have neither attribute, and one look tells
    if not names or _HIDING_ATTRIBUTES.isdisjoint(names):
        return False
    if "hidden" in names:
        return True
    style = element.get("style")
    return bool(style and _HIDDEN_STYLE.search(style))


class Skipper:
    """Decides, element by element during the walk, what is not part of the document's text.

    `furniture`: whether page furniture (boilerplate and widgets) is left out. It is, until `name_region` says
    the page's rules named a region narrower than the page."""

    def __init__(
        self, removed: Iterable[HtmlElement], widgets: Iterable[HtmlElement] = (), *, furniture: bool = True
    ) -> None:
        self.removed = set(removed)
        self.widgets = set(widgets)
        self.furniture = furniture

    def name_region(self, roots: Iterable[HtmlElement]) -> None:
        """The page's `select` named `roots` as the document: what they hold is kept whole (furniture included),
        unless one of them is the page itself (`body`, `html`)."""
        self.furniture = any(root.tag in PAGE_TAGS for root in roots)

    def __call__(self, element: HtmlElement) -> bool:
        # is_invisible, the removed elements and the furniture rules in one, reading the attributes once: called for every
        # element of every page.
        tag = element.tag
        if not isinstance(tag, str) or tag in INVISIBLE_TAGS:
            return True
        if self.removed and element in self.removed:
            return True
        furniture = self.furniture
        if furniture and (tag in BOILERPLATE_TAGS or (self.widgets and element in self.widgets)):
            return True
        if (
            furniture
            and tag in SECTION_HEADER_TAGS
            and not any(a.tag in SECTIONING for a in element.iterancestors())
        ):
            return True
        # Most elements have none of the attributes the rules read (a class at most): one look at the names
        # settles them, for less than reading the attributes.
        names = element.keys()
        if not names or _SKIP_ATTRIBUTES.isdisjoint(names):
            return False
        if "hidden" in names:
            return True
        style = element.get("style")
        if style and _HIDDEN_STYLE.search(style):
            return True
        if not furniture:
            return False
        role = element.get("role")
        if role is not None and role in BOILERPLATE_ROLES:
            return True
        return element.get("aria-hidden") == "true" and _words(element) < ARIA_HIDDEN_MAX_WORDS


def find_widgets(page: HtmlElement, html: str) -> list[HtmlElement]:
    """Feedback prompts ("Was this helpful? Yes No"), cookie banners and skip links: the smallest sensible
    container."""
    found: list[HtmlElement] = []
    if _FEEDBACK_IN_HTML.search(html):
        for text in _SHORT_TEXTS(page):
            if _FEEDBACK_PROMPT.match(" ".join(text.split())):
                owner = text.getparent()
                if text.is_tail:
                    owner = owner.getparent()
                if owner is not None:
                    found.append(_widget_container(owner))
    if _SKIP_LINK_IN_HTML.search(html):
        found.extend(a for a in _IN_PAGE_LINKS(page) if _SKIP_LINK.match(" ".join(a.text_content().split())))
    if "onetrust-consent-sdk" in html or _COOKIE_BANNER_IN_HTML.search(html):
        found.extend(e for e in page.xpath(_COOKIE_BANNER_XPATH) if _words(e) <= WIDGET_MAX_WORDS)
    return found


def _widget_container(element: HtmlElement) -> HtmlElement:
    """Climb from the prompt while the container still holds only the widget (prompt, buttons, thanks)."""
    best = element
    for ancestor in element.iterancestors():
        if ancestor.tag in ("body", "html") or _words(ancestor) > 12:
            break
        best = ancestor
    return best


def _words(element: HtmlElement) -> int:
    return len(element.text_content().split())
