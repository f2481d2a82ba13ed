"""Trusted time: RFC 3161 time-stamp tokens over stored records, in the `timestamps` table.

A token covers the sha256 of a record exactly as stored (a new version's check record, an objection record, an
export's manifest), so `openssl ts -verify -digest <record_sha256>` checks it without this program. A check or
objection record gets its row only once its token came back: a record without a row is still to be stamped, and
the next run asks again. An export is no stored record: its manifest (the bundle's SHA256SUMS) is kept in
`exports/<sha256>.sums` and its row waits with no token until a run gets one, so exporting again bundles it.
The stored token is the TSA's whole response (TimeStampResp, DER), which `openssl ts -verify -in` reads.
"""

from __future__ import annotations

import sqlite3
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime

from monitor import fsutil
from monitor.store.area import Area
from monitor.store.chain import record_hash
from monitor.store.state import State

CHECK, OBJECTION, EXPORT = "check", "objection", "export"
EXPORTS = "exports"  # the store's folder of export manifests still waiting for a token (`<sha256>.sums`)

# Records still without a token: new versions' check records, objection records, then exports, oldest first.
UNSTAMPED = """
SELECT 'check', CAST(c.id AS TEXT), c.record FROM checks c
WHERE c.outcome IN ('new', 'changed')
  AND NOT EXISTS (SELECT 1 FROM timestamps t WHERE t.kind = 'check' AND t.ref = CAST(c.id AS TEXT))
UNION ALL
SELECT 'objection', CAST(o.seq AS TEXT), o.record FROM objections o
WHERE NOT EXISTS (SELECT 1 FROM timestamps t WHERE t.kind = 'objection' AND t.ref = CAST(o.seq AS TEXT))
UNION ALL
SELECT 'export', t.ref, NULL FROM timestamps t WHERE t.kind = 'export' AND t.token IS NULL
LIMIT ?
"""

# What each kind's ref names, for `verify`: the record as stored now.
RECORD_SQL = {
    CHECK: "SELECT record FROM checks WHERE id = CAST(? AS INTEGER)",
    OBJECTION: "SELECT record FROM objections WHERE seq = CAST(? AS INTEGER)",
}


@dataclass(frozen=True, slots=True)
class Unstamped:
    kind: str
    ref: str
    record: str  # the record's JSON as stored: the request hashes it, so the token covers record_hash(record)

    @property
    def sha256(self) -> str:
        return record_hash(self.record)


@dataclass(frozen=True, slots=True)
class Token:
    kind: str
    ref: str
    record_sha256: str
    token: bytes
    time: str


@dataclass(slots=True)
class StampWork:
    """What this process knows of the records waiting for a time-stamp token (pipeline/stamp.py asks the TSA),
    so a check that records nothing new never scans history nor contacts the TSA. `waiting` starts true (records,
    objections and exports from before this process may wait) and is set again whenever a check records a
    version; `not_before`: a TSA that failed is not asked again before then; `looked`: when records were last
    looked for (another process, `objections add` or `export`, may add some meanwhile)."""

    waiting: bool = True
    not_before: datetime | None = None
    looked: datetime | None = None


class Timestamps:
    """The time-stamp tokens of a store (`store.timestamps`)."""

    def __init__(self, area: Area, state: State) -> None:
        self._area = area
        self._state = state
        self.work = StampWork()  # what this process knows of the records waiting for a token

    def unstamped(self, limit: int) -> list[Unstamped]:
        """Up to `limit` records still waiting for a token, oldest first (an export whose manifest file is
        gone is left out: there is nothing left to stamp)."""
        found = []
        for kind, ref, data in self._area.query(UNSTAMPED, (limit,)):
            if kind == EXPORT:
                data = None
                with suppress(OSError):
                    data = self._state.path(f"{EXPORTS}/{ref}.sums").read_text(encoding="utf-8")
            if data is not None:
                found.append(Unstamped(str(kind), str(ref), str(data)))
        return found

    def add(self, kind: str, ref: str, record_sha256: str, token: bytes, time: str) -> None:
        """Store a token that came back (once: a record keeps its first token)."""
        self._area.execute(
            "INSERT INTO timestamps (kind, ref, record_sha256, token, time) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (kind, ref) DO UPDATE SET token = excluded.token, time = excluded.time"
            " WHERE timestamps.token IS NULL",
            (kind, ref, record_sha256, token, time),
        )

    def wait_for_export(self, manifest: str, time: str) -> str:
        """Keep an export's manifest to be stamped at a later run (its sha256 is the row's ref); that sha256."""
        sha256 = record_hash(manifest)
        folder = self._state.path(EXPORTS)
        fsutil.ensure_dir(folder)
        path = folder / f"{sha256}.sums"
        if not path.exists():
            fsutil.atomic_write(path, manifest.encode("utf-8"))
        self._area.execute(
            "INSERT OR IGNORE INTO timestamps (kind, ref, record_sha256, token, time) VALUES (?, ?, ?, NULL, ?)",
            (EXPORT, sha256, sha256, time),
        )
        return sha256

    def remember_ca(self, pem: str) -> None:
        """Keep the TSA's CA certificates (PEM) the tokens were asked under, so that `verify` checks each
        token's chain even where no config names the CA file."""
        self._area.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('tsa_ca', ?)", (pem,))

    def tokens(self, kind: str | None = None, refs: list[str] | None = None) -> list[Token]:
        """Stored tokens, of one kind (and these refs) when given."""
        rows = self._area.query(
            "SELECT kind, ref, record_sha256, token, time FROM timestamps WHERE token IS NOT NULL"
            + (" AND kind = ?" if kind else "")
            + " ORDER BY kind, CAST(ref AS INTEGER), ref",
            (kind,) if kind else (),
        )
        found = [Token(str(k), str(r), str(s), bytes(t), str(tm)) for k, r, s, t, tm in rows]
        return [t for t in found if refs is None or t.ref in refs]

    def token_for(self, record_sha256: str) -> tuple[bytes, str | None] | None:
        """The token over the record hashing to `record_sha256` and the CA certificates (PEM) the store kept
        when it asked, or None when the record has no token (yet)."""
        rows = self._area.query(
            "SELECT token FROM timestamps WHERE record_sha256 = ? AND token IS NOT NULL", (record_sha256,)
        )
        if not rows:
            return None
        ca = self._area.query("SELECT value FROM meta WHERE key = 'tsa_ca'")
        return bytes(rows[0][0]), str(ca[0][0]) if ca else None


def remembered_ca(conn: sqlite3.Connection) -> bytes | None:
    """The CA certificates the store's tokens were asked under (`remember_ca`), or None."""
    row = conn.execute("SELECT value FROM meta WHERE key = 'tsa_ca'").fetchone()
    return str(row[0]).encode("utf-8") if row else None


def token_problem(token: bytes, record_sha256: str, ca_pem: bytes | None) -> str | None:
    """Why `token` (a TSA's response) does not prove that a record hashing to `record_sha256` existed at its
    time: not a granted RFC 3161 response, not over that hash, or (with `ca_pem`) not signed by a certificate
    that chains to those CA certificates. None when it does."""
    from cryptography import x509
    from rfc3161_client import VerificationError, VerifierBuilder, decode_timestamp_response

    try:
        response = decode_timestamp_response(token)
        covered = response.tst_info.message_imprint.message.hex()
    except ValueError as error:
        return f"not an RFC 3161 time-stamp response ({error})"
    if covered != record_sha256:
        return f"it covers {covered[:12]}, the record hashes to {record_sha256[:12]}"
    if ca_pem is None:
        return None
    try:
        builder = VerifierBuilder()
        for certificate in x509.load_pem_x509_certificates(ca_pem):
            builder = builder.add_root_certificate(certificate)
        builder.build().verify(response, bytes.fromhex(record_sha256))
    except (VerificationError, ValueError) as error:
        return f"its signature does not check against the TSA's CA certificates ({error})"
    return None


def stored_tokens(conn: sqlite3.Connection) -> list[tuple[Token, str | None]]:
    """Every stored token with the record its ref names as stored now (None: no such record), for `verify`."""
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'timestamps'").fetchone():
        return []
    found = []
    for kind, ref, sha, token, time in conn.execute(
        "SELECT kind, ref, record_sha256, token, time FROM timestamps WHERE token IS NOT NULL ORDER BY kind, ref"
    ):
        record = None
        if kind in RECORD_SQL:
            row = conn.execute(RECORD_SQL[kind], (ref,)).fetchone()
            record = str(row[0]) if row else None
        found.append((Token(str(kind), str(ref), str(sha), bytes(token), str(time)), record))
    return found
