"""Private pages stay private: a page fetched with a `cookies_file` shows what a logged-in person sees, so its
text goes into neither the report site nor the Atom feed, unless the config says `[report] include_private`."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from service_support import document_text, make_config, record_check, utc

from monitor.cli.main import State, main
from monitor.config.loading import Config
from monitor.notify.feed import write_feed
from monitor.report.build import build_site
from monitor.store.core import Store

SECRET = "Erika Mustermann"  # the signed-in person, as the objection form greets her
PAGES = {
    "policy": ("https://public.example/privacy", "We may share your information with partners."),
    "objection": (
        "https://private.example/objection",
        f"Signed in as {SECRET}. Your objection applies here.",
    ),
}


@pytest.fixture
def store(tmp_path: Path) -> Store:
    """Each page checked twice, its wording changed in between (so each has a change, two versions)."""
    store = Store(tmp_path / "store")
    for page, (url, text) in PAGES.items():
        record_check(store, page, utc("2026-03-01 06:00"), text=document_text("# Privacy", text), url=url)
        changed = text.replace("applies here", "applies to every account").replace("may", "will")
        record_check(store, page, utc("2026-03-02 06:00"), text=document_text("# Privacy", changed), url=url)
    return store


def config(**report: bool) -> Config:
    pages = [
        {"id": "policy", "url": PAGES["policy"][0], "title": "Privacy Policy"},
        {
            "id": "objection",
            "url": PAGES["objection"][0],
            "title": "Objection",
            "cookies_file": "cookies.txt",
        },
    ]
    return make_config(pages, report=report) if report else make_config(pages)


def site_text(site: Path) -> dict[str, str]:
    return {
        path.relative_to(site).as_posix(): path.read_text(encoding="utf-8") for path in site.rglob("*.*ml")
    }


def test_a_private_pages_text_is_in_neither_the_report_site_nor_the_feed(
    store: Store, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    built = build_site(store, config(), site)
    assert built.pages == 1 and built.changes == 1
    files = site_text(site)
    assert "pages/policy.html" in files and "pages/objection.html" not in files
    assert [name for name, text in files.items() if SECRET in text or "objection" in name] == []
    assert "Objection" not in files["index.html"]
    feed = tmp_path / "feed.atom"
    assert write_feed(store, config(), feed) == 1
    assert SECRET not in feed.read_text(encoding="utf-8")


def test_with_include_private_the_private_page_is_published(store: Store, tmp_path: Path) -> None:
    site = tmp_path / "site"
    assert build_site(store, config(include_private=True), site).pages == 2
    files = site_text(site)
    assert "pages/objection.html" in files
    assert any(SECRET in text for name, text in files.items() if name.startswith("versions/objection/"))
    assert SECRET in files["feed.xml"]
    feed = tmp_path / "feed.atom"
    assert write_feed(store, config(include_private=True), feed) == 2
    assert SECRET in feed.read_text(encoding="utf-8")


def test_a_page_made_private_again_is_removed_from_the_site(store: Store, tmp_path: Path) -> None:
    site = tmp_path / "site"
    build_site(store, config(include_private=True), site)
    build_site(store, config(include_private=False), site)
    files = site_text(site)
    assert [name for name, text in files.items() if SECRET in text or "objection" in name] == []
    assert (site / "pages" / "policy.html").exists()


def test_the_include_private_key_is_strict() -> None:
    from monitor.config.loading import parse_config
    from monitor.errors import ConfigError

    with pytest.raises(ConfigError) as caught:
        parse_config({"report": {"include_private": "yes"}})
    assert (
        str(caught.value)
        == "config.toml: report.include_private: input should be a valid boolean (got str 'yes')"
    )


def test_asking_the_report_for_a_private_page_is_one_line_and_exit_2(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        f'[store]\npath = "store"\n\n[[pages]]\nid = "objection"\nurl = "{PAGES["objection"][0]}"\n'
        'cookies_file = "cookies.txt"\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        main, ["-c", str(path), "report", "--out", str(tmp_path / "site"), "objection"], obj=State()
    )
    assert result.exit_code == 2
    assert result.output == (
        "Error: objection: a private page (fetched with cookies_file) stays out of the report; "
        "set [report] include_private = true in the config to publish it\n"
    )
    assert not (tmp_path / "site").exists()
