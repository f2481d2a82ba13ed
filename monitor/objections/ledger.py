"""The ledger of objections: `add` and `withdraw` append records to the store's objections chain
(monitor/store/objections.py); `objections` folds the chain back into one `Objection` per add record.

A confirmation mail fills what the command line left out (date, platform, case ID) and must not contradict
what it gave; the mail itself is kept privately in the store (`objections/<sha256>.eml`, mode 0600) and only
its hash, date, sender, subject and case ID go into the record.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date as Day
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from monitor import fsutil
from monitor.config.loading import Config
from monitor.errors import UsageError
from monitor.models import isoformat
from monitor.objections.mail import Confirmation, read_confirmation
from monitor.store.core import Store

MAIL_FOLDER = "objections"
LATE_CONFIRMATION = timedelta(
    days=1
)  # a confirmation mail may come the day after the objection, not before it


@dataclass(slots=True)
class Objection:
    id: int
    platform: str
    date: str  # YYYY-MM-DD, the day the objection was made
    case_id: str | None
    account: str | None
    pages: list[str]
    watches: list[str]
    recorded: str
    confirmation: dict[str, Any] | None = None
    withdrawn: str | None = None  # when it was withdrawn (a later record), None: in force
    notes: list[str] = field(default_factory=list)  # corrections and withdrawals, as recorded

    @property
    def day(self) -> Day:
        return Day.fromisoformat(self.date)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "platform": self.platform, "date": self.date, "case_id": self.case_id,
                "account": self.account, "pages": self.pages, "watches": self.watches, "recorded": self.recorded,
                "confirmation": self.confirmation, "withdrawn": self.withdrawn, "notes": self.notes}  # fmt: skip


def objections(store: Store) -> list[Objection]:
    """Every objection recorded, oldest first, with its withdrawal when one was recorded."""
    found: dict[int, Objection] = {}
    for record in store.objections.records():
        if record.get("action") == "add":
            found[int(record["seq"])] = Objection(
                int(record["seq"]), str(record["platform"]), str(record["date"]), record.get("case_id"),
                record.get("account"), list(record.get("pages") or ()), list(record.get("watches") or ()),
                str(record["recorded"]), record.get("confirmation"),
            )  # fmt: skip
        elif record.get("action") == "withdraw" and (target := found.get(int(record.get("objection", 0)))):
            target.withdrawn = str(record["recorded"])
            target.notes.append(
                f"withdrawn {record['recorded']}: {record.get('reason') or 'no reason given'}"
            )
    return list(found.values())


def add_objection(
    store: Store,
    config: Config,
    *,
    now: datetime,
    platform: str | None = None,
    day: Day | None = None,
    case_id: str | None = None,
    account: str | None = None,
    confirmation: Path | None = None,
    pages: Sequence[str] = (),
    watches: Sequence[str] = (),
) -> Objection:
    mail = read_confirmation(confirmation, ZoneInfo(config.digest.timezone)) if confirmation else None
    if mail:
        platform, day, case_id = _merged(mail, platform, day, case_id)
    if platform is None:
        raise UsageError(
            "objections add: give --platform (facebook, instagram...) or a --confirmation mail from the platform"
        )
    if day is None:
        raise UsageError(
            "objections add: give --date YYYY-MM-DD (the day you objected) or a --confirmation mail"
        )
    page_ids = list(pages) or [page.id for page in config.pages if page.platform == platform]
    if not page_ids:
        known = sorted({page.platform for page in config.pages if page.platform})
        raise UsageError(
            f"objections add: no page in the config has platform = {platform!r} (known: {', '.join(known) or 'none'});"
            " give --pages PAGE..., or set `platform` on the platform's [[pages]]"
        )
    for page_id in page_ids:
        config.page(page_id)
    known_watches = {watch.id: watch for watch in config.watches}
    for watch_id in watches:
        if watch_id not in known_watches:
            raise UsageError(f"objections add: unknown watch {watch_id!r} (see `privacy-monitor watches`)")
    watch_ids = list(watches) or [
        w.id for w in config.watches if w.kind == "clause" and any(p in w.pages for p in page_ids)
    ]
    if mail:
        _keep_private(store, mail)
    record = {"action": "add", "platform": platform, "date": day.isoformat(), "case_id": case_id,
              "account": account, "pages": page_ids, "watches": watch_ids,
              "confirmation": mail.to_json() if mail else None, "recorded": isoformat(now)}  # fmt: skip
    seq, _ = store.objections.append(record)
    return next(o for o in objections(store) if o.id == seq)


def withdraw_objection(
    store: Store, objection_id: int, *, now: datetime, reason: str | None = None
) -> Objection:
    """Record that objection `objection_id` was withdrawn (or recorded by mistake); the record stays."""
    current = {o.id: o for o in objections(store)}
    target = current.get(objection_id)
    if target is None:
        raise UsageError(
            f"objections withdraw: no objection {objection_id} (see `privacy-monitor objections`)"
        )
    if target.withdrawn:
        raise UsageError(
            f"objections withdraw: objection {objection_id} was already withdrawn on {target.withdrawn}"
        )
    store.objections.append(
        {"action": "withdraw", "objection": objection_id, "reason": reason, "recorded": isoformat(now)}
    )
    return next(o for o in objections(store) if o.id == objection_id)


def _merged(
    mail: Confirmation, platform: str | None, day: Day | None, case_id: str | None
) -> tuple[str | None, Day | None, str | None]:
    where = f"{mail.path}"
    if platform and mail.platform and platform != mail.platform:
        raise UsageError(
            f"{where}: the mail comes from {mail.sender} ({mail.platform}), but --platform says {platform}; correct one of them"
        )
    if case_id and mail.case_id and case_id != mail.case_id:
        raise UsageError(
            f"{where}: the mail gives case ID {mail.case_id}, but --case-id says {case_id}; correct one of them"
        )
    if day and mail.day and not day <= mail.day <= day + LATE_CONFIRMATION:
        raise UsageError(
            f"{where}: the mail was sent on {mail.day.isoformat()}, which cannot confirm an objection made on "
            f"{day.isoformat()}; correct --date or leave it out"
        )
    return platform or mail.platform, day or mail.day, case_id or mail.case_id


def _keep_private(store: Store, mail: Confirmation) -> None:
    """The mail as it came, readable only by its owner: it names a person and their accounts."""
    folder = store.state.path(MAIL_FOLDER)
    fsutil.ensure_dir(folder)
    os.chmod(folder, 0o700)
    path = folder / f"{mail.sha256}.eml"
    if not path.exists():
        fsutil.atomic_write(path, mail.data, mode=0o600)
