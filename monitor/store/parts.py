"""The store's named parts beside checks and versions: watch baselines, the outbox and the digest ledger.

Each part owns its table's SQL; other stages call these methods, never SQL of their own. A write joins the
caller's transaction when there is one (a check records its baselines and its outbox message with the check
record, all or nothing), else it is a transaction of its own.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from monitor.store.area import Area


class Baselines:
    """What each watch saw on each page in the last version it evaluated, keyed by (watch, page)."""

    def __init__(self, area: Area) -> None:
        self._area = area

    def of_page(self, page_id: str) -> dict[str, dict[str, Any]]:
        """Every watch's baseline on `page_id`, by watch id (one query for all of a page's watches)."""
        rows = self._area.query("SELECT watch, data FROM baselines WHERE page = ?", (page_id,))
        return {
            watch: self._area.load_object(f"baseline of watch {watch!r} on {page_id!r}", data)
            for watch, data in rows
        }

    def get(self, watch_id: str, page_id: str) -> dict[str, Any] | None:
        rows = self._area.query(
            "SELECT data FROM baselines WHERE watch = ? AND page = ?", (watch_id, page_id)
        )
        return (
            self._area.load_object(f"baseline of watch {watch_id!r} on {page_id!r}", rows[0][0])
            if rows
            else None
        )

    def put(self, watch_id: str, page_id: str, data: Mapping[str, Any]) -> None:
        self._area.execute(
            "INSERT OR REPLACE INTO baselines (watch, page, data) VALUES (?, ?, ?)",
            (watch_id, page_id, json.dumps(data, ensure_ascii=False)),
        )

    def delete(self, watch_id: str, page_id: str) -> bool:
        return (
            self._area.execute("DELETE FROM baselines WHERE watch = ? AND page = ?", (watch_id, page_id)) > 0
        )


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """One stored outbox message as its table holds it (the notify stage gives it meaning)."""

    id: str
    queued: str
    status: str
    alerts: list[dict[str, Any]]
    targets: dict[str, dict[str, Any]]
    rev: int


def outbox_status(digest_only: bool, targets: Mapping[str, Mapping[str, Any]]) -> str:
    """digest_only | sent | failed | pending (a target still to try, or waiting for its retry time): the
    `status` column, from the per-target and per-recipient delivery state."""
    if digest_only:
        return "digest_only"
    states = {target["state"] for target in targets.values()}
    people = {p["state"] for target in targets.values() for p in target.get("recipients", {}).values()}
    if states & {"pending", "sending"} or not states:
        return "pending"
    # `dropped`: a target or address removed from the config; a message all of whose targets were removed
    # reached nobody, so it is listed with those that gave up
    return "failed" if "failed" in states | people or states == {"dropped"} else "sent"


_SEVERITY = {"high": 0, "medium": 1, "low": 2}


class OutboxTable:
    """The outbox's rows: one message per page check, with a revision bumped by every write, so two
    deliverers never both claim one attempt (a compare-and-set on `rev`)."""

    _COLUMNS = "id, queued, status, alerts, targets, rev"

    def __init__(self, area: Area) -> None:
        self._area = area

    def get(self, entry_id: str) -> OutboxRow | None:
        rows = self._area.query(f"SELECT {self._COLUMNS} FROM outbox WHERE id = ?", (entry_id,))
        return self._row(rows[0]) if rows else None

    def with_work_left(self) -> list[OutboxRow]:
        """Messages pending or failed, oldest first."""
        rows = self._area.query(
            f"SELECT {self._COLUMNS} FROM outbox WHERE status IN ('pending', 'failed') ORDER BY queued, id"
        )
        return [self._row(row) for row in rows]

    def undelivered(self, keep: Callable[[OutboxRow], bool] = lambda row: True) -> list[dict[str, Any]]:
        """The alerts (as JSON) of every message not delivered to all its targets and recipients yet (of those
        `keep` keeps), most severe first: the digest must say so, since nobody else will."""
        alerts = [alert for row in self.with_work_left() if keep(row) for alert in row.alerts]
        return sorted(
            alerts,
            key=lambda alert: (_SEVERITY.get(str(alert.get("severity")), 3), str(alert.get("page", ""))),
        )

    def add(
        self,
        entry_id: str,
        page: str,
        queued: str,
        status: str,
        message_id: str,
        alerts: list[dict[str, Any]],
    ) -> bool:
        """A new message; False (nothing written) when one with this id is stored already (a re-run)."""
        return (
            self._area.execute(
                "INSERT OR IGNORE INTO outbox (id, page, queued, status, message_id, alerts, targets, rev)"
                " VALUES (?, ?, ?, ?, ?, ?, '{}', 1)",
                (entry_id, page, queued, status, message_id, json.dumps(alerts, ensure_ascii=False)),
            )
            > 0
        )

    def save(
        self,
        entry_id: str,
        values: tuple[str, str, str, str, list[dict[str, Any]], dict[str, Any]],
        *,
        rev: int,
        expect_rev: int | None = None,
    ) -> bool:
        """Write a message's state as revision `rev`; with `expect_rev`, only if nobody wrote it since.
        `values`: page, queued, status, message_id, alerts, targets."""
        page, queued, status, message_id, alerts, targets = values
        encoded = (
            page, queued, status, message_id,
            json.dumps(alerts, ensure_ascii=False), json.dumps(targets, ensure_ascii=False),
        )  # fmt: skip
        if expect_rev is None:
            self._area.execute(
                "INSERT OR REPLACE INTO outbox (page, queued, status, message_id, alerts, targets, rev, id)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (*encoded, rev, entry_id),
            )
            return True
        return (
            self._area.execute(
                "UPDATE outbox SET page = ?, queued = ?, status = ?, message_id = ?, alerts = ?, targets = ?,"
                " rev = ? WHERE id = ? AND rev = ?",
                (*encoded, rev, entry_id, expect_rev),
            )
            > 0
        )

    def _row(self, row: Any) -> OutboxRow:
        entry_id, queued, status, alerts, targets, rev = row
        what = f"outbox message {entry_id}"
        return OutboxRow(
            entry_id,
            queued,
            status,
            self._area.load_objects(what, alerts),
            self._area.load_object(what, targets),
            rev,
        )


class DigestLedger:
    """The digest's ledger: one line per step of each period's mail (prepared, sending, sent), oldest first."""

    def __init__(self, area: Area) -> None:
        self._area = area

    def append(self, line: Mapping[str, Any]) -> None:
        self._area.execute(
            "INSERT INTO digest_ledger (period, state, data) VALUES (?, ?, ?)",
            (line.get("period", ""), line.get("state", ""), json.dumps(dict(line), ensure_ascii=False)),
        )

    def lines(self) -> list[dict[str, Any]]:
        rows = self._area.query("SELECT seq, data FROM digest_ledger ORDER BY seq")
        return [self._area.load_object(f"digest ledger row {seq}", data) for seq, data in rows]
