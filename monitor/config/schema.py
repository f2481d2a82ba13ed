"""The shape of `config.toml`: strict pydantic models (unknown keys and wrong types are errors). The pages,
watches, fetching and service sections are here; what reaches people is `delivery.py`, a page's selector and
range rules `page_rules.py`, the shared checks `fields.py`.

Loading the file and turning validation errors into one-line messages is `monitor.config.loading`'s job.
"""

from __future__ import annotations

import re
from difflib import get_close_matches
from typing import Literal

from pydantic import Field, PrivateAttr, field_validator, model_validator

from monitor.config.delivery import (
    DigestConfig,
    EvidenceConfig,
    NotifyConfig,
    ReportConfig,
)
from monitor.config.fields import (
    Strict,
    check_duration,
    check_header_value,
    check_http_url,
    check_id,
    check_kind,
    check_renderer,
    check_schedule,
)
from monitor.config.page_rules import CombinePart, Part, ReadRules, Rule, check_rules, one_or_list
from monitor.durations import check_seconds
from monitor.errors import UsageError
from monitor.registry import WATCH_KINDS

DEFAULT_USER_AGENT = "privacy-monitor/0.1 (+https://github.com/privacy-monitor/privacy-monitor)"


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
    _header = field_validator("user_agent")(classmethod(lambda cls, value: check_header_value(value)))


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
    select: list[Rule] = Field(default_factory=list)
    remove: list[Rule] = Field(default_factory=list)
    # A document made of several pages, joined in this order; `url` is then the first part's (loading.py).
    combine: list[CombinePart] | None = None
    schedule: str | None = None  # default: [service] default_schedule
    min_words: int | None = Field(None, ge=0)
    collapse_ratio: float | None = Field(None, gt=0, le=1)

    # Why the page's declaration cannot be followed (set when the config is loaded), or None.
    _declaration_problem: str | None = PrivateAttr(None)
    # The keys its declaration gives (not written on the page): read again at each check (declared.py).
    _declared_keys: frozenset[str] = PrivateAttr(frozenset())
    # What a check read of its rules, on the page as that check sees it (declared.page_now).
    _read: ReadRules | None = PrivateAttr(None)

    @property
    def declaration_problem(self) -> str | None:
        return self._declaration_problem

    @property
    def declared_keys(self) -> frozenset[str]:
        return self._declared_keys

    @property
    def read_rules(self) -> ReadRules | None:
        return self._read

    def own_parts(self) -> list[Part]:
        """The parts its own `combine` writes, each under its own rules or the page's shared ones."""
        return [
            Part(
                part.url,
                self.select if part.select is None else part.select,
                self.remove if part.remove is None else part.remove,
            )
            for part in self.combine or []
        ]

    @property
    def private(self) -> bool:
        """Fetched with a logged-in session: its text may hold a person's data (kept out of the report)."""
        return self.cookies_file is not None

    _safe_id = field_validator("id")(classmethod(lambda cls, value: check_id(value)))

    @field_validator("platform")
    @classmethod
    def _platform(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", value):
            raise ValueError(
                f"{value!r} is not a platform name (lowercase letters, digits, '-', '_': 'facebook')"
            )
        return value

    _known_renderer = field_validator("renderer")(classmethod(lambda cls, value: check_renderer(value)))

    _http_url = field_validator("url")(classmethod(lambda cls, value: check_http_url(value)))

    @field_validator("accept_language")
    @classmethod
    def _language(cls, value: str | None) -> str | None:
        return None if value is None else check_header_value(value)

    @field_validator("headers")
    @classmethod
    def _headers(cls, value: dict[str, str]) -> dict[str, str]:
        for name, text in value.items():
            check_header_value(name)
            check_header_value(text)
        return value

    @field_validator("combine")
    @classmethod
    def _parts(cls, value: list[CombinePart] | None) -> list[CombinePart] | None:
        if value == []:
            raise ValueError(
                'no parts (write combine = [{ url = "..." }, ...], one table per page, in order)'
            )
        return value

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, value: str | None) -> str | None:
        return None if value is None else check_schedule(value)

    _lists = field_validator("select", "remove", mode="before")(classmethod(lambda cls, v: one_or_list(v)))

    @field_validator("select", "remove")
    @classmethod
    def _selectors(cls, value: list[Rule]) -> list[Rule]:
        return check_rules(value)


class WatchConfig(Strict):
    id: str
    pages: list[str] = Field(min_length=1)
    kind: str  # a name in monitor.registry.WATCH_KINDS: clause | term | section
    text: str | None = None  # clause: the passage; term: the word or phrase; section: the heading
    regex: bool = False  # term/section: `text` is a regular expression
    severity: Literal["high", "medium", "low"] = "medium"
    threshold: float | None = Field(None, gt=0, le=100)  # clause: fuzzy match score below which it is gone
    cosmetic: Literal["ignore", "note"] = "ignore"  # clause: what a cosmetic-only edit of the clause gives

    _safe_id = field_validator("id")(classmethod(lambda cls, value: check_id(value)))

    @model_validator(mode="after")
    def _text_fits_kind(self) -> WatchConfig:
        check_kind(WATCH_KINDS, self.kind)
        if self.kind in ("clause", "term", "section") and not (self.text or "").strip():
            raise ValueError(f"kind {self.kind!r} needs `text` (the wording to follow)")
        if self.regex and self.text:
            try:
                re.compile(self.text)
            except re.error as error:
                raise ValueError(f"`text` is not a regular expression: {error}") from None
        return self


class ServiceConfig(Strict):
    default_schedule: str = "every 6h"
    jitter: str = "5m"  # random delay added to each run, to spread many pages
    failing_after: str = "1d"  # `status` exits non-zero when a page has failed for longer than this
    feed: str | None = "feed.atom"  # Atom feed written after each change (relative to the store); "" = none

    _schedule = field_validator("default_schedule")(classmethod(lambda cls, v: check_schedule(v)))
    _durations = field_validator("jitter", "failing_after")(classmethod(lambda cls, v: check_duration(v)))


def is_published(page: PageConfig | None, *, include_private: bool) -> bool:
    """Whether the report site and the feed show `page`: a private one only with `[report] include_private`.
    None (a page since removed from the config) counts as published: its pages stay on the site."""
    return page is None or include_private or not page.private


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
        return [
            page for page in self.pages if is_published(page, include_private=self.report.include_private)
        ]

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
