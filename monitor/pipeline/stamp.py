"""Trusted time for the run's records: after the checks are recorded, each record still without a time-stamp
token (new versions' check records, objection records, exports the TSA did not answer) is sent, as its sha256,
to the configured RFC 3161 TSA; `export` asks for its bundle's token itself (`stamp_export`).

Never inside a check's transaction and never before it: a TSA that is down or silent costs the run one request
(TSA_TIMEOUT at most), never a check, and the records wait for a run RETRY_AFTER later or more (the service
runs after every check). A run whose checks recorded no version looks for nothing (`store.timestamps.work`). A token is checked against the
TSA's CA certificates and the hash it must cover before it is stored, so a wrong answer is never kept.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from monitor.store.timestamps import EXPORT, token_problem

if TYPE_CHECKING:
    from monitor.config.loading import LoadedConfig
    from monitor.pipeline.capture import Context
    from monitor.store.core import Store

TSA_TIMEOUT = 10.0  # seconds for one request, connect and answer
RETRY_AFTER = timedelta(minutes=5)  # a TSA that failed is not asked again sooner (a down TSA costs no check)
LOOK_AGAIN = timedelta(hours=1)  # a long-running service looks for records other processes added this often
PER_RUN = 50  # tokens asked for in one run: an import's thousands of versions are stamped over several runs


@dataclass(frozen=True, slots=True)
class StampReport:
    stamped: int
    waiting: bool  # records are left for a later run
    error: str | None = None  # why the TSA gave no token this run (one line naming the URL or file)


@dataclass(frozen=True, slots=True)
class ExportStamp:
    """The token over an export's manifest: the TSA's response and its CA certificates (PEM), or why none yet."""

    token: bytes | None
    ca_pem: str | None
    error: str | None = None  # the TSA gave none now: the manifest waits for a later run


class TsaError(Exception):
    """A TSA that gave no usable token: down, silent, refusing, or answering what does not check."""


def stamp_export(store: Store, loaded: LoadedConfig, manifest: str, now: str) -> ExportStamp | None:
    """The token over sha256(`manifest`): the one stored (an export of the same bundle made before), else asked
    of the configured TSA now (TSA_TIMEOUT at most); a TSA that gives none keeps the manifest for a later run.
    None when no TSA is configured and none is stored."""
    stored = store.timestamps.token_for(hashlib.sha256(manifest.encode("utf-8")).hexdigest())
    if stored is not None:
        return ExportStamp(stored[0], stored[1])
    evidence = loaded.config.evidence
    if evidence.tsa_url is None:
        return None
    timestamps = store.timestamps
    try:
        ca_pem = read_ca(loaded)
        token, time = request_token(evidence.tsa_url, manifest.encode("utf-8"), ca_pem)
    except TsaError as error:
        timestamps.wait_for_export(manifest, now)
        store.timestamps.work.waiting = True  # the run after this one asks for it
        return ExportStamp(None, None, str(error))
    sha256 = hashlib.sha256(manifest.encode("utf-8")).hexdigest()
    timestamps.remember_ca(ca_pem.decode("utf-8"))
    timestamps.add(EXPORT, sha256, sha256, token, time)
    return ExportStamp(token, ca_pem.decode("utf-8"))


def stamp_pending(ctx: Context) -> StampReport | None:
    """Ask the configured TSA for the tokens still missing; None when no TSA is configured. Only when records
    may wait (`store.timestamps.work`: none is looked for after a check that recorded no version) and the TSA has
    not failed within RETRY_AFTER; the CA file is read only when a record waits. The first failure ends the
    run's stamping (a TSA that is down would fail the others too) and holds the next try back."""
    evidence = ctx.config.evidence
    if evidence.tsa_url is None:
        return None
    work = ctx.store.timestamps.work
    now = ctx.clock()
    if work.looked is not None and now - work.looked >= LOOK_AGAIN:
        work.waiting = (
            True  # what another process recorded (an objection, an export) is found within the hour
        )
    if not work.waiting or (work.not_before is not None and now < work.not_before):
        return StampReport(0, work.waiting)
    work.waiting, work.looked = False, now  # before the query: a version recorded meanwhile sets it again
    timestamps = ctx.store.timestamps
    pending = timestamps.unstamped(PER_RUN + 1)
    if not pending:
        return StampReport(0, False)
    stamped = 0
    try:
        ca_pem = read_ca(ctx.loaded)
        for record in pending[:PER_RUN]:
            token, time = request_token(evidence.tsa_url, record.record.encode("utf-8"), ca_pem)
            if not stamped:
                timestamps.remember_ca(ca_pem.decode("utf-8"))
            timestamps.add(record.kind, record.ref, record.sha256, token, time)
            stamped += 1
    except TsaError as error:
        work.waiting, work.not_before = True, now + RETRY_AFTER
        return StampReport(stamped, True, str(error))
    work.not_before = None
    if len(pending) > PER_RUN:
        work.waiting = True
    return StampReport(stamped, len(pending) > PER_RUN)


def request_token(url: str, data: bytes, ca_pem: bytes) -> tuple[bytes, str]:
    """The TSA's response over sha256(`data`), checked, and the time it states (ISO 8601 UTC)."""
    from rfc3161_client import HashAlgorithm, TimestampRequestBuilder, decode_timestamp_response

    from monitor.fetch.requests_lib import requests  # as the fetch stage imports it: chardet out of sight

    query = TimestampRequestBuilder().data(data).hash_algorithm(HashAlgorithm.SHA256).build()
    try:
        answer = requests.post(
            url,
            data=query.as_bytes(),
            headers={"Content-Type": "application/timestamp-query"},
            timeout=TSA_TIMEOUT,
        )
    except requests.RequestException as error:
        raise TsaError(f"{url}: the time-stamping authority did not answer ({type(error).__name__}); "
                       "the records are stamped at a later run") from None  # fmt: skip
    if answer.status_code != 200:
        raise TsaError(f"{url}: the time-stamping authority answered HTTP {answer.status_code}; "
                       "the records are stamped at a later run")  # fmt: skip
    token = answer.content
    problem = token_problem(token, query.message_imprint.message.hex(), ca_pem)
    if problem is None and decode_timestamp_response(token).tst_info.nonce != query.nonce:
        problem = "its nonce is not the request's (a replayed answer)"
    if problem is not None:
        raise TsaError(f"{url}: the time-stamping authority's answer is not a valid token: {problem}; "
                       "check [evidence] tsa_url and tsa_ca_file")  # fmt: skip
    when = decode_timestamp_response(token).tst_info.gen_time
    return token, when.strftime("%Y-%m-%dT%H:%M:%SZ")


def read_ca(loaded: LoadedConfig) -> bytes:
    """The configured TSA's CA certificates (PEM), read from `[evidence] tsa_ca_file`."""
    path: Path = loaded.resolve(loaded.config.evidence.tsa_ca_file or "")
    try:
        return path.read_bytes()
    except OSError as error:
        raise TsaError(f"{path}: cannot read the TSA's CA certificates ({error.strerror}); "
                       "set [evidence] tsa_ca_file to a PEM file") from None  # fmt: skip
