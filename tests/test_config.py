"""Strict config: every mistake is one line naming the file, the key and a hint."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from monitor.config.loading import LoadedConfig, load_config, parse_config, parse_duration
from monitor.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
PAGE = '[[pages]]\nid = "a"\nurl = "https://example.org/"\n'

BAD_CONFIGS = [
    (
        '[report]\nbase_url = "report.example.org"',
        "config.toml: report.base_url: 'report.example.org' is not an http(s) URL",
    ),
    (
        PAGE + 'selectt = ["#root"]',
        "config.toml: pages[0] (id 'a').selectt: unknown key (hint: did you mean 'select'?)",
    ),
    (
        PAGE + 'renderer = "chrome"',
        "config.toml: pages[0] (id 'a').renderer: input should be 'http', 'browser' or 'auto' (got str 'chrome')",
    ),
    (
        PAGE + PAGE,
        "config.toml: pages[1] (id 'a').id: duplicate page id 'a' (hint: each page needs its own id)",
    ),
    (
        '[fetch]\ntimeout = "soon"',
        "config.toml: fetch.timeout: input should be a valid number (got str 'soon')",
    ),
    ("[fetch]\nretries = 2.5", "config.toml: fetch.retries: input should be a valid integer (got float 2.5)"),
    (
        '[[pages]]\nid = "Bad Id"\nurl = "https://x/"',
        "config.toml: pages[0] (id 'Bad Id').id: 'Bad Id' is not a safe id",
    ),
    (
        '[[pages]]\nid = "a"\nurl = "ftp://x/"',
        "config.toml: pages[0] (id 'a').url: 'ftp://x/' is not an http(s) URL",
    ),
    ('[[pages]]\nid = "a"', "config.toml: pages[0] (id 'a').url: required key is missing (hint: add it)"),
    (PAGE + 'select = ["div[["]', "config.toml: pages[0] (id 'a').select: not a CSS selector: 'div[['"),
    (PAGE + 'schedule = "hourly"', "config.toml: pages[0] (id 'a').schedule: not a schedule: 'hourly'"),
    (
        PAGE + 'schedule = "a b c d e"',
        "config.toml: pages[0] (id 'a').schedule: 'a b c d e' is not a valid cron expression (",
    ),
    (
        PAGE + 'schedule = "0 0 31 2 *"',
        "config.toml: pages[0] (id 'a').schedule: '0 0 31 2 *' never fires "
        "(no such date: check the day of month and the month)",
    ),
    (
        PAGE + 'schedule = "61 * * * *"',
        "config.toml: pages[0] (id 'a').schedule: '61 * * * *' is not a valid cron expression (",
    ),
    (
        PAGE + 'schedule = "0 8 * * 9"',
        "config.toml: pages[0] (id 'a').schedule: '0 8 * * 9' is not a valid cron expression "
        "(day of week '9' is out of range 0-7)",
    ),
    (
        PAGE + 'schedule = "every 0s"',
        "config.toml: pages[0] (id 'a').schedule: 'every 0s' is not a positive interval",
    ),
    (
        '[service]\ndefault_schedule = "0 0 30 2 *"',
        "config.toml: service.default_schedule: '0 0 30 2 *' never fires",
    ),
    (
        '[service]\ndefault_schedule = "every fortnight"',
        "config.toml: service.default_schedule: not a duration: 'fortnight'",
    ),
    (
        PAGE + '[[watches]]\nid = "w"\npages = ["b"]\nkind = "clause"\ntext = "x"',
        "config.toml: watches[0] (id 'w').pages: unknown page 'b' (hint: name a page id from [[pages]])",
    ),
    ('[digest]\ntimezone = "Mars/Olympus"', "config.toml: digest.timezone: unknown time zone 'Mars/Olympus'"),
    (
        '[digest]\ntime = "8am"',
        "config.toml: digest.time: '8am' is not a time of day (write HH:MM, e.g. '08:00')",
    ),
    ('[service]\njitter = "5 parsecs"', "config.toml: service.jitter: not a duration: '5 parsecs'"),
    ("[stor]\npath = 'x'", "config.toml: stor: unknown key (hint: did you mean 'store'?)"),
    (
        '[notify.email]\nhost = "h"\nfrom = "a@b"\nto = ["c@d"]\npassword = "hunter2"',
        "config.toml: notify.email.password: unknown key (hint: did you mean 'password_env'?)",
    ),
]


@pytest.mark.parametrize(("toml", "message"), BAD_CONFIGS)
def test_bad_config_is_one_line_naming_file_key_and_hint(toml: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(tomllib.loads(toml))
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


def test_several_problems_are_counted_on_the_one_line() -> None:
    with pytest.raises(ConfigError, match=r"\(and 1 more problem\)$"):
        parse_config(tomllib.loads('[fetch]\ntimeout = "x"\nretries = "y"'))


def test_file_errors_name_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(ConfigError, match=r"nope.toml: no such config file"):
        load_config(missing)
    broken = tmp_path / "broken.toml"
    broken.write_text("[pages\n")
    with pytest.raises(ConfigError) as caught:
        load_config(broken)
    assert str(caught.value) == (
        f"{broken}: line 1: not valid TOML: expected ']' at the end of a table declaration"
    )


TOML_SYNTAX = [
    pytest.param(
        '[fetch]\nretries = 1\n\n[[pages]]\nid = "a"\nselect = ["#root",\n  "main"\nurl = "https://x.example/"\n',
        "line 8: not valid TOML: unclosed array (it began on line 6)",
        id="unclosed array, found at the next key",
    ),
    pytest.param(
        '[[pages]]\nid = "a"\nremove = [\n  "img",  # a ] in a comment\n  "nav]",\n',
        "line 5 (the end of the file): not valid TOML: invalid value: unclosed array (it began on line 3)",
        id="unclosed array at the end of the file; brackets in strings and comments do not count",
    ),
    pytest.param(
        '[fetch]\nheaders = { "X-A" = "1"\n',
        "line 2: not valid TOML: unclosed inline table (it began on line 2)",
        id="unclosed inline table",
    ),
    pytest.param(
        "[fetch]\ntimeout = 30\ntimeout = 31\n",
        "line 3: not valid TOML: cannot overwrite a value",
        id="duplicate key: just the line",
    ),
    pytest.param(
        '[service]\ndefault_schedule = "every 6h\n',
        "line 2: not valid TOML: illegal character '\\n'",
        id="unclosed string",
    ),
]


@pytest.mark.parametrize(("text", "message"), TOML_SYNTAX)
def test_a_toml_syntax_error_names_the_file_and_the_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == f"{path}: {message}"


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        ("a b c d e", "pages[0] (id 'a').schedule: 'a b c d e' is not a valid cron expression ("),
        ("0 0 31 2 *", "pages[0] (id 'a').schedule: '0 0 31 2 *' never fires"),
    ],
)
def test_config_check_rejects_a_schedule_the_service_could_not_run(
    tmp_path: Path, schedule: str, message: str
) -> None:
    from click.testing import CliRunner

    from monitor.cli.main import main

    config = tmp_path / "config.toml"
    config.write_text(PAGE + f'schedule = "{schedule}"\n')
    result = CliRunner().invoke(main, ["-c", str(config), "config", "check"])
    assert result.exit_code == 2
    assert f"{config}: {message}" in result.output
    assert "Traceback" not in result.output


def test_every_schedule_the_service_runs_passes_config_check() -> None:
    for schedule in ("every 6h", "every 90m", "0 */6 * * *", "30 7 * * 1-5", "0 0 29 2 *", "0 8 * * sun"):
        parse_config(tomllib.loads(PAGE + f'schedule = "{schedule}"'))


def test_store_path_is_relative_to_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "c.toml").write_text('[store]\npath = "data/store"\n')
    assert load_config(tmp_path / "c.toml").store_path == tmp_path / "data" / "store"


def test_the_shipped_default_config_is_valid() -> None:
    loaded = load_config(ROOT / "config.toml")
    ids = [page.id for page in loaded.config.pages]
    assert "facebook-privacy-policy-en" in ids and "facebook-privacy-policy-de" in ids
    assert all(page.renderer in {"http", "browser", "auto"} for page in loaded.config.pages)


@pytest.mark.parametrize(
    ("text", "seconds"), [("90s", 90), ("30m", 1800), ("6h", 21600), ("2d", 172800), ("1w", 604800)]
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text).total_seconds() == seconds


def test_the_report_base_url_is_where_the_mails_link_to(tmp_path: Path) -> None:
    from monitor.notify.digest_mail import DigestMailer
    from monitor.store.core import Store

    config = parse_config({"report": {"base_url": "https://report.example.org/privacy"}})
    loaded = LoadedConfig(config, None)
    assert DigestMailer(loaded, Store(tmp_path / "store"), lambda: None).base_url == (  # type: ignore[arg-type]
        "https://report.example.org/privacy"
    )
