"""The shape of `config.toml`: strict pydantic models (unknown keys and wrong types are errors).

Loading the file and turning validation errors into one-line messages is `monitor.config.loading`'s job.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC
from difflib import get_close_matches
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from monitor.config.triggers import schedule_from_text
from monitor.durations import check_seconds, parse_duration
from monitor.errors import UsageError
from monitor.models import SAFE_ID
from monitor.registry import FETCHERS, WATCH_KINDS, Registry

DEFAULT_CONFIG = "config.toml"
DEFAULT_USER_AGENT = "privacy-monitor/0.1 (+https://github.com/privacy-monitor/privacy-monitor)"


def _check_id(value: str) -> str:
    if not SAFE_ID.match(value):
        raise ValueError(f"{value!r} is not a safe id (lowercase letters, digits, '.', '_', '-')")
    return value


def _check_kind(registry: Registry, value: str) -> str:
    try:
        registry.get(value)
    except UsageError as error:
        raise ValueError(str(error)) from None
    return value


def _check_http_url(value: str) -> str:
    if not re.match(r"https?://[^/\s]+", value):
        raise ValueError(f"{value!r} is not an http(s) URL")
    return value


START_KEYS = ("start_before", "start_after")
END_KEYS = ("end_before", "end_after")


def range_problem(rule: Mapping[str, object]) -> str | None:
    """Why `rule` is not a range (exactly one start and one end key, nothing else), or None."""
    unknown = [key for key in rule if key not in START_KEYS + END_KEYS]
    if unknown:
        return f"unknown key {unknown[0]!r} in a range (write start_before or start_after, end_before or end_after)"
    if sum(key in rule for key in START_KEYS) != 1 or sum(key in rule for key in END_KEYS) != 1:
        return "a range needs one of start_before/start_after and one of end_before/end_after"
    return None


def _check_rules(value: list[str | dict[str, str]]) -> list[str | dict[str, str]]:
    from cssselect import GenericTranslator, SelectorError

    for rule in value:
        if isinstance(rule, dict):
            if (problem := range_problem(rule)) is not None:
                raise ValueError(problem)
            selectors = list(rule.values())
        else:
            selectors = [rule]
        for selector in selectors:
            try:
                GenericTranslator().css_to_xpath(selector)
            except SelectorError as error:
                raise ValueError(f"not a CSS selector: {selector!r} ({error})") from None
    return value


def _check_renderer(value: str) -> str:
    if value not in FETCHERS:
        *first, last = [repr(name) for name in FETCHERS.in_order()]
        raise ValueError(f"input should be {', '.join(first)} or {last} (got str {value!r})")
    return value


def _check_duration(value: str) -> str:
    parse_duration(value)
    return value


def _check_schedule(value: str) -> str:
    """'every 6h' or a five-field cron expression ('0 */6 * * *'), parsed by the trigger the service builds
    from it, so that `config check` rejects every schedule the service would (the time zone does not change
    whether a schedule parses or fires, so UTC stands in for the digest's)."""
    schedule_from_text(value, UTC)
    return value.strip()


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class StoreConfig(Strict):
    path: str = "snapshots"


class FetchConfig(Strict):
    timeout: float = Field(30, gt=0)
    retries: int = Field(3, ge=0, le=10)
    backoff: float = Field(1.0, ge=0)  # first retry delay in seconds, doubled each time
    max_bytes: int = Field(20_000_000, gt=0)
    max_redirects: int = Field(10, ge=0, le=30)
    user_agent: str = DEFAULT_USER_AGENT
    browser_executable: str | None = None  # default: /usr/bin/chromium when present, else Playwright's own
    browser_timeout: float = Field(60, gt=0)
    concurrency: int = Field(4, ge=1)  # pages a manual `check` runs at once, across hosts
    per_host_concurrency: int = Field(1, ge=1)
    per_host_min_gap: float = Field(2.0, ge=0)  # seconds between two requests to one host

    _durations = field_validator("timeout", "backoff", "browser_timeout", "per_host_min_gap")(
        classmethod(lambda cls, v: check_seconds(v))
    )


class QualityConfig(Strict):
    """When a 200 answer is not the document (see `walls.py`)."""

    min_words: int = Field(30, ge=0)  # fewer visible words: an empty or JavaScript-only page
    collapse_ratio: float = Field(0.5, gt=0, le=1)  # new text shorter than this share of the last good one
    min_coverage: float = Field(0.995, ge=0, le=1)  # extraction coverage below this is reported


class WallConfig(Strict):
    """A user-defined recognizer: a page whose visible text matches `pattern` is a failed check."""

    reason: str
    pattern: str  # regular expression, case-insensitive, searched in the visible text
    max_words: int | None = Field(None, ge=1)  # only pages shorter than this (walls are short)

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as error:
            raise ValueError(f"not a regular expression: {error}") from None
        return value


class DeclarationRef(Strict):
    """Where a page's rules come from: a terms type of a service in an Open Terms Archive declarations folder."""

    path: (
        str  # a checkout of a declarations repository, or its `declarations/` folder (relative to the config)
    )
    service: str  # the file name without `.json`: "Meta AI"
    terms: str  # "Terms of Service"

    def describe(self) -> str:
        return f"{self.path}: {self.service} / {self.terms}"


class PageConfig(Strict):
    id: str
    url: str
    declaration: DeclarationRef | None = None
    title: str | None = None
    document: str | None = None  # groups the language versions of one document
    renderer: str = "http"  # a name in monitor.registry.FETCHERS: http | browser | auto
    locale: str | None = None
    # The platform the page belongs to (`facebook`, `instagram`): `objections add --platform` takes these names.
    platform: str | None = None
    accept_language: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    cookies_file: str | None = None
    # CSS selectors and ranges ({ start_before | start_after = CSS, end_before | end_after = CSS }), one or a list.
    select: list[str | dict[str, str]] = Field(default_factory=list)
    remove: list[str | dict[str, str]] = Field(default_factory=list)
    schedule: str | None = None  # default: [service] default_schedule
    min_words: int | None = Field(None, ge=0)
    collapse_ratio: float | None = Field(None, gt=0, le=1)

    # Why the page's declaration cannot be followed (set when the config is loaded), or None.
    _declaration_problem: str | None = PrivateAttr(None)

    @property
    def declaration_problem(self) -> str | None:
        return self._declaration_problem

    @property
    def private(self) -> bool:
        """Fetched with a logged-in session: its text may hold a person's data (kept out of the report)."""
        return self.cookies_file is not None

    _safe_id = field_validator("id")(classmethod(lambda cls, value: _check_id(value)))

    @field_validator("platform")
    @classmethod
    def _platform(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", value):
            raise ValueError(
                f"{value!r} is not a platform name (lowercase letters, digits, '-', '_': 'facebook')"
            )
        return value

    _known_renderer = field_validator("renderer")(classmethod(lambda cls, value: _check_renderer(value)))

    _http_url = field_validator("url")(classmethod(lambda cls, value: _check_http_url(value)))

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, value: str | None) -> str | None:
        return None if value is None else _check_schedule(value)

    @field_validator("select", "remove", mode="before")
    @classmethod
    def _one_or_list(cls, value: Any) -> Any:
        return [value] if isinstance(value, str | dict) else value

    @field_validator("select", "remove")
    @classmethod
    def _selectors(cls, value: list[str | dict[str, str]]) -> list[str | dict[str, str]]:
        return _check_rules(value)


class WatchConfig(Strict):
    id: str
    pages: list[str] = Field(min_length=1)
    kind: str  # a name in monitor.registry.WATCH_KINDS: clause | term | section
    text: str | None = None  # clause: the passage; term: the word or phrase; section: the heading
    regex: bool = False  # term/section: `text` is a regular expression
    severity: Literal["high", "medium", "low"] = "medium"
    threshold: float | None = Field(None, gt=0, le=100)  # clause: fuzzy match score below which it is gone
    cosmetic: Literal["ignore", "note"] = "ignore"  # clause: what a cosmetic-only edit of the clause gives

    _safe_id = field_validator("id")(classmethod(lambda cls, value: _check_id(value)))

    @model_validator(mode="after")
    def _text_fits_kind(self) -> WatchConfig:
        _check_kind(WATCH_KINDS, self.kind)
        if self.kind in ("clause", "term", "section") and not (self.text or "").strip():
            raise ValueError(f"kind {self.kind!r} needs `text` (the wording to follow)")
        if self.regex and self.text:
            try:
                re.compile(self.text)
            except re.error as error:
                raise ValueError(f"`text` is not a regular expression: {error}") from None
        return self


class EmailConfig(Strict):
    host: str
    port: int = Field(587, ge=1, le=65535)
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str | None = None
    password_env: str | None = None  # name of the environment variable holding the password
    password_file: str | None = None  # a file holding only the password (relative to the config file)
    sender: str = Field(alias="from")
    to: list[str] = Field(min_length=1)
    timeout: float = Field(30, gt=0)
    ca_file: str | None = None  # PEM file of CA certificates to trust instead of the system store

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=True)


class AppriseConfig(Strict):
    urls: list[str] = Field(default_factory=list)
    urls_env: str | None = None  # environment variable with space-separated Apprise URLs (they carry tokens)
    urls_file: str | None = None  # file with one Apprise URL per line


class NotifyConfig(Strict):
    email: EmailConfig | None = None
    apprise: AppriseConfig | None = None
    min_severity: Literal["high", "medium", "low"] = "low"  # immediate alerts below it go to the digest only
    retry_backoff: str = "5m"  # first retry of a failed send; doubled each time
    max_attempts: int = Field(20, ge=1)

    _duration = field_validator("retry_backoff")(classmethod(lambda cls, v: _check_duration(v)))


class DigestConfig(Strict):
    enabled: bool = True
    time: str = "08:00"  # local time of day in `timezone`
    timezone: str = "UTC"
    to: list[str] = Field(default_factory=list)  # default: [notify.email] to
    send_when_quiet: bool = True
    grace: str = "12h"  # a digest missed while the service was down is still sent this long after its time

    @field_validator("time")
    @classmethod
    def _hhmm(cls, value: str) -> str:
        if not re.match(r"([01]\d|2[0-3]):[0-5]\d\Z", value):
            raise ValueError(f"{value!r} is not a time of day (write HH:MM, e.g. '08:00')")
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (write e.g. 'Europe/Berlin' or 'UTC')") from None
        return value

    _duration = field_validator("grace")(classmethod(lambda cls, v: _check_duration(v)))


class ReportConfig(Strict):
    # Where the report site is published (the mails link to its change pages,
    # `<base_url>/changes/<page>-<old>-<new>.html`, besides attaching the full comparison); an http(s) URL.
    base_url: str | None = None
    # Where the service keeps the static report site (a folder; relative to the config file); none: no site.
    out: str | None = None
    # Pages fetched with a `cookies_file` (a logged-in person's view) go into the site and the feed only then.
    include_private: bool = False

    _http_base = field_validator("base_url")(
        classmethod(lambda cls, value: None if value is None else _check_http_url(value))
    )


class ServiceConfig(Strict):
    default_schedule: str = "every 6h"
    jitter: str = "5m"  # random delay added to each run, to spread many pages
    failing_after: str = "1d"  # `status` exits non-zero when a page has failed for longer than this
    feed: str | None = "feed.atom"  # Atom feed written after each change (relative to the store); "" = none

    _schedule = field_validator("default_schedule")(classmethod(lambda cls, v: _check_schedule(v)))
    _durations = field_validator("jitter", "failing_after")(classmethod(lambda cls, v: _check_duration(v)))


class EvidenceConfig(Strict):
    # An RFC 3161 time-stamping authority (http(s) URL): every new version's check record, every objection
    # record and every export gets a token from it over the record's sha256, asked after the run's checks.
    tsa_url: str | None = None
    # Its CA certificates (a PEM file; relative to the config file): tokens must chain to them.
    tsa_ca_file: str | None = None

    _http_tsa = field_validator("tsa_url")(
        classmethod(lambda cls, value: None if value is None else _check_http_url(value))
    )

    @model_validator(mode="after")
    def _both(self) -> EvidenceConfig:
        if self.tsa_url is not None and self.tsa_ca_file is None:
            raise ValueError("tsa_url needs tsa_ca_file (the TSA's CA certificates, PEM) to check its tokens")
        return self


class Config(Strict):
    store: StoreConfig = StoreConfig()
    fetch: FetchConfig = FetchConfig()
    quality: QualityConfig = QualityConfig()
    walls: list[WallConfig] = Field(default_factory=list)
    pages: list[PageConfig] = Field(default_factory=list)
    watches: list[WatchConfig] = Field(default_factory=list)
    notify: NotifyConfig = NotifyConfig()
    digest: DigestConfig = DigestConfig()
    service: ServiceConfig = ServiceConfig()
    report: ReportConfig = ReportConfig()
    evidence: EvidenceConfig = EvidenceConfig()

    def check_references(self) -> None:
        seen: set[str] = set()
        for index, page in enumerate(self.pages):
            if page.id in seen:
                raise _Located(
                    ("pages", index, "id"), f"duplicate page id {page.id!r}", "each page needs its own id"
                )
            seen.add(page.id)
        watch_ids: set[str] = set()
        for index, watch in enumerate(self.watches):
            if watch.id in watch_ids:
                raise _Located(
                    ("watches", index, "id"),
                    f"duplicate watch id {watch.id!r}",
                    "each watch needs its own id",
                )
            watch_ids.add(watch.id)
            for page_id in watch.pages:
                if page_id not in seen:
                    close = get_close_matches(page_id, seen, n=1)
                    hint = f"did you mean {close[0]!r}?" if close else "name a page id from [[pages]]"
                    raise _Located(("watches", index, "pages"), f"unknown page {page_id!r}", hint)

    def published_pages(self) -> list[PageConfig]:
        """The pages the report site and the feed show: private ones only with `[report] include_private`."""
        return [page for page in self.pages if self.report.include_private or not page.private]

    def page(self, page_id: str) -> PageConfig:
        for page in self.pages:
            if page.id == page_id:
                return page

        close = get_close_matches(page_id, [p.id for p in self.pages], n=1)
        hint = (
            f"did you mean {close[0]!r}?" if close else "see `privacy-monitor pages` for the configured ids"
        )
        raise UsageError(f"unknown page {page_id!r} ({hint})")


class _Located(ValueError):
    """A cross-field error that knows its key (pydantic only knows the model's)."""

    def __init__(self, loc: tuple[str | int, ...], message: str, hint: str) -> None:
        super().__init__(message)
        self.loc = loc
        self.message = message
        self.hint = hint
