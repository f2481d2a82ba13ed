"""What stored rows name, checked for `verify`: a JSON value parses and the page and version it names are stored
(watch baselines, outbox alerts); a time-stamp token covers its record as stored now and chains to the TSA's CA
certificates."""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from pathlib import Path

from monitor.store.chain import record_hash
from monitor.store.timestamps import RECORD_SQL, remembered_ca, stored_tokens, token_problem

RESTORE_DB = "restore monitor.db from a backup, or rebuild it: `sqlite3 monitor.db .recover | sqlite3 new.db`"
RESTORE_FACTS = "restore monitor.db from a backup (a copy of the store folder is a complete backup)"

# Each table's JSON, with the key a problem names it by and, where there is one, the page it belongs to.
_JSON_ROWS = {
    "baselines": "SELECT watch || '/' || page, page, data FROM baselines",
    "outbox": "SELECT id, page, alerts || char(10) || targets FROM outbox",
    "digest_ledger": "SELECT seq, NULL, data FROM digest_ledger",
    "state": "SELECT rel, NULL, data FROM state",
    "state_lines": "SELECT seq, NULL, data FROM state_lines",
}


def reference_problems(conn: sqlite3.Connection, db_path: Path) -> list[str]:
    """Every JSON value parses; an outbox alert or a baseline names a stored page and version."""
    problems: list[str] = []
    stored: dict[str, set[str]] = defaultdict(set)
    for page, version in conn.execute(
        "SELECT page, version FROM checks UNION SELECT page, text_sha256 FROM checks"
        " UNION SELECT page, version FROM versions"
    ):
        stored[page].add(version)
    for table, sql in _JSON_ROWS.items():
        for key, page, data in conn.execute(sql):
            where = f"{db_path}: {table} row {key}"
            try:
                values = [json.loads(part) for part in str(data).split("\n")]
            except ValueError as error:
                problems.append(f"{where}: damaged JSON ({error}); {RESTORE_DB}")
                continue
            named = [(page, values[0].get("version") if isinstance(values[0], dict) else None)]
            if table == "outbox":
                alerts = values[0] if isinstance(values[0], list) else []
                named += [(a.get("page"), a.get("version")) for a in alerts if isinstance(a, dict)]
            for name, version in named if table in ("baselines", "outbox") else []:
                if name not in stored or (version is not None and version not in stored[name]):
                    what = (
                        f"version {str(version)[:12]} of page {name!r}"
                        if name in stored
                        else f"page {name!r}"
                    )
                    problems.append(f"{where}: names {what}, which is not stored; {RESTORE_FACTS}")
                    break
    return problems


def token_problems(conn: sqlite3.Connection, db_path: Path, tsa_ca: bytes | None) -> tuple[int, list[str]]:
    """(tokens checked, problems): each token covers its record as stored now and chains to the TSA's CA
    certificates (`tsa_ca`, the configured file's, else those the store kept when it asked)."""
    ca = tsa_ca or remembered_ca(conn)
    checked, problems = 0, []
    for token, record in stored_tokens(conn):
        checked += 1
        where = f"{db_path}: time-stamp token of {token.kind} {token.ref} (dated {token.time})"
        if token.kind in RECORD_SQL and record is None:
            problem: str | None = f"the {token.kind} record it stamps is gone"
        elif record is not None and record_hash(record) != token.record_sha256:
            problem = "it no longer matches its record (the record was changed after it was stamped)"
        else:
            problem = token_problem(token.token, token.record_sha256, ca)
        if problem:
            problems.append(f"{where}: {problem}; {RESTORE_FACTS}")
    return checked, problems


def part_captures(conn: sqlite3.Connection) -> list[tuple[str, int, str]]:
    """The raw captures a combined document's rows name (the captures table): (page, checks row, sha256)."""
    rows = conn.execute(
        "SELECT c.page, c.id, p.raw_sha256 FROM captures p JOIN checks c ON c.id = p.check_id"
    )
    return [(str(page), int(row_id), str(raw)) for page, row_id, raw in rows]
