"""Private pages stay private: a page fetched with a `cookies_file` shows what a logged-in person sees, so its
text goes into neither the report site nor the Atom feed, unless the config says `[report] include_private`;
and since the site has no page for its changes then, no alert or digest mail links one."""

from __future__ import annotations

import email.message
from pathlib import Path

import pytest
from click.testing import CliRunner
from pytest_httpserver import HTTPServer
from service_support import (
    FakeClock,
    Inbox,
    document_text,
    email_section,
    loaded,
    make_config,
    record_check,
    smtp_server,
    utc,
)

from monitor.cli.main import State, main
from monitor.config.loading import Config
from monitor.notify.digest_mail import DigestMailer
from monitor.notify.feed import write_feed
from monitor.notify.message import render_alerts
from monitor.pipeline.check import CheckResult, Context, check_page
from monitor.pipeline.deliver import deliver_run
from monitor.present.links import change_file, change_name
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


# --- mails link only what the site publishes -------------------------------------------------------------------

SITE = "https://example.org/privacy-monitor"
CLAUSE = "Your objection applies to the account you are signed in to."
REWORDED = "Your objection applies to every account in your Accounts Center."


def served_page(body: str) -> str:
    return f"<!DOCTYPE html><html><head><title>Privacy</title></head><body><main><h1>Privacy</h1><p>{body}</p></main></body></html>"


@pytest.fixture
def mailed(
    httpserver: HTTPServer, tmp_path: Path
) -> tuple[dict[str, email.message.EmailMessage], CheckResults]:
    """A public and a private page (fetched with a cookies file), each with a clause watch, checked through
    the real pipeline on loopback before and after a rewording; the alerts and the next morning's digest go
    through a real SMTP server. Returns the mails by page (and "digest") and each page's second check."""
    (tmp_path / "cookies.txt").write_text(
        "# Netscape HTTP Cookie File\n127.0.0.1\tFALSE\t/\tFALSE\t0\tsession\tsigned-in\n", encoding="utf-8"
    )
    quality = {"min_words": 0, "collapse_ratio": 0.01}
    pages = [
        {"id": "policy", "url": httpserver.url_for("/policy"), "title": "Privacy Policy", **quality},
        {"id": "objection", "url": httpserver.url_for("/objection"), "title": "Objection",
         "cookies_file": "cookies.txt", **quality},
    ]  # fmt: skip
    watches = [
        {"id": f"scope-{page['id']}", "pages": [page["id"]], "kind": "clause", "text": CLAUSE}
        for page in pages
    ]

    def serve(clause: str) -> None:
        httpserver.clear()
        for page in ("policy", "objection"):
            greeting = f"Signed in as {SECRET}. " if page == "objection" else ""
            httpserver.expect_request(f"/{page}").respond_with_data(
                served_page(greeting + clause), content_type="text/html; charset=utf-8"
            )

    inbox = Inbox()
    with smtp_server(inbox) as port:
        config = make_config(
            pages,
            watches=watches,
            fetch={"retries": 0, "timeout": 10},
            notify=email_section(port),
            digest={"time": "08:00", "timezone": "UTC"},
            report={"base_url": f"{SITE}/"},
        )
        store = Store(tmp_path / "store")
        clock = FakeClock(utc("2026-03-01 06:00"))
        ctx = Context(loaded(config, tmp_path), store, clock=clock)
        serve(CLAUSE)
        assert [str(check_page(ctx, page).record.outcome) for page in config.pages] == ["new", "new"]
        serve(REWORDED)
        clock.set(utc("2026-03-02 10:00"))
        results = {page.id: check_page(ctx, page) for page in config.pages}
        deliver_run(ctx, list(results.values()))
        clock.set(utc("2026-03-03 08:00:30"))
        assert DigestMailer(loaded(config, tmp_path), store, clock).run(clock()) == ["2026-03-03T08:00:00Z"]
    alerts, (digest,) = inbox.messages[:-1], inbox.messages[-1:]
    mails = {str(mail["X-Privacy-Monitor-Page"]): mail for mail in alerts}
    assert sorted(mails) == ["objection", "policy"]
    return {**mails, "digest": digest}, results


CheckResults = dict[str, CheckResult]


def body(mail: email.message.EmailMessage, kind: str) -> str:
    part = mail.get_body((kind,))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


def change_page(result: CheckResult) -> str:
    record = result.record
    assert record.previous and record.version
    return f"{SITE}/{change_file(record.page, record.previous, record.version)}"


def test_an_alert_on_a_private_page_links_no_change_page_the_site_does_not_have(
    mailed: tuple[dict[str, email.message.EmailMessage], CheckResults],
) -> None:
    mails, results = mailed
    public, private = mails["policy"], mails["objection"]
    assert f"Full comparison: {change_page(results['policy'])}" in body(public, "plain")
    assert f'<a href="{change_page(results["policy"])}"' in body(public, "html")
    # The private page's change page is never written (include_private = false): its mail links nothing there.
    for kind in ("plain", "html"):
        assert SITE not in body(private, kind)
    assert "Full comparison" not in body(private, "plain")
    assert "Open the full comparison" not in body(private, "html")
    # The alert itself is all there: the reworded clause, its old and new wording.
    assert "The wording you watch changed." in body(private, "plain")


def test_with_include_private_an_alert_on_a_private_page_links_its_published_change_page(
    mailed: tuple[dict[str, email.message.EmailMessage], CheckResults],
) -> None:
    _, results = mailed
    private = results["objection"]
    page = config(include_private=True).page("objection")
    shown = render_alerts(private.alerts, page, base_url=SITE, include_private=True)
    assert f"Full comparison: {change_page(private)}" in shown.text
    hidden = render_alerts(private.alerts, page, base_url=SITE)
    assert SITE not in hidden.text and SITE not in hidden.html


def test_the_digest_links_the_public_change_page_and_attaches_the_private_one(
    mailed: tuple[dict[str, email.message.EmailMessage], CheckResults],
) -> None:
    mails, results = mailed
    text, html = body(mails["digest"], "plain"), body(mails["digest"], "html")
    assert f"Full comparison: {change_page(results['policy'])}" in text
    assert f'<a href="{change_page(results["policy"])}"' in html
    private = results["objection"].record
    assert private.previous and private.version
    name = change_name("objection", private.previous, private.version)
    assert f"Full comparison: attached ({name})" in text
    assert change_page(results["objection"]) not in text + html
    attached = [part.get_filename() for part in mails["digest"].iter_attachments()]
    assert name in attached
