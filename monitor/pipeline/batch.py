"""Checks finished at the same moment, recorded together: the unchanged fast path's records (same_capture.py)
of the pages a parallel `check` finishes in one turn of its thread go into one short transaction, each still a
compare-and-set on its page. Ten records then pay for one commit: with ten fetches at once, a commit per check
was a tenth of a 200-page run, mostly the thread handing the interpreter back and forth around each SQLite call.

A record is handed over (printed, delivered) only once its batch is committed; a kill before that loses it
with the checks not yet recorded, as a kill before any check's commit does. A check whose page another writer
moved meanwhile is not written: the caller checks it again against the page as it is now.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

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

    def commit(self, store: Store) -> list[CheckResult]:
        """Record every waiting check in one transaction; the results whose page moved (nothing written)."""
        if not self.waiting:
            return []
        entries, self.waiting = self.waiting, []
        recorded = store.commit_checks(
            [(result.record, expected, writes) for result, writes, expected in entries]
        )
        return [result for (result, _, _), done in zip(entries, recorded, strict=True) if not done]
