"""The config's sections on what reaches people: immediate alerts (`[notify]`, its e-mail and Apprise
channels), the daily digest, the report site, and the evidence's trusted time."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from monitor.config.fields import Strict, check_duration, check_http_url


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

    _duration = field_validator("retry_backoff")(classmethod(lambda cls, v: check_duration(v)))

    def channels(self) -> list[str]:
        """The `[notify.<name>]` tables present, each a notifier kind of that name (monitor.registry)."""
        return [name for name in ("email", "apprise") if getattr(self, name) is not None]


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

    _duration = field_validator("grace")(classmethod(lambda cls, v: check_duration(v)))


class ReportConfig(Strict):
    # Where the report site is published (the mails link to its change pages,
    # `<base_url>/changes/<page>-<old>-<new>.html`, besides attaching the full comparison); an http(s) URL.
    base_url: str | None = None
    # Where the service keeps the static report site (a folder; relative to the config file); none: no site.
    out: str | None = None
    # Pages fetched with a `cookies_file` (a logged-in person's view) go into the site and the feed only then.
    include_private: bool = False

    _http_base = field_validator("base_url")(
        classmethod(lambda cls, value: None if value is None else check_http_url(value))
    )


class EvidenceConfig(Strict):
    # An RFC 3161 time-stamping authority (http(s) URL): every new version's check record, every objection
    # record and every export gets a token from it over the record's sha256, asked after the run's checks.
    tsa_url: str | None = None
    # Its CA certificates (a PEM file; relative to the config file): tokens must chain to them.
    tsa_ca_file: str | None = None

    _http_tsa = field_validator("tsa_url")(
        classmethod(lambda cls, value: None if value is None else check_http_url(value))
    )

    @model_validator(mode="after")
    def _both(self) -> EvidenceConfig:
        if self.tsa_url is not None and self.tsa_ca_file is None:
            raise ValueError("tsa_url needs tsa_ca_file (the TSA's CA certificates, PEM) to check its tokens")
        return self
