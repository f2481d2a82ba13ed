"""Text from outside is made safe at the edge that writes it.

- XML and HTML (the feed, the report site): a character XML forbids becomes U+FFFD, so one page's stray
  control character never stops the feed or the site, for that page or any other.
- Mail headers: the config refuses control characters in every string (titles, addresses, names), and the
  mail builder folds any that still come (a store or config from before) into a space.
- The terminal: every control character a server or a page sends is shown as an escape (`\\x1b`), never
  written raw; only the CLI's own colour codes are kept.
- Durations: none over ten years, in any key.
"""

from __future__ import annotations

import email
import email.policy
import json
import tomllib
from pathlib import Path
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner
from pytest_httpserver import HTTPServer
from service_support import FakeClock, document_text, make_config, record_check, utc
from smtp_support import Inbox, smtp_server
from test_notify_email import ALERT, NOW

from monitor.cli.main import State, main
from monitor.cli.output import terminal_safe
from monitor.config.loading import EmailConfig, PageConfig, parse_config
from monitor.durations import parse_duration
from monitor.errors import ConfigError
from monitor.notify.email import EmailNotifier
from monitor.notify.feed import write_feed
from monitor.notify.message import render_alerts
from monitor.report.build import build_site
from monitor.templating import environment

ATOM = "{http://www.w3.org/2005/Atom}"
# What XML forbids (C0 controls, U+FFFE, U+FFFF) and what HTML calls parse errors (DEL, C1 controls).
FORBIDDEN = "\x01\x08\x1b\ufffe\uffff\x7f\x9b"
BEFORE = document_text("# Privacy", "We may share your information with partners.")
BAD = document_text("# Privacy", f"We will share your information{FORBIDDEN} with partners.")
REPLACED = "\ufffd" * len(FORBIDDEN)  # each one U+FFFD
GOOD = document_text("# Privacy", "We will share your information with partners.")
PAGE_TOML = '[[pages]]\nid = "a"\nurl = "https://example.org/"\n'
ONE_LINE_HINT = "(hint: write it on one line, without control characters)"


# -- XML and HTML: the feed and the report site ---------------------------------------------------------------


@pytest.fixture
def stores(tmp_path: Path) -> tuple[object, object]:
    """A store where page `bad` changed to a text holding characters XML forbids, and `good` changed too."""
    from monitor.store.core import Store

    store = Store(tmp_path / "store")
    for page, new in (("bad", BAD), ("good", GOOD)):
        url = f"https://{page}.example/privacy"
        record_check(store, page, utc("2026-03-01 06:00"), text=BEFORE, url=url)
        record_check(store, page, utc("2026-03-02 06:00"), text=new, url=url)
    config = make_config(
        [
            {"id": page, "url": f"https://{page}.example/privacy", "title": page.title()}
            for page in ("bad", "good")
        ]
    )
    return store, config


def test_a_page_text_with_characters_xml_forbids_still_gives_the_whole_feed(
    stores: tuple, tmp_path: Path
) -> None:
    store, config = stores
    out = tmp_path / "feed.atom"
    assert write_feed(store, config, out) == 2
    root = ElementTree.parse(out).getroot()  # well-formed XML
    contents = {
        e.findtext(f"{ATOM}title"): e.findtext(f"{ATOM}content") or "" for e in root.iter(f"{ATOM}entry")
    }
    assert set(contents) == {"Bad changed: 1 substantive change", "Good changed: 1 substantive change"}
    assert f"information<ins>{REPLACED}</ins>" in contents["Bad changed: 1 substantive change"]
    assert not set(FORBIDDEN) & set(out.read_text(encoding="utf-8"))


def test_a_page_text_with_characters_xml_forbids_still_gives_the_whole_report_site(
    stores: tuple, tmp_path: Path
) -> None:
    store, config = stores
    site = tmp_path / "site"
    built = build_site(store, config, site)
    assert built.pages == 2 and built.changes == 2
    ElementTree.parse(site / "feed.xml")
    pages = {
        path.relative_to(site).as_posix(): path.read_text(encoding="utf-8") for path in site.rglob("*.html")
    }
    assert "pages/bad.html" in pages and "pages/good.html" in pages
    assert not [name for name, html in pages.items() if set(FORBIDDEN) & set(html)]
    [latest] = [html for name, html in pages.items() if name.startswith("versions/bad/0002-")]
    assert f"We will share your information{REPLACED} with partners." in latest


def test_every_value_an_html_template_writes_is_xml_safe_markup_included() -> None:
    template = environment().from_string("<p>{{ text }}|{{ text | breaks }}</p>")
    assert template.render(text="a\x00b\ud800c\n\nd") == "<p>a\ufffdb\ufffdc\n\nd|a\ufffdb\ufffdc¶<br>d</p>"


# -- mail headers: refused by the config, folded by the mail builder ------------------------------------------


@pytest.mark.parametrize(
    ("toml", "key", "code"),
    [
        (PAGE_TOML + 'title = "Meta\\r\\nBcc: someone@example.net"', "pages[0] (id 'a').title", "000D"),
        (PAGE_TOML + 'title = "Meta\\u0085Policy"', "pages[0] (id 'a').title", "0085"),
        (PAGE_TOML + 'document = "meta\\u2028privacy"', "pages[0] (id 'a').document", "2028"),
        (PAGE_TOML + 'headers = { "X-A" = "1\\r\\nX-B: 2" }', "pages[0] (id 'a').headers.X-A", "000D"),
        ('[notify.email]\nhost = "h"\nfrom = "a@b\\n"\nto = ["c@d"]', "notify.email.from", "000A"),
        (
            '[notify.email]\nhost = "h"\nfrom = "a@b"\nto = ["c@d", "e@f\\u001b"]',
            "notify.email.to[1]",
            "001B",
        ),
        ('[digest]\nto = ["c@d\\t"]', "digest.to[0]", "0009"),
        ('[fetch]\nuser_agent = "bot\\u009b"', "fetch.user_agent", "009B"),
        (
            PAGE_TOML + '[[watches]]\nid = "w"\npages = ["a"]\nkind = "clause"\ntext = "one\\rtwo"',
            "watches[0] (id 'w').text",
            "000D",
        ),
    ],
)
def test_the_config_refuses_control_characters_in_one_line(toml: str, key: str, code: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(tomllib.loads(toml))
    assert str(caught.value) == f"config.toml: {key}: control character U+{code} in the text {ONE_LINE_HINT}"


def test_a_watched_clause_may_still_run_over_lines() -> None:
    text = 'text = """Der Widerspruch wird\nauf das Konto angewendet."""'
    parse_config(tomllib.loads(PAGE_TOML + f'[[watches]]\nid = "w"\npages = ["a"]\nkind = "clause"\n{text}'))


def test_config_check_names_the_file_and_the_key_of_a_title_with_a_line_break(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(PAGE_TOML + 'title = "Meta\\nBcc: someone@example.net"\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["-c", str(config), "config", "check"])
    assert result.exit_code == 2
    assert result.output == (
        f"Error: {config}: pages[0] (id 'a').title: control character U+000A in the text {ONE_LINE_HINT}\n"
    )


def test_a_title_with_a_line_break_from_before_still_sends_one_clean_mail(tmp_path: Path) -> None:
    # A config the checks above refuse cannot be loaded: a page model built without them stands for one from
    # before them (or any other source of a title the mail builder is handed).
    page = PageConfig.model_construct(
        id=ALERT.page,
        url="https://www.facebook.com/privacy/genai/",
        title="KI bei Meta\r\nBcc: x@example.net",
    )
    inbox = Inbox()
    with smtp_server(inbox) as port:
        settings = EmailConfig.model_validate(
            {
                "host": "127.0.0.1",
                "port": port,
                "security": "none",
                "from": "m@example.org",
                "to": ["r@example.org"],
            }
        )
        assert EmailNotifier(settings, base_dir=tmp_path, pages=[page]).send(ALERT, now=NOW) == {}
    [message] = inbox.messages
    assert inbox.envelopes == [("m@example.org", ["r@example.org"])]
    assert message["Bcc"] is None
    assert str(message["Subject"]) == (
        "[privacy-monitor] KI bei Meta Bcc: x@example.net: accounts-center-scope changed (high)"
    )
    assert render_alerts([ALERT], page).subject == str(message["Subject"])  # Apprise's title is the same


def test_every_header_of_the_digest_mail_is_one_line() -> None:
    from monitor.notify.digest import Digest
    from monitor.notify.digest_render import compose

    digest = Digest(utc("2026-03-01 08:00"), utc("2026-03-02 08:00"), "UTC", 1, 0, 0, [], [], [], [], [])
    message = compose(digest, sender="m@example.org\r\nBcc: x@example.net", to=["r@example.org"],
                      message_id="<d@example.org>", now=NOW)  # fmt: skip
    sent = bytes(message)
    assert b"\nBcc:" not in sent and b"From: m@example.org Bcc: x@example.net\n" in sent
    assert email.message_from_bytes(sent, policy=email.policy.default)["Bcc"] is None


# -- the terminal ---------------------------------------------------------------------------------------------

POLICY = "<html><body><main><h1>Privacy</h1><p>{}</p><p>{}</p></main></body></html>"
MORE = (
    "This notice explains what we collect, why we collect it, whom we share it with and how you can object."
)
WORDS = "We use your information to improve our products and we keep it for as long as we need it."


@pytest.fixture
def hostile(tmp_path: Path, httpserver: HTTPServer) -> Path:
    httpserver.expect_request("/ctype").respond_with_data(
        POLICY.format(WORDS, MORE), headers={"Content-Type": "application/x\x1bc"}
    )
    config = tmp_path / "config.toml"
    config.write_text(
        f"""
[fetch]
retries = 0
timeout = 5
per_host_min_gap = 0

[digest]
timezone = "UTC"

[[pages]]
id = "ctype"
url = "{httpserver.url_for("/ctype")}"
select = ["main"]

[[pages]]
id = "csi"
url = "{httpserver.url_for("/csi")}"
select = ["main"]

[[watches]]
id = "keep"
pages = ["csi"]
kind = "clause"
text = "We keep it for as long as we need it."
""",
        encoding="utf-8",
    )
    return config


def run(config: Path, clock: FakeClock, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["-c", str(config), *args], obj=State(clock=clock))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def test_a_servers_escape_sequence_is_shown_escaped_in_every_command(
    hostile: Path, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/csi").respond_with_data(POLICY.format(WORDS, MORE), content_type="text/html")
    clock = FakeClock(utc("2026-03-05 09:30"))
    reason = "not HTML: application/x\\x1bc"
    assert run(hostile, clock, "check", "ctype") == (3, f"ctype  failed     {reason}\n")
    clock.advance(hours=1)
    code, status = run(hostile, clock, "status")
    assert f"ctype: failing since 2026-03-05 09:30 UTC: {reason}\n" in status
    assert run(hostile, clock, "history", "ctype", "--checks") == (
        0,
        f"2026-03-05 09:30 UTC  failed     -             {reason}\n",
    )
    code, digest = run(hostile, clock, "digest", "--print")
    assert code == 0 and reason in digest
    for output in (status, digest):
        assert "\x1b" not in output


def test_a_c1_control_in_page_text_is_shown_escaped(hostile: Path, httpserver: HTTPServer) -> None:
    clock = FakeClock(utc("2026-03-05 09:30"))
    httpserver.expect_request("/csi").respond_with_data(POLICY.format(WORDS, MORE), content_type="text/html")
    assert run(hostile, clock, "check", "csi")[0] == 0
    httpserver.clear()
    hostile_words = WORDS.replace("keep it", "keep it \u009b2J")
    httpserver.expect_request("/csi").respond_with_data(
        POLICY.format(hostile_words, MORE), content_type="text/html"
    )
    clock.advance(hours=1)
    assert run(hostile, clock, "check", "csi")[0] == 0
    code, diff = run(hostile, clock, "diff", "csi")
    assert code == 1 and "keep it {+\\x9b2J +}for" in diff and "\x9b" not in diff
    code, watches = run(hostile, clock, "watches")
    assert "we keep it \\x9b2J for as long as we need it.\n" in watches and "\x9b" not in watches
    code, as_json = run(hostile, clock, "watches", "--json")
    assert "\x9b" not in as_json and "\\u009b" in as_json
    assert json.loads(as_json)["watches"][0]["wording"].endswith(
        "we keep it \u009b2J for as long as we need it."
    )
    code, diff_json = run(hostile, clock, "diff", "csi", "--format", "json")
    assert "\x9b" not in diff_json and "\u009b2J" in json.dumps(json.loads(diff_json), ensure_ascii=False)


def test_the_terminal_edge_keeps_only_the_clis_own_colour_codes() -> None:
    painted = "\x1b[31mfailed\x1b[0m  not HTML: application/x\x1bc \x9b2J \udc80\r"
    assert (
        terminal_safe(painted, colour=True)
        == "\x1b[31mfailed\x1b[0m  not HTML: application/x\\x1bc \\x9b2J \\udc80\\x0d"
    )
    assert (
        terminal_safe(painted)
        == "\\x1b[31mfailed\\x1b[0m  not HTML: application/x\\x1bc \\x9b2J \\udc80\\x0d"
    )
    assert terminal_safe("line one\n\tline two") == "line one\n\tline two"


# -- durations ------------------------------------------------------------------------------------------------


def test_durations_over_ten_years_are_refused() -> None:
    assert parse_duration("3650d").days == 3650
    with pytest.raises(ValueError, match=r"^'99999999999d' is longer than ten years"):
        parse_duration("99999999999d")


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        (
            PAGE_TOML + 'schedule = "every 99999999999d"',
            "pages[0] (id 'a').schedule: '99999999999d' is longer than ten years (write at most ten years, "
            "e.g. '3650d')",
        ),
        ('[service]\nfailing_after = "600w"', "service.failing_after: '600w' is longer than ten years"),
        ('[notify]\nretry_backoff = "1e9s"', "notify.retry_backoff: not a duration: '1e9s'"),
        (
            '[notify]\nretry_backoff = "400000000s"',
            "notify.retry_backoff: '400000000s' is longer than ten years",
        ),
        ('[digest]\ngrace = "5000d"', "digest.grace: '5000d' is longer than ten years"),
        ("[fetch]\nbackoff = 1e12", "fetch.backoff: 1000000000000.0 seconds is longer than ten years"),
        ("[fetch]\ntimeout = inf", "fetch.timeout: inf seconds is longer than ten years"),
    ],
)
def test_a_duration_key_over_ten_years_is_one_line(toml: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(tomllib.loads(toml))
    assert str(caught.value).startswith(f"config.toml: {message}")
    assert "\n" not in str(caught.value)


def test_config_check_refuses_a_schedule_over_ten_years(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(PAGE_TOML + 'schedule = "every 99999999999d"\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["-c", str(config), "config", "check"])
    assert result.exit_code == 2
    assert result.output == (
        f"Error: {config}: pages[0] (id 'a').schedule: '99999999999d' is longer than ten years "
        "(write at most ten years, e.g. '3650d')\n"
    )
