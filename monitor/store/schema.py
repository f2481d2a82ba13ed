"""The schema of monitor.db: every table of the store's parts, and its version (upgraded in place, chain.py)."""

from __future__ import annotations

# 2: the hash chain (checks.chain) and imported history (checks.source). 3: room for what is coming, so stores
# migrate once: the rules fingerprint of each version (versions.rules), the raw captures of a check made of
# several pages (captures), the objections ledger with its own hash chain (objections) and trusted time-stamp
# tokens over records (timestamps).
SCHEMA_VERSION = 3

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS checks (
    id INTEGER PRIMARY KEY,
    page TEXT NOT NULL,
    n INTEGER NOT NULL,            -- 1, 2, ... per page, in the order checks were recorded
    time TEXT NOT NULL,            -- ISO 8601 UTC, 2026-11-29T04:44:38Z (sorts as it reads)
    outcome TEXT NOT NULL,         -- new | unchanged | changed | failed
    version TEXT, previous TEXT, text_sha256 TEXT, raw_sha256 TEXT,
    reason TEXT,
    record TEXT NOT NULL,          -- the whole CheckRecord as JSON
    digest TEXT NOT NULL,          -- sha256 of `record`: a flipped byte SQLite cannot see is still found
    source TEXT,                   -- an imported version: its source id (a commit, a file's sha256), NULL: checked live
    chain TEXT                     -- sha256 of the page's previous `record` (n - 1), NULL for its first (the hash chain)
);
CREATE UNIQUE INDEX IF NOT EXISTS checks_by_page ON checks (page, n);
CREATE INDEX IF NOT EXISTS checks_by_page_time ON checks (page, time);
CREATE INDEX IF NOT EXISTS checks_good ON checks (page, n) WHERE outcome != 'failed';
CREATE INDEX IF NOT EXISTS checks_changes ON checks (page, n) WHERE outcome IN ('new', 'changed');
CREATE INDEX IF NOT EXISTS changes_by_time ON checks (time) WHERE outcome IN ('new', 'changed');
CREATE INDEX IF NOT EXISTS checks_imported ON checks (page, n, source) WHERE source IS NOT NULL;
CREATE TABLE IF NOT EXISTS versions (
    page TEXT NOT NULL,
    seq INTEGER NOT NULL,          -- 1, 2, ... the page's timeline in order
    version TEXT NOT NULL,         -- sha256 of the text = texts/<version>.md.gz
    since TEXT NOT NULL, until TEXT, checks INTEGER NOT NULL, last_seen TEXT NOT NULL,
    raw_sha256 TEXT,               -- raw/<raw_sha256>.html.gz
    check_id INTEGER NOT NULL REFERENCES checks (id),
    rules TEXT,                    -- fingerprint of the rules its text was made under (NULL: before schema 3)
    PRIMARY KEY (page, seq)
);
CREATE TABLE IF NOT EXISTS captures (
    check_id INTEGER NOT NULL REFERENCES checks (id),
    part INTEGER NOT NULL,         -- 1, 2, ... a document combined from several pages, in declaration order
    url TEXT NOT NULL,
    raw_sha256 TEXT NOT NULL,      -- raw/<raw_sha256>.html.gz
    PRIMARY KEY (check_id, part)
);
CREATE TABLE IF NOT EXISTS objections (
    seq INTEGER PRIMARY KEY,       -- 1, 2, ... the objections chain (added, corrected, withdrawn: never deleted)
    record TEXT NOT NULL, digest TEXT NOT NULL, chain TEXT
);
CREATE TABLE IF NOT EXISTS timestamps (
    kind TEXT NOT NULL,            -- check | objection | export
    ref TEXT NOT NULL,             -- the record's id in its table
    record_sha256 TEXT NOT NULL,   -- what the token covers
    token BLOB,                    -- the RFC 3161 token (NULL: still to be asked for)
    time TEXT NOT NULL,
    PRIMARY KEY (kind, ref)
);
CREATE TABLE IF NOT EXISTS baselines (
    watch TEXT NOT NULL, page TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (watch, page)
);
CREATE INDEX IF NOT EXISTS baselines_by_page ON baselines (page);
CREATE TABLE IF NOT EXISTS outbox (
    id TEXT PRIMARY KEY,           -- one message per page check
    page TEXT NOT NULL,
    queued TEXT NOT NULL,
    status TEXT NOT NULL,          -- pending | sent | failed | digest_only
    message_id TEXT NOT NULL,      -- the same Message-ID on every attempt
    alerts TEXT NOT NULL,          -- JSON list of the alerts, most severe first
    targets TEXT NOT NULL,         -- JSON: per target (and per recipient) delivery state
    rev INTEGER NOT NULL DEFAULT 0 -- bumped on each write: two deliverers never both send one attempt
);
CREATE INDEX IF NOT EXISTS outbox_by_status ON outbox (status, queued);
CREATE TABLE IF NOT EXISTS digest_ledger (
    seq INTEGER PRIMARY KEY, period TEXT NOT NULL, state TEXT NOT NULL, data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS digest_ledger_by_period ON digest_ledger (period, seq);
CREATE TABLE IF NOT EXISTS state (rel TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS state_lines (seq INTEGER PRIMARY KEY, rel TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS state_lines_by_rel ON state_lines (rel, seq);
CREATE TABLE IF NOT EXISTS migrations (file TEXT PRIMARY KEY, sha256 TEXT NOT NULL, time TEXT NOT NULL);
"""
