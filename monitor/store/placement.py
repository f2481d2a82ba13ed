"""Where each record of a page sits in its timeline, and the timeline (`versions` rows) its records make.

A record is placed one of three ways:
- imported history, and the technical versions an import makes inside it, by date (always older than the
  live checks; `records.placed_by_date`);
- live checks, and the technical versions a check makes before comparing, in the order they were recorded;
- a re-reading (`reextract`: a stored capture extracted again under today's rules, its source's `after` the
  number of the record it re-reads) right after the record it re-reads, dated at that record's time.

The rule of entries, in that order: a good record whose text differs from the entry in effect starts an
entry, one with the same text extends it, a failed one neither starts nor ends one. A record that was re-read
counts through its re-reading only (the past is read as today's rules read it), and a later record carrying
the old text of a record re-read into the entry in effect (an unchanged check, a merged import) extends that
entry instead of starting the old text again. An entry still brought by the same record keeps the rules
fingerprint a check marked on it (the text read the same under newer rules), so a rebuild never asks again. Live checks recorded after the last import or re-reading are
appended by the same rule (writes.py); `derived.py` is the other implementation `verify` holds this one to.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from monitor.store.records import TECHNICAL_KEY

# What `timeline_order` reads of each record: its number, time, source key and the record it re-reads.
ORDER_COLUMNS = (
    "n, time, source, CASE WHEN json_valid(record) AND json_extract(record, '$.source.kind') = 'rules'"
    " THEN json_extract(record, '$.source.after') END"
)

Key = tuple[Any, ...]


def timeline_order(rows: Sequence[Sequence[object]]) -> list[int]:
    """The indices of `rows` (each starting with ORDER_COLUMNS' values) in timeline order."""
    by_n = {row[0]: row for row in rows}
    keys: dict[object, Key] = {}

    def key(row: Sequence[object], depth: int = 0) -> Key:
        n, time, source, after = row[:4]
        if n in keys:
            return keys[n]
        if isinstance(after, int) and after in by_n and after != n and depth < len(rows):
            found: Key = (*key(by_n[after], depth + 1), n)  # right after the record it re-reads
        elif source is not None and not str(source).startswith(TECHNICAL_KEY):
            found = (0, str(time), n)  # by date
        else:
            found = (1, n)  # in the order recorded
        keys[n] = found
        return found

    return sorted(range(len(rows)), key=lambda index: key(rows[index]))


def rebuild_timeline(conn: sqlite3.Connection, page: str) -> None:
    """Recompute the page's `versions` rows from its good records in timeline order (see the module docstring)."""
    rows = conn.execute(
        f"SELECT {ORDER_COLUMNS}, id, COALESCE(text_sha256, version), raw_sha256,"
        " CASE WHEN json_valid(record) THEN json_extract(record, '$.rules') END FROM checks"
        " WHERE page = ? AND outcome != 'failed'",
        (page,),
    ).fetchall()
    texts = {row[0]: row[5] for row in rows}
    befores = {row[0]: row[3] for row in rows if isinstance(row[3], int) and row[3] in texts}
    reread = set(befores.values())
    entries: list[list[Any]] = []  # [version, since, until, checks, last_seen, raw, check_id, rules]
    aliases: set[str] = set()  # old texts of the records re-read into the entry in effect
    for index in timeline_order(rows):
        n, time, _, after, check_id, text, raw, rules = rows[index]
        if text is None or n in reread:
            continue
        if entries and (entries[-1][0] == text or text in aliases):
            entries[-1][3] += 1
            entries[-1][4] = time
        else:
            if entries:
                entries[-1][2] = time
            entries.append([text, time, None, 1, time, raw, check_id, rules])
            aliases = set()
        followed: set[object] = set()
        while isinstance(after, int) and after in texts and after not in followed:
            followed.add(after)  # the re-read record's text, and that of the record it re-read in turn
            aliases.add(str(texts[after]))
            after = befores.get(after)
    # A fingerprint a check wrote on its entry (`Store.commit_check`: the text reads the same under its rules)
    # is newer than the record's own: an entry still brought by the same record keeps it.
    marked = dict(
        conn.execute("SELECT check_id, rules FROM versions WHERE page = ? AND rules IS NOT NULL", (page,))
    )
    for entry in entries:
        entry[7] = marked.get(entry[6], entry[7])
    conn.execute("DELETE FROM versions WHERE page = ?", (page,))
    conn.executemany(
        "INSERT INTO versions (page, seq, version, since, until, checks, last_seen, raw_sha256, check_id, rules)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(page, seq, *entry) for seq, entry in enumerate(entries, start=1)],
    )
