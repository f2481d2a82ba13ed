"""Clause tracking on real text: the Facebook privacy policy as Open Terms Archive recorded it, 60 versions
from 2022-07 to 2026-08 (a rewrite, footnote lists that come and go, sections that move), and the
Facebook policy combined with the generative-AI page. Each watch must alert exactly where the real text
changed, and never anywhere else."""

from __future__ import annotations

from pathlib import Path

import pytest
from service_support import evaluate_and_keep

from monitor.config.loading import WatchConfig
from monitor.diff.core import diff_documents
from monitor.extract.document import document_from_markdown
from monitor.models import Document
from monitor.store.core import Store
from monitor.watch.alerts import Alert

pytestmark = pytest.mark.corpus

PAGE = "facebook-privacy-policy-en"
AUDIENCE = "When you share and communicate using our Products, you choose the audience for what you share."
RIGHT_TO_OBJECT = "You also have the right to object to and restrict certain processing of your data."
CONTROLLER = (
    "The data controller responsible for your information is Meta Platforms Ireland Limited, "
    "which you can contact online, or by mail at:"
)
STILL_PROCESS = (
    "Even if you don’t use our Products or have an account, we may still process information about you to "
    "develop and improve AI at Meta."
)

History = list[tuple[str, Document]]
ALERTS: list[Alert] = []


def load(corpus: Path, collection: str) -> History:
    folder = corpus / "versions" / collection
    return [
        (path.stem, document_from_markdown(path.read_text(encoding="utf-8")))
        for path in sorted(folder.glob("*.md"))
    ]


@pytest.fixture(scope="module")
def facebook_policy(corpus: Path) -> History:
    return load(corpus, "pga-versions/Facebook/Privacy_Policy")


@pytest.fixture(scope="module")
def facebook_with_genai(corpus: Path) -> History:
    return load(corpus, "user-rights-versions/Facebook/Privacy_Policy")


def clause(watch_id: str, text: str, kind: str = "clause") -> WatchConfig:
    return WatchConfig(id=watch_id, pages=[PAGE], kind=kind, text=text, severity="high")


def timeline(store: Store, watches: list[WatchConfig], history: History) -> dict[str, list[tuple[str, str]]]:
    """Every alert of every watch over the history, as (date, kind); the alerts themselves in `ALERTS`."""
    found: dict[str, list[tuple[str, str]]] = {watch.id: [] for watch in watches}
    ALERTS.clear()
    old, previous = None, None
    for version, document in history:
        alerts = evaluate_and_keep(
            store, watches, PAGE, old=old, new=document, diff=None, version=version, previous=previous,
            time=version[:10],
        )  # fmt: skip
        for alert in alerts:
            found[alert.watch].append((version[:10], alert.kind))
            ALERTS.append(alert)
        old, previous = document, version
    return found


def test_facebook_policy_history(tmp_path: Path, facebook_policy: History) -> None:
    store = Store(tmp_path)
    watches = [
        clause("audience", AUDIENCE),
        clause("right-to-object", RIGHT_TO_OBJECT),
        clause("controller", CONTROLLER),
    ]
    assert len(facebook_policy) == 60
    assert timeline(store, watches, facebook_policy) == {
        "audience": [("2022-09-07", "changed")],
        "right-to-object": [("2022-09-07", "changed")],
        "controller": [],
    }
    audience = store.baselines.get("audience", PAGE)
    # followed since 2022-09 through footnote renumbering ("[42]" came and changed later: cosmetic, silent)
    assert (
        audience["wording"]
        == "When you share and communicate using our Products, you can sometimes choose the audience[42] for what you share."
    )
    assert audience["changed"] == {
        "time": "2022-09-07", "version": "2022-09-07T17-19-04Z_610967a0",
        "previous": "2022-07-11T14-58-05Z_a3689b38", "kind": "changed",
    }  # fmt: skip
    changed = {
        alert.watch: [(op.tag, op.old, op.new) for op in alert.ops if op.tag != "equal"] for alert in ALERTS
    }
    assert changed == {
        "audience": [("insert", "", "can sometimes ")],
        "right-to-object": [("delete", "also ", ""), ("replace", "data", "information")],
    }
    right = store.baselines.get("right-to-object", PAGE)
    assert (
        right["wording"]
        == "You have the right to object to and restrict certain processing of your information."
    )
    assert right["section"] == [
        "What is our legal basis for processing your information, and what are your rights?",
        "Object",
    ]


def test_the_history_really_moves_sections_around_the_unchanged_clause(facebook_policy: History) -> None:
    """What the 'never alerts' above survived: blocks moved between versions, and the clause's own place
    in the page shifted by whole sections."""
    moved = sum(
        any(change.kind == "moved" for change in diff_documents(a, b).changes)
        for (_, a), (_, b) in zip(facebook_policy[1:], facebook_policy[2:], strict=False)
    )
    positions = [
        next(i for i, block in enumerate(doc.blocks) if CONTROLLER[:60] in block.text)
        for _, doc in facebook_policy
    ]
    assert moved >= 5
    assert max(positions) - min(positions) > 100


def test_generative_ai_page_history(tmp_path: Path, facebook_with_genai: History) -> None:
    """The combined policy + /privacy/genai history: the "may still process" clause never changes (not even
    when the policy part collapsed to a table of contents on 2026-07-23), while the policy flips between
    "Accounts Centre" and "Accounts Center"."""
    store = Store(tmp_path)
    watches = [
        clause("still-process", STILL_PROCESS),
        clause("accounts-center", "Accounts Center", kind="term"),
    ]
    assert timeline(store, watches, facebook_with_genai) == {
        "still-process": [],
        "accounts-center": [
            ("2026-05-25", "not_found"),
            ("2026-05-28", "appeared"),
            ("2026-05-29", "removed"),
        ],
    }
    state = store.baselines.get("still-process", PAGE)
    assert state["section"] == ["AI at Meta", "Where does Meta get training information?"]
    assert (state["score"], state["count"]) == (100.0, 1)
