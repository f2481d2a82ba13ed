"""The report site at its edges: what an earlier build published and a later one must take back, what a build
for one page links to, and a change that happens twice.

Every store is filled by real `check` runs against pages served on loopback, the site is written by the real
`report` command (or the service's `update_report`), and the written files are read back: every link of every
page and of the feed must open a file of the site, and nothing of a private page may stay once it is no longer
published."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from cli_support import run_cli, store_of
from report_support import Loopback, loopback
from service_support import FakeClock, utc

from monitor.config.loading import load_config
from monitor.report.build import update_report

SECRET = "Logged in as Jane Secretperson, account 99887766."
ATOM = "{http://www.w3.org/2005/Atom}"
BASE_URL = "https://example.org/pm"


def policy(title: str, changed: str = "", extra: str = "") -> bytes:
    """A policy page of twelve paragraphs; `changed` rewrites the fourth, `extra` adds one after the sixth."""
    paragraphs = [
        f"Paragraph {i}: We collect information about you when you use our services, including data you "
        "provide, content you create and how you interact with others, to personalize features."
        for i in range(12)
    ]
    if changed:
        paragraphs[3] = changed
    body = "".join(f"<p>{p}</p>" for p in paragraphs[:6]) + (f"<p>{extra}</p>" if extra else "")
    body += "".join(f"<p>{p}</p>" for p in paragraphs[6:])
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head><body><main>"
        f"<h1>{title}</h1>{body}</main></body></html>"
    ).encode()


SHARING = "Paragraph 3: We now share your data with third parties for AI training, unless you object."
RETENTION = "Paragraph 3: We delete your data after ninety days, unless the law requires a longer retention."


def write_config(root: Path, server: Loopback, pages: dict[str, bool], extra: str = "") -> Path:
    """config.toml for `pages` (id -> private: fetched with a cookies file) served at /<id>; `extra`: more TOML."""
    (root / "cookies.txt").write_text(
        "# Netscape HTTP Cookie File\n127.0.0.1\tFALSE\t/\tFALSE\t0\tsid\tabc\n"
    )
    tables = ['[store]\npath = "store"\n', "[fetch]\nretries = 0\ntimeout = 5\nper_host_min_gap = 0\n"]
    for page_id, private in pages.items():
        table = (
            f'[[pages]]\nid = "{page_id}"\ntitle = "{page_id} policy"\nurl = "{server.url("/" + page_id)}"\n'
        )
        tables.append(table + 'select = ["main"]\n' + ('cookies_file = "cookies.txt"\n' if private else ""))
    config = root / "config.toml"
    config.write_text("\n".join(tables) + extra, encoding="utf-8")
    return config


def check(config: Path, clock: FakeClock, when: str, *pages: str) -> None:
    clock.set(utc(when))
    code, output = run_cli(config, clock, "check", *pages)
    assert code == 0, output


def report(config: Path, clock: FakeClock, site: Path, *pages: str) -> None:
    code, output = run_cli(config, clock, "report", "--out", str(site), *pages)
    assert code == 0, output


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.links += [value or "" for name, value in attrs if name in ("href", "src")]


def feed_links(site: Path) -> list[tuple[str, str]]:
    """The feed's entries as (published, link), oldest first."""
    root = ET.parse(site / "feed.xml").getroot()
    entries = [
        (entry.findtext(f"{ATOM}published") or "", entry.find(f"{ATOM}link").get("href") or "")  # type: ignore[union-attr]
        for entry in root.iter(f"{ATOM}entry")
    ]
    return sorted(entries)


def broken_links(site: Path) -> list[str]:
    """Every internal link of the site's pages and feed that opens no file of the site."""
    found: list[tuple[Path, str]] = []
    for page in sorted(site.rglob("*.html")):
        parser = Links()
        parser.feed(page.read_text(encoding="utf-8"))
        found += [(page, link) for link in parser.links]
    found += [(site / "feed.xml", link) for _, link in feed_links(site)]
    broken = []
    for page, link in found:
        parts = urlsplit(link)
        if parts.scheme or not parts.path:
            continue
        if not (page.parent / unquote(parts.path)).resolve().is_file():
            broken.append(f"{page.relative_to(site)} -> {link}")
    return broken


def site_files(site: Path) -> Iterator[tuple[str, str]]:
    for path in sorted(site.rglob("*")):
        if path.is_file() and path.name != ".lock":
            yield path.relative_to(site).as_posix(), path.read_text(encoding="utf-8")


# -- 1. a private page's history leaves the site with it -------------------------------------------------

PRIVATE_WATCHES = f"""
[[watches]]
id = "w-both"
pages = ["pub", "priv"]
kind = "term"
text = "third parties"

[[watches]]
id = "w-priv"
pages = ["priv"]
kind = "clause"
text = "{SECRET}"
"""


@pytest.mark.parametrize("asked", [(), ("pub",)], ids=["whole-site", "one-page"])
def test_switching_include_private_off_takes_the_private_pages_watch_history_off_the_site(
    tmp_path: Path, asked: tuple[str, ...]
) -> None:
    clock, site = FakeClock(utc("2026-03-01 06:00")), tmp_path / "site"
    with loopback() as server:
        server.routes["/pub"] = (200, policy("Public"))
        server.routes["/priv"] = (200, policy("Private", extra=SECRET))
        pages = {"pub": False, "priv": True}
        config = write_config(tmp_path, server, pages, "[report]\ninclude_private = true\n" + PRIVATE_WATCHES)
        check(config, clock, "2026-03-01 06:00")
        server.routes["/pub"] = (200, policy("Public", SHARING))
        server.routes["/priv"] = (200, policy("Private", SHARING, extra=SECRET))
        check(config, clock, "2026-03-02 06:00")
    report(config, clock, site)
    assert "99887766" in (site / "watches" / "w-priv.html").read_text(encoding="utf-8")  # it was published

    write_config(tmp_path, server, pages, "[report]\ninclude_private = false\n" + PRIVATE_WATCHES)
    report(config, clock, site, *asked)

    assert [name for name, text in site_files(site) if "99887766" in text or "Secretperson" in text] == []
    assert [name for name, text in site_files(site) if "priv" in name.replace("w-both", "")] == []
    assert "priv policy" not in (site / "watches" / "w-both.html").read_text(encoding="utf-8")
    assert "w-priv" not in (site / "index.html").read_text(encoding="utf-8")
    assert broken_links(site) == []


# -- 2. a build for one page links only to files that exist ---------------------------------------------


def test_a_build_for_one_page_writes_what_the_index_and_feed_link_of_the_other_pages(tmp_path: Path) -> None:
    clock, site = FakeClock(utc("2026-03-01 06:00")), tmp_path / "site"
    with loopback() as server:
        server.routes["/a"] = (200, policy("A"))
        server.routes["/b"] = (200, policy("B"))
        config = write_config(tmp_path, server, {"a": False, "b": False})
        check(config, clock, "2026-03-01 06:00")
        report(config, clock, site)
        server.routes["/b"] = (200, policy("B", SHARING))  # b changes, checked by hand: no site update
        check(config, clock, "2026-03-02 06:00", "b")
        report(config, clock, site, "a")
    feed = [link for _, link in feed_links(site)]
    assert len(feed) == 1 and feed[0].startswith("changes/b-")
    assert broken_links(site) == []


def test_the_services_update_for_one_page_writes_what_it_links_of_the_other_pages(tmp_path: Path) -> None:
    clock, site = FakeClock(utc("2026-03-01 06:00")), tmp_path / "site"
    with loopback() as server:
        server.routes["/a"] = (200, policy("A"))
        server.routes["/b"] = (200, policy("B"))
        config = write_config(tmp_path, server, {"a": False, "b": False}, f'[report]\nout = "{site}"\n')
        check(config, clock, "2026-03-01 06:00")
        report(config, clock, site)
        server.routes["/b"] = (200, policy("B", SHARING))
        check(config, clock, "2026-03-02 06:00", "b")  # a manual check: the site is not updated
        server.routes["/a"] = (200, policy("A", RETENTION))
        check(config, clock, "2026-03-03 06:00", "a")
    built = update_report(load_config(config), store_of(config), "a")  # as the service does after a change
    assert built is not None
    assert sorted(link.split("-")[0] for _, link in feed_links(site)) == ["changes/a", "changes/b"]
    assert broken_links(site) == []


# -- 3. a change that happens again links its own change page --------------------------------------------


@pytest.mark.parametrize("base_url", [None, BASE_URL])
def test_a_change_that_happens_again_is_linked_to_its_own_change_page(
    tmp_path: Path, base_url: str | None
) -> None:
    clock, site = FakeClock(utc("2026-03-01 06:00")), tmp_path / "site"
    with loopback() as server:
        extra = f'[report]\nbase_url = "{base_url}"\n' if base_url else ""
        config = write_config(tmp_path, server, {"p": False}, extra)
        for day, body in enumerate((policy("P"), policy("P", SHARING), policy("P"), policy("P", SHARING)), 1):
            server.routes["/p"] = (200, body)
            check(config, clock, f"2026-03-0{day} 06:00")
    report(config, clock, site)

    changes = sorted(path.relative_to(site).as_posix() for path in (site / "changes").iterdir())
    assert len(changes) == 3 and len([c for c in changes if c.endswith("-2.html")]) == 1
    entries = feed_links(site)
    prefix = f"{BASE_URL}/" if base_url else ""
    assert all(link.startswith(prefix) for _, link in entries)
    linked = [link.removeprefix(prefix) for _, link in entries]
    assert sorted(linked) == changes  # three changes, three change pages, each linked once
    second = (site / linked[-1]).read_text(encoding="utf-8")
    assert "<h1>p policy: change of 2026-03-04</h1>" in second  # the newest entry opens the newest change
