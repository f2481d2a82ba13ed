"""Trusted time for the run's records: after the checks are recorded, each record still without a time-stamp
token (new versions' check records, objection records) is sent, as its sha256, to the configured RFC 3161 TSA.

Never inside a check's transaction and never before it: a TSA that is down or silent costs the run one request
(TSA_TIMEOUT at most), never a check, and the records wait for the next run. A token is checked against the
TSA's CA certificates and the hash it must cover before it is stored, so a wrong answer is never kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from monitor.store.timestamps import Timestamps, token_problem

if TYPE_CHECKING:
    from monitor.config.delivery import EvidenceConfig
    from monitor.pipeline.capture import Context

TSA_TIMEOUT = 10.0  # seconds for one request, connect and answer
PER_RUN = 50  # tokens asked for in one run: an import's thousands of versions are stamped over several runs


@dataclass(frozen=True, slots=True)
class StampReport:
    stamped: int
    waiting: bool  # records are left for a later run
    error: str | None = None  # why the TSA gave no token this run (one line naming the URL or file)


class TsaError(Exception):
    """A TSA that gave no usable token: down, silent, refusing, or answering what does not check."""


def stamp_pending(ctx: Context) -> StampReport | None:
    """Ask the configured TSA for the tokens still missing; None when no TSA is configured. The first failure
    ends the run's stamping (a TSA that is down would fail the others too)."""
    evidence = ctx.config.evidence
    if evidence.tsa_url is None:
        return None
    try:
        ca_pem = _read_ca(ctx, evidence)
    except TsaError as error:
        return StampReport(0, True, str(error))
    timestamps = Timestamps(ctx.store)
    pending = timestamps.unstamped(PER_RUN + 1)
    stamped = 0
    for record in pending[:PER_RUN]:
        try:
            token, time = request_token(evidence.tsa_url, record.record.encode("utf-8"), ca_pem)
        except TsaError as error:
            return StampReport(stamped, True, str(error))
        if not stamped:
            timestamps.remember_ca(ca_pem.decode("utf-8"))
        timestamps.add(record.kind, record.ref, record.sha256, token, time)
        stamped += 1
    return StampReport(stamped, len(pending) > PER_RUN)


def request_token(url: str, data: bytes, ca_pem: bytes) -> tuple[bytes, str]:
    """The TSA's response over sha256(`data`), checked, and the time it states (ISO 8601 UTC)."""
    import requests
    from rfc3161_client import HashAlgorithm, TimestampRequestBuilder, decode_timestamp_response

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


def _read_ca(ctx: Context, evidence: EvidenceConfig) -> bytes:
    path: Path = ctx.loaded.resolve(evidence.tsa_ca_file or "")
    try:
        return path.read_bytes()
    except OSError as error:
        raise TsaError(f"{path}: cannot read the TSA's CA certificates ({error.strerror}); "
                       "set [evidence] tsa_ca_file to a PEM file") from None  # fmt: skip
