"""Delivery is the run's, not the check's: once a run's checks are recorded (a manual `check`, a service tick),
the outbox's due messages go out once, through notifiers built once for the run, outside any transaction; then
the records still without a time-stamp token are stamped (stamp.py), so a slow TSA delays no alert either; a
run that recorded no version, or one soon after the TSA failed, asks the TSA nothing (`store.timestamps.work`)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from monitor.errors import MonitorError
from monitor.pipeline.capture import Context

if TYPE_CHECKING:
    from monitor.notify.outbox import DeliveryReport
    from monitor.pipeline.check import CheckResult


def deliver_alerts(ctx: Context) -> DeliveryReport | MonitorError | None:
    """Send what the outbox holds through the configured notifiers; None when none is configured (the alerts
    are for the digest). A failure stays queued for the next run and comes back as the error."""
    notifiers = ctx.notifiers()
    if not notifiers:
        return None
    from monitor.notify.outbox import Outbox

    try:
        return Outbox(ctx.store, ctx.clock, ctx.config.notify).deliver(notifiers)
    except MonitorError as error:  # delivery trouble never turns a good check into a failed one
        return error


def deliver_run(ctx: Context, results: Sequence[CheckResult]) -> DeliveryReport | MonitorError | None:
    """Deliver once for the run whose `results` queued messages, and say on each result which of its alerts
    could not be sent (from the delivery's own report: nothing is read back); then time-stamp what waits."""
    delivery = _deliver(ctx, results)
    if ctx.config.evidence.tsa_url is not None:
        from monitor.pipeline.stamp import stamp_pending

        stamps = stamp_pending(ctx)
        if stamps is not None and stamps.error:  # the records wait for the next run; the checks stand
            logging.getLogger(__name__).warning("%s", stamps.error)
    return delivery


def _deliver(ctx: Context, results: Sequence[CheckResult]) -> DeliveryReport | MonitorError | None:
    if not ctx.deliver or not any(result.message for result in results):
        return None
    delivery = deliver_alerts(ctx)
    if delivery is None:
        return None
    for result in results:
        if result.message is None:
            continue
        if isinstance(delivery, MonitorError):
            errors = [str(delivery)]
        else:
            errors = [error for entry_id, _, error in delivery.failed if entry_id == result.message]
            errors += [
                f"{address} refused it for good: {error}"
                for entry_id, _, address, error in delivery.refused
                if entry_id == result.message
            ]
            if not errors:
                continue
        why = f" ({errors[-1]})"
        result.undelivered = [
            f"queued in the outbox: {alert.page}: {alert.headline}{why}" for alert in result.alerts
        ]
    return delivery
