"""`privacy-monitor report`: the static site built from a store the real pipeline filled with real captures.

The printable privacy policy's captures around Meta's update of 16 December 2025 are served on loopback and
checked in turn (a day of 503s between two of them), beside a page whose text holds markup and scripts. The
site is then read back with an HTML parser: every internal link resolves to a file of the site, each page has
one h1, a lang, the CSP and no script or event handler, the timeline has one bar per change, and page text is
always escaped. The service, the mails and the feed are checked to point at the change pages."""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from click.testing import CliRunner
from markupsafe import escape
from report_support import HOSTILE, PAYLOADS, PRINTABLE, fill_store, loopback
from service_support import FakeClock, utc

from monitor.cli.main import State, main
from monitor.models import Outcome
from monitor.present import links
from monitor.report.build import build_site, update_report

pytestmark = pytest.mark.corpus
NOW = utc("2026-01-06 08:00")
CSP = "default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'"


class Parsed(HTMLParser):
    """What the structure checks need of one page: links, elements, attributes, text."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.h1: list[str] = []
        self._in_h1 = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        self.tags.append((tag, values))
        for name in ("href", "src"):
            if name in values:
                self.links.append(values[name])
        self._in_h1 = self._in_h1 or tag == "h1"
        if tag == "h1":
            self.h1.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "h1":
            self._in_h1 = False

    def handle_data(self, data: str) -> None:
        if self._in_h1:
            self.h1[-1] += data

    def all(self, tag: str, cls: str | None = None) -> list[dict[str, str]]:
        return [a for t, a in self.tags if t == tag and (cls is None or cls in a.get("class", "").split())]


def parse(path: Path) -> Parsed:
    parser = Parsed()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


@pytest.fixture(scope="module")
def project(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list]:
    root = tmp_path_factory.mktemp("report")
    with loopback() as server:
        loaded, _, records = fill_store(corpus, root, server)
    return root, records


def run(root: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        main, ["-c", str(root / "config.toml"), *args], obj=State(clock=FakeClock(NOW))
    )
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def site(project: tuple[Path, list]) -> Path:
    root, _ = project
    out = root / "site"
    assert run(root, "report", "--out", str(out)) == (
        0, f"{out}: 2 pages, 2 changes; 12 files written, 0 already current\n"
    )  # fmt: skip
    return out


def html_files(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def test_the_site_has_an_index_a_page_per_page_change_and_version_and_the_feed(site: Path) -> None:
    names = sorted(str(p.relative_to(site)) for p in site.rglob("*") if p.is_file())
    assert [n for n in names if not n.startswith(("changes/", "versions/"))] == [
        ".lock", "feed.xml", "index.html", "manifest.json", "pages/hostile-page.html",
        "pages/meta-privacy-printable.html", "style.css", "watches/products-covered.html",
    ]  # fmt: skip
    assert len([n for n in names if n.startswith("changes/")]) == 2
    assert len([n for n in names if n.startswith("versions/")]) == 4


def test_a_second_run_writes_nothing_and_one_page_can_be_asked_for(
    project: tuple[Path, list], site: Path
) -> None:
    root, _ = project
    assert run(root, "report", "--out", str(site)) == (
        0, f"{site}: 2 pages, 2 changes; 0 files written, 12 already current\n"
    )  # fmt: skip
    assert run(root, "report", "--out", str(site), HOSTILE) == (
        0, f"{site}: 1 page, 1 change; 0 files written, 7 already current\n"
    )  # fmt: skip


def test_bad_arguments_are_one_line_and_exit_2(project: tuple[Path, list], tmp_path: Path) -> None:
    root, _ = project
    assert run(root, "report") == (
        2, f"Error: {root / 'config.toml'}: no report folder: give --out DIR or set [report] out in the config\n"
    )  # fmt: skip
    assert run(root, "report", "--out", str(tmp_path / "x"), "nope") == (
        2, "Error: unknown page 'nope' (see `privacy-monitor pages` for the configured ids)\n"
    )  # fmt: skip
    (tmp_path / "file").write_text("")
    code, output = run(root, "report", "--out", str(tmp_path / "file"))
    assert (code, output.splitlines()[-1]) == (
        2, f"Error: Invalid value for '--out': Directory '{tmp_path / 'file'}' is a file."
    )  # fmt: skip


def test_the_configured_folder_is_relative_to_the_config_file(
    project: tuple[Path, list], tmp_path: Path
) -> None:
    root, _ = project
    config = tmp_path / "config.toml"
    text = (root / "config.toml").read_text(encoding="utf-8")
    config.write_text(text + f'\n[store]\npath = "{root / "snapshots"}"\n\n[report]\nout = "public"\n')
    result = CliRunner().invoke(main, ["-c", str(config), "report"], obj=State(clock=FakeClock(NOW)))
    assert (result.exit_code, result.output) == (
        0, f"{tmp_path / 'public'}: 2 pages, 2 changes; 12 files written, 0 already current\n"
    )  # fmt: skip
    assert (tmp_path / "public" / "index.html").is_file()


def test_every_internal_link_resolves_to_a_file_of_the_site(site: Path) -> None:
    checked = 0
    for page in html_files(site):
        for href in parse(page).links:
            parts = urlsplit(href)
            if parts.scheme in ("http", "https") or (not parts.path and parts.fragment):
                continue
            assert not parts.scheme and not href.startswith("/"), f"{page}: {href} is not relative"
            target = (page.parent / unquote(parts.path)).resolve()
            assert target.is_file() and site.resolve() in target.parents, f"{page}: {href} does not resolve"
            if parts.fragment:
                assert f'id="{parts.fragment}"' in target.read_text(encoding="utf-8"), f"{page}: {href}"
            checked += 1
    assert checked > 30


def test_every_page_has_one_h1_a_lang_the_csp_and_no_script(site: Path) -> None:
    for page in html_files(site):
        parsed = parse(page)
        assert len(parsed.h1) == 1, page
        (html,) = parsed.all("html")
        where = str(page.relative_to(site))
        expected = "de-DE" if HOSTILE in where else "en-GB" if PRINTABLE in where else "en"
        assert html["lang"] == expected, page
        metas = [m for m in parsed.all("meta") if m.get("http-equiv") == "Content-Security-Policy"]
        assert [m["content"] for m in metas] == [CSP], page
        assert any(m.get("name") == "viewport" for m in parsed.all("meta")), page
        assert not parsed.all("script"), page
        handlers = [(tag, name) for tag, attrs in parsed.tags for name in attrs if name.startswith("on")]
        assert handlers == [], page
        assert not [a for _, a in parsed.tags if "style" in a], page  # the CSP would refuse inline style
        for table in parsed.all("thead"):
            assert table is not None
    assert parse(site / "index.html").all("th")


def test_the_timeline_has_one_bar_per_change_each_linking_to_it(site: Path) -> None:
    parsed = parse(site / links.page_file(PRINTABLE))
    bars = parsed.all("rect", "bar")
    changes = sorted(p.name for p in (site / "changes").glob(f"{PRINTABLE}-*.html"))
    assert len(bars) == len(changes) == 1
    svg_links = [a["href"] for a in parsed.all("a") if a.get("href", "").startswith("../changes/")]
    assert sorted(Path(h).name for h in svg_links) >= changes
    assert len(parsed.all("rect", "failed")) == 1  # the day of 503s
    index = parse(site / "index.html")
    assert len(index.all("rect", "bar")) == 2  # one change on each page


def test_page_text_is_escaped_everywhere(site: Path) -> None:
    seen = 0
    for page in [*html_files(site), site / "feed.xml"]:
        text = page.read_text(encoding="utf-8")
        assert "<img src=x" not in text and "<script>" not in text and "<svg onload" not in text, page
        seen += "&lt;img src=x onerror" in text
    assert seen >= 4  # index, the page, its change and versions: all show the text, escaped
    version = next((site / "versions" / HOSTILE).glob("*.html")).read_text(encoding="utf-8")
    for payload in PAYLOADS:
        assert str(escape(payload)) in version


def test_the_change_page_opens_with_its_summary_then_the_outline_and_folded_cosmetic_edits(
    site: Path,
) -> None:
    (december,) = (site / "changes").glob(f"{PRINTABLE}-*.html")
    text = december.read_text(encoding="utf-8")
    assert parse(december).h1 == ["Meta Privacy Policy (printable): change of 2025-12-16"]
    overview = re.search(r'<p class="overview">(.*?)</p>', text)
    assert overview and overview.group(1).startswith("Effective December 16, 2025 · 2 sections added")
    assert text.index('class="overview"') < text.index('class="outline"') < text.index('class="diff"')
    assert "products-covered" in text  # the watched clause the update touched
    assert 'href="../pages/meta-privacy-printable.html"' in text
    assert "first change" in text and "latest change" in text


def test_the_feed_links_each_entry_to_its_change_page(site: Path) -> None:
    tree = ET.parse(site / "feed.xml")
    ns = {"a": "http://www.w3.org/2005/Atom"}
    hrefs = sorted(e.find("a:link", ns).get("href") for e in tree.getroot().findall("a:entry", ns))  # type: ignore[union-attr]
    assert len(hrefs) == 2 and all(h.startswith("changes/") and (site / h).is_file() for h in hrefs)


def test_the_service_brings_the_site_up_to_date_after_a_change(corpus: Path, tmp_path: Path) -> None:
    from monitor.pipeline.check import Context
    from monitor.service.runner import Service

    with loopback() as server:
        loaded, store, _ = fill_store(corpus, tmp_path, server, report={"out": "public"})
        out = tmp_path / "public"
        assert update_report(loaded, store, PRINTABLE) is not None
        before = {p: p.stat().st_mtime_ns for p in out.rglob("*.html")}
        server.routes["/hostile/"] = (
            200,
            b"<html><body><main><p>" + b"A third wording. " * 20 + b"</p></main></body></html>",
        )
        clock = FakeClock(utc("2026-01-10 08:00"))
        ctx = Context(loaded, store, clock=clock, deliver=False)
        try:
            result = Service(ctx, clock).check(loaded.config.page(HOSTILE))
        finally:
            ctx.close()
    assert result is not None and result.record.outcome == Outcome.CHANGED
    changed = sorted(str(p.relative_to(out)) for p, t in before.items() if p.stat().st_mtime_ns != t)
    new = sorted(str(p.relative_to(out)) for p in out.rglob("*.html") if p not in before)
    assert [n.split("/")[0] for n in new] == ["changes", "versions"]
    # the page, the index, the previous change (its "next" link) and the previous version (its end)
    assert [c.split("/")[0] for c in changed] == ["changes", "index.html", "pages", "versions"]
    assert all(HOSTILE in c for c in changed if c != "index.html")


def test_the_service_refreshes_the_site_when_a_page_starts_and_stops_failing(
    corpus: Path, tmp_path: Path
) -> None:
    from monitor.pipeline.check import Context
    from monitor.service.runner import Service

    with loopback() as server:
        loaded, store, _ = fill_store(corpus, tmp_path, server, report={"out": "public"})
        out = tmp_path / "public"
        update_report(loaded, store, PRINTABLE)
        index = out / "index.html"
        page = loaded.config.page(HOSTILE)
        clock = FakeClock(utc("2026-01-10 08:00"))
        ctx = Context(loaded, store, clock=clock, deliver=False)
        try:
            service = Service(ctx, clock)
            stamps, health = [], []
            for status in (503, 503, 200):
                route = server.routes["/hostile/"]
                server.routes["/hostile/"] = (status, route[1])
                stamps.append(index.stat().st_mtime_ns)
                service.check(page)
                health.append("failing since 2026-01-10 08:00 UTC" in index.read_text(encoding="utf-8"))
                clock.advance(hours=6)
            stamps.append(index.stat().st_mtime_ns)
        finally:
            ctx.close()
    first_failure, second_failure, back = (b != a for a, b in zip(stamps, stamps[1:], strict=False))
    assert (first_failure, second_failure, back) == (True, False, True)  # written at each turn, not between
    assert health == [True, True, False]


def test_mails_link_to_the_change_pages_under_the_base_url(project: tuple[Path, list]) -> None:
    from monitor.notify.message import render_alerts
    from monitor.watch.alerts import Alert

    _, records = project
    record = next(r for r in records if r.outcome == Outcome.CHANGED and r.page == PRINTABLE)
    alert = Alert.from_json(record.alerts[0])
    rendered = render_alerts([alert], base_url="https://example.org/pm/")
    url = f"https://example.org/pm/changes/{PRINTABLE}-{record.previous[:12]}-{record.version[:12]}.html"
    assert f"Full comparison: {url}\n" in rendered.text
    assert f'href="{url}"' in rendered.html
    assert "Full comparison" not in render_alerts([alert]).text


def test_the_digest_links_the_same_change_pages(project: tuple[Path, list]) -> None:
    from monitor.config.loading import load_config
    from monitor.notify.digest import build_digest
    from monitor.notify.digest_render import render_html, render_text
    from monitor.store.core import Store

    root, records = project
    loaded = load_config(root / "config.toml")
    store = Store(loaded.store_path)
    digest = build_digest(store, loaded.config, utc("2025-12-16 00:00"), utc("2025-12-17 00:00"))
    (change,) = digest.changes
    url = f"https://example.org/pm/changes/{PRINTABLE}-{change.previous[:12]}-{change.version[:12]}.html"
    assert f"Full comparison: {url}\n" in render_text(digest, base_url="https://example.org/pm")
    assert f'href="{url}"' in render_html(digest, base_url="https://example.org/pm")


def test_a_site_folder_copied_elsewhere_still_works(site: Path, tmp_path: Path) -> None:
    """All links are relative: the folder moved under another path is the same site."""
    copy = tmp_path / "deep" / "sub" / "site"
    shutil.copytree(site, copy)
    for page in html_files(copy):
        for href in parse(page).links:
            parts = urlsplit(href)
            if not parts.scheme and parts.path:
                assert (page.parent / unquote(parts.path)).resolve().is_file()


def test_asking_for_one_page_writes_the_pages_the_site_lacks_too(
    project: tuple[Path, list], tmp_path: Path
) -> None:
    from monitor.config.loading import load_config
    from monitor.store.core import Store

    root, _ = project
    loaded = load_config(root / "config.toml")
    store = Store(loaded.store_path)
    built = build_site(store, loaded.config, tmp_path / "s", [PRINTABLE])
    assert (built.pages, built.changes, built.unchanged, len(built.written)) == (2, 2, 0, 12)
    again = build_site(store, loaded.config, tmp_path / "s", [PRINTABLE])
    assert (again.pages, again.changes, again.written) == (1, 1, [])


def test_the_watch_page_tells_the_wording_through_time(site: Path) -> None:
    page = site / links.watch_file("products-covered")
    parsed = parse(page)
    assert parsed.h1 == ["Watch products-covered: its wording through time"]
    text = page.read_text(encoding="utf-8")
    assert text.count("<li>") == 2  # the wording of December 1, and the one the update brought
    assert "<ins>Messenger </ins>and <del>Messenger</del><ins>AI at Meta </ins>." in text
    assert "alert: changed (high)" in text
    assert 'href="../changes/meta-privacy-printable-' in text


def test_a_site_another_build_is_writing_is_exit_5(
    project: tuple[Path, list], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import threading

    from monitor import fsutil
    from monitor.report import build

    root, _ = project
    monkeypatch.setattr(fsutil, "LOCK_WAIT", 0.0)
    (tmp_path / "busy").mkdir()
    holding, done = threading.Event(), threading.Event()

    def hold() -> None:
        lock = fsutil.WriterLock.for_path(tmp_path / "busy" / build.LOCK)
        lock.acquire()
        holding.set()
        done.wait(10)
        lock.release()

    holder = threading.Thread(target=hold)
    holder.start()
    holding.wait(10)
    try:
        assert run(root, "report", "--out", str(tmp_path / "busy")) == (
            5, f"Error: {tmp_path / 'busy'}: another privacy-monitor process is writing this report site "
            f"(pid {os.getpid()}); run it again when that one is done\n",
        )  # fmt: skip
    finally:
        done.set()
        holder.join()
