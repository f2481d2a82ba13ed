"""Checks finished at the same moment, recorded together: the unchanged fast path's records (same_capture.py)
of the pages a parallel `check` finishes in one turn of its thread go into one short transaction, each still a
compare-and-set on its page. Ten records then pay for one commit: with ten fetches at once, a commit per check
was a tenth of a 200-page run, mostly the thread handing the interpreter back and forth around each SQLite call.

A record is handed over (printed, delivered) only once its batch is committed; a kill before that loses it
with the checks not yet recorded, as a kill before any check's commit does. A check whose page another writer
moved meanwhile is not written: the caller checks it again against the page as it is now. When the one
transaction fails, each check is recorded alone, so the error stays with the check it concerns.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from monitor.models import CheckRecord
from monitor.pipeline.result import CheckResult
from monitor.store.core import Store
from monitor.store.writes import CheckWrites


@dataclass
class Batch:
    """Fast-path checks decided and waiting for their one transaction (`commit`)."""

    waiting: list[tuple[CheckResult, CheckWrites, str | None]] = field(default_factory=list)

    def add(self, result: CheckResult, writes: CheckWrites, expected: str | None, started: float) -> None:
        """`result` is to be recorded with `writes` if its page is still at `expected` when the batch commits."""
        result.record.timings["total"] = round(time.perf_counter() - started, 4)
        self.waiting.append((result, writes, expected))

    def commit(self, store: Store) -> list[bool | Exception]:
        """Record every waiting check in one transaction: for each, in the order added, True (recorded), False
        (its page moved: nothing written) or the error that kept it from being recorded. When the one
        transaction fails, each check is recorded in one of its own, so one check that cannot be recorded (its
        stored text gone, say) keeps none of the others from their record."""
        entries, self.waiting = self.waiting, []
        checks = [(result.record, expected, writes) for result, writes, expected in entries]
        if not checks:
            return []
        try:
            return list(store.commit_checks(checks))
        except Exception:  # noqa: BLE001 - each check is then recorded alone, and says its own error
            return [_commit_alone(store, check) for check in checks]


def _commit_alone(store: Store, check: tuple[CheckRecord, str | None, CheckWrites]) -> bool | Exception:
    record, expected, writes = check
    try:
        return store.commit_check(record, expected=expected, writes=writes)
    except Exception as error:  # noqa: BLE001 - handed to the caller with its check
        return error
