"""The demo records an objection on its first day, and the alert of day 3 (Meta narrows the clause) names it."""

from __future__ import annotations

from pathlib import Path

from monitor.config.loading import load_config
from monitor.demo.scenario import run_demo
from monitor.objections.clause import clauses_then
from monitor.objections.ledger import objections
from monitor.store.core import Store


def test_the_demo_objects_on_day_one_and_the_day_three_alert_names_the_objection(tmp_path: Path) -> None:
    steps = run_demo(tmp_path)
    assert [step.objection_notes != [] for step in steps] == [False, False, True, False, False]
    (note,) = steps[2].objection_notes
    assert note.startswith(
        "This sentence decides what your objection of 1 December 2025 on Facebook (case 1234567890123456) "
        "covers. On that day it read “Der Widerspruch wird auf das Konto angewendet, bei dem du angemeldet bist, "
        "sowie auf alle Konten, die du derselben Kontenübersicht hinzugefügt hast.”; now it reads “"
    )
    store, config = Store(tmp_path / "snapshots"), load_config(tmp_path / "config.toml").config
    (objection,) = objections(store)
    assert (objection.date, objection.pages) == ("2025-12-01", ["ki-bei-meta-de"])
    changed = {view.watch: view.changed for view in clauses_then(store, config, objection)}
    assert changed == {"accounts-center-scope": True, "processing-despite-objection": False}
    assert store.verify().ok
