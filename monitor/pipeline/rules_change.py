"""A change of the rules is a technical version, never a change of the policy.

When a check runs under another rules fingerprint than the version in effect (`select`, `remove`, the walls,
the word threshold or the extractor changed), the stored capture that brought that version is extracted again
under the check's rules, before the new capture is compared with anything. A text that differs is a technical
version: a record of the check's time marked `source = {"kind": "rules", ...}` (store/records.py
`is_technical`), recorded in the check's own transaction just before the check. Like imported history it is
never news (no alert, no digest or feed entry: those read records without a source), the watches' baselines
move to it silently, and the check then compares its capture with it as usual: a real change in the same check
gives exactly the alerts of the real change.

Decisions worth knowing:
- A version whose fingerprint is not known (a store written before fingerprints) takes the check's: an upgrade
  alone never makes a technical version.
- The fingerprint is written on the version once (`CheckWrites.rules`), so the checks after it compare hashes
  and read no stored text.
- A stored capture that is no longer the document under the new rules (a selector that matches nothing, a
  text that collapses against the stored one) fails a check answered 304; a fresh capture that is the document
  is compared as usual, with a note. A version without its raw capture (imported text) gets the same note.
- A stored capture that reads the same under the new rules makes no version: the check that first reads it
  under them says so (`rules changed (...): the stored capture reads the same under them`) and marks the version.
- What changed in the rules is told from the parts of each fingerprint, kept as state `rules/<fingerprint>.json`
  when a version is first made or marked under it; a fingerprint from before that is named by its hash.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from monitor.config.loading import PageConfig
from monitor.models import CheckRecord, Document, FetchResult, Outcome
from monitor.pipeline.capture import Context, extract_capture
from monitor.store.records import TECHNICAL_KEY
from monitor.store.timeline import VersionInfo
from monitor.store.writes import PageState, PartWrite, rules_parts_file

if TYPE_CHECKING:
    from monitor.pipeline.combine import PartCapture


@dataclass
class RulesChange:
    """What a check under other rules than the version in effect's does first."""

    rules: str  # the check's fingerprint, to be written on the version in effect
    parts: dict[str, object]  # what the fingerprint is made of (kept as state, to say what changed later)
    technical: CheckRecord | None = None  # the technical version, when the stored capture reads otherwise now
    document: Document | None = None  # its text
    baselines: dict[str, dict[str, Any]] = field(default_factory=dict)  # the watches, moved to it silently
    note: str | None = None  # why no technical version could be made
    broken: bool = False  # the stored capture is not the document under the new rules (`note` says why)
    # a combined document's technical version: the parts it is read from (stored, or a part just added)
    captures: list[PartWrite] = field(default_factory=list)

    def state(self, before: PageState) -> PageState:
        """The page as the check compares with it: after the technical version, if there is one."""
        technical = self.technical
        if technical is None or technical.version is None:
            return before
        assert before.current is not None  # a technical version follows a stored one
        current = VersionInfo(
            technical.version, technical.time, None, 1, technical.time, technical.raw_sha256, self.rules
        )
        return PageState(current, before.last_good, {**before.baselines, **self.baselines})


def rules_change(
    ctx: Context,
    page: PageConfig,
    record: CheckRecord,
    state: PageState,
    fresh: Document | None = None,
    *,
    rule_parts: dict[str, object],
    placed: str = TECHNICAL_KEY,
    fresh_parts: list[PartCapture] | None = None,
) -> RulesChange | None:
    """None when the version in effect was made under the check's rules; else what the check records first.
    `fresh`: the check's own document, which is the stored capture's text when its capture is byte for byte
    the stored one (then nothing is extracted twice). `placed`: the prefix of the technical version's source
    key: a live check's (`TECHNICAL_KEY`) is placed in the order it is recorded, imported history's
    (`HISTORY_KEY`) by its date, as the imported records around it. `fresh_parts`: a combined document's
    parts as the check captured them: a part added to the document since the version is read from them (and a
    part removed drops out), so a new part is the rules' change, never the policy's. `rule_parts`: what
    `record.rules` is the fingerprint of, as the caller worked it out (`fingerprint.rules_now`)."""
    current = state.current
    if current is None or record.rules is None or current.rules == record.rules:
        return None
    change = RulesChange(record.rules, rule_parts)
    if current.rules is None:
        return change  # a store from before fingerprints: its versions were made under today's rules
    what = changed_parts(ctx, current.rules, change.parts)
    same = fresh is not None and record.raw_sha256 is not None and record.raw_sha256 == current.raw_sha256
    raw = None if same else ctx.store.versions.read_raw(page.id, current)
    old = ctx.store.versions.read_document(page.id, current.id)
    stored = None
    if raw is None and not same:
        from monitor.pipeline.combine import read_again, stored_parts

        # A combined document keeps its parts' captures, not one raw capture: those are read again.
        parts = stored_parts(ctx, page, current, fresh_parts)
        if parts is None:
            change.note = (
                f"rules changed ({what}); version {current.id[:12]} has no stored capture to extract again"
            )
            return change
        stored = read_again(ctx, page, parts, old, extract_capture)
        change.captures = [PartWrite(item.number, item.rules.url, item.raw_sha256) for item in parts]
    document: Document | None
    if stored is not None:
        document, reason = stored
    elif fresh is not None and same:
        from monitor.extract.walls import collapse_reason

        document, reason = fresh, collapse_reason(fresh, old, page=page, quality=ctx.config.quality)
        document = None if reason else document
    else:
        assert raw is not None
        brought = ctx.store.versions.record(page.id, current.since, current.id)
        document, reason = extract_again(ctx, page, brought.record if brought is not None else None, raw, old)
    if document is None:
        change.note, change.broken = f"rules changed ({what}): the stored capture under them: {reason}", True
        return change
    text = document.to_text().encode("utf-8")
    sha = hashlib.sha256(text).hexdigest()
    if sha == current.id:
        # Said once, on the check that first reads under them: the rules changed, the text did not.
        change.note = reads_the_same(what)
        return change
    ctx.store.versions.put(page.id, text, None, hashed=(sha, None))
    technical = technical_record(
        page.id, record.time, page.url, Outcome.CHANGED, version=sha, raw_sha256=current.raw_sha256,
        rules=record.rules, made_under=current.rules, changed=what, placed=placed,
    )  # fmt: skip
    technical.previous = current.id
    describe_change(ctx, page, technical, old, document)
    change.technical, change.document = technical, document
    change.baselines = _follow_watches(ctx, page, state, old, document, technical)
    return change


def technical_record(
    page: str,
    time: str,
    url: str,
    outcome: Outcome,
    *,
    version: str,
    raw_sha256: str | None,
    rules: str,
    made_under: str | None,
    changed: str,
    placed: str = TECHNICAL_KEY,
    after: int | None = None,
    was: str | None = None,
) -> CheckRecord:
    """The record of a technical version (or of a note that the version in effect reads the same): the text
    `version` under the rules of fingerprint `rules`, made from the capture read under `made_under`. Its source
    key is `placed` (see `rules_change`), the fingerprint and the time; a re-reading (imports/reread.py) also
    names the number of the record it reads again (`after`) and the text that record stored (`was`)."""
    record = CheckRecord(page=page, time=time, url=url, outcome=outcome)
    record.version = record.text_sha256 = version
    record.raw_sha256, record.rules, record.renderer = raw_sha256, rules, "rules"
    key = f"{placed}{rules}@{time}"
    source: dict[str, Any] = {"kind": "rules", "id": rules, "previous": made_under, "changed": changed}
    if after is None:
        source["key"] = key
    else:
        source |= {"key": f"{key}#{after}", "after": after, "was": was}
    record.source = source
    return record


def reads_the_same(changed: str) -> str:
    """What is said once when the stored capture reads the same under the changed rules."""
    return f"rules changed ({changed}): the stored capture reads the same under them"


def changed_parts(ctx: Context, previous: str, parts: dict[str, object]) -> str:
    """What differs between the rules of fingerprint `previous` and `parts`, in one line."""
    before = ctx.store.state.read_json(rules_parts_file(previous))
    if before is None:
        return f"rules {previous[:8]} before"
    differ = [
        _parts_change(before.get(name), value)
        if name == "parts"
        else f"{name} {_show(before.get(name))} -> {_show(value)}"
        for name, value in parts.items()
        if before.get(name) != value
    ]
    return "; ".join(differ) or "the same parts"


def _parts_change(before: object, now: object) -> str:
    """A combined document's parts changed, said short: how many, or which part's rules (the whole lists of
    every part's select and remove would run to hundreds of characters)."""
    old = before if isinstance(before, list) else []
    new = now if isinstance(now, list) else []
    if len(old) != len(new):
        return f"parts {len(old)} -> {len(new)}"
    changed = [str(n) for n, (a, b) in enumerate(zip(old, new, strict=True), 1) if a != b]
    return f"rules of part {', '.join(changed)}: " + "; ".join(
        f"{_show(old[int(n) - 1])} -> {_show(new[int(n) - 1])}" for n in changed
    )


def _show(value: object) -> str:
    """A rule as config.toml writes it: a selector bare, a range (or a part's rules) as an inline table."""
    if value is None or value == []:
        return "none"
    if isinstance(value, list):
        return ", ".join(_show(item) for item in value)
    if isinstance(value, dict):
        shown = (
            f"{key} = {json.dumps(item, ensure_ascii=False) if isinstance(item, str) else _show_list(item)}"
            for key, item in value.items()
        )
        return "{ " + ", ".join(shown) + " }"
    return str(value)


def _show_list(value: object) -> str:
    if not isinstance(value, list):
        return _show(value)
    return "[" + ", ".join(json.dumps(item) if isinstance(item, str) else _show(item) for item in value) + "]"


def extract_again(
    ctx: Context, page: PageConfig, made: CheckRecord | None, raw: bytes, old: Document
) -> tuple[Document | None, str | None]:
    """The stored capture's text under the check's rules, judged as a check judges it (collapse included).
    `made`: the record that brought the capture (its address and headers), when the store has it."""
    from monitor.fetch.common import decode_html, is_pdf

    url = (made.final_url or made.url) if made is not None else page.url
    headers = dict(made.headers) if made is not None else {}
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    html, encoding = ("", "") if is_pdf(raw) else decode_html(raw, content_type)  # a PDF is read as bytes
    fetched = FetchResult(url, url, 200, headers, raw, html, encoding, "stored", 0.0)
    try:
        extraction, reason = extract_capture(ctx, page, fetched, last_good=old)
    except Exception as error:  # noqa: BLE001 - a capture that breaks extraction fails this check, as live
        from monitor.pipeline.capture import unexpected

        return None, unexpected("extraction", error)
    if extraction is None or reason:
        return None, reason or "no document"
    return extraction.document, None


def describe_change(
    ctx: Context, page: PageConfig, record: CheckRecord, old: Document, new: Document
) -> None:
    """What a live change record says of its change (counts, cosmetic, the summary a reader sees first), for a
    version a live check did not make (a technical version, an imported one)."""
    from monitor.diff.core import diff_documents
    from monitor.diff.summary import summarize

    diff = diff_documents(old, new)
    record.changes, record.cosmetic = diff.summary(), diff.cosmetic_only
    watched = [watch for watch in ctx.config.watches if page.id in watch.pages]
    record.summary = summarize(diff, watched=watched).to_json()


def _follow_watches(
    ctx: Context, page: PageConfig, state: PageState, old: Document, new: Document, record: CheckRecord
) -> dict[str, dict[str, Any]]:
    """The baselines of the page's watches on the technical version; their alerts are dropped: not news."""
    from monitor.watch.evaluate import evaluate_watches, watches_of

    watches = watches_of(ctx.config.watches, page.id)
    if not watches or record.version is None:
        return {}
    evaluation = evaluate_watches(
        watches, page.id, state.baselines, old=old, new=new, diff=None,
        version=record.version, previous=record.previous, time=record.time,
    )  # fmt: skip
    return evaluation.baselines
