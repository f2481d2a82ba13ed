"""`export --objection ID`: an objection's proof as one zip that holds up without this program.

The objection's record exactly as stored in the objections chain (`objection.json`), its chain position and
time-stamp token, a withdrawal's record when there is one, the confirmation mail's hash (in the record; the
mail itself only with `include_mail`), and for each page it concerns the version in effect at the end of the
objection's day (in `[digest] timezone`, the zone of every time the person sees), as a page's export
bundles it (`pages/<page>/`: WARC, raw capture, text, check record, chain position, token). `SHA256SUMS`, the
export's own token over it, and a README saying how to check each.
The zip names a person's case and accounts: it is written owner-only (0600).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from monitor.config.loading import Config
from monitor.errors import UsageError
from monitor.evidence.bundle import (
    Stamper,
    VersionFiles,
    manifest,
    version_files,
    write_stamped,
)
from monitor.objections.ledger import MAIL_FOLDER, Objection, objections
from monitor.objections.words import objection_name
from monitor.pipeline.stamp import ExportStamp
from monitor.store.core import Store
from monitor.store.objections import ChainedObjection

MODE = 0o600


@dataclass(frozen=True, slots=True)
class PageThen:
    page: str
    files: VersionFiles | None  # None: nothing stored for the page
    version: str | None = None
    since: str | None = None
    before_first: bool = False  # no version stored from that day: the first stored one


@dataclass(frozen=True, slots=True)
class ObjectionExported:
    path: Path
    objection: Objection
    pages: list[PageThen]
    stamp: ExportStamp | None


def export_objection(
    store: Store, config: Config, objection_id: int, out: Path, *, include_mail: bool = False,
    stamper: Stamper | None = None,
) -> ObjectionExported:  # fmt: skip
    """Write objection `objection_id`'s bundle to `out` (FILE.zip)."""
    if out.suffix.lower() != ".zip":
        raise UsageError(f"{out}: the bundle is a zip file: name it FILE.zip")
    objection = next((o for o in objections(store) if o.id == objection_id), None)
    if objection is None:
        raise UsageError(f"export --objection {objection_id}: no objection {objection_id} (see `privacy-monitor objections`)")  # fmt: skip
    files: dict[str, bytes] = {}
    ca: str | None = None
    records = store.objections.chained(objection_id)
    tokens: set[str] = set()  # the records that have a time-stamp token
    for chained in records:
        name = "objection" if chained.action == "add" else f"{chained.action}-{chained.seq}"
        files[f"{name}.json"] = chained.json.encode("utf-8")
        files[f"{name}-chain.json"] = _json(chained.position())
        if stamped := store.timestamps.token_for(chained.sha256):
            files[f"{name}.tsr"], ca = stamped[0], stamped[1] or ca
            tokens.add(chained.sha256)
    if include_mail:
        files["confirmation.eml"] = _mail(store, objection)
    pages = [_page_then(store, config, page, objection) for page in objection.pages]
    for then in pages:
        if then.files is not None:
            ca = then.files.ca_pem or ca
            files.update({f"pages/{then.page}/{name}": data for name, data in then.files.files.items()})
    sums = manifest(files)
    files["SHA256SUMS"] = sums.encode("utf-8")
    if ca is not None:
        files["tsa-ca.pem"] = ca.encode("utf-8")
    readme = _readme(objection, records, pages, include_mail, tokens, config.digest.timezone)
    stamp = write_stamped(out, files, readme, sums, stamper, time=objection.recorded, mode=MODE, step=7)
    return ObjectionExported(out, objection, pages, stamp)


def _json(data: dict[str, object]) -> bytes:
    import json

    return (json.dumps(data, indent=2) + "\n").encode("utf-8")


def _mail(store: Store, objection: Objection) -> bytes:
    if not objection.confirmation:
        raise UsageError(f"export --objection {objection.id} --include-mail: objection {objection.id} has no "
                         "confirmation mail on record; leave out --include-mail")  # fmt: skip
    path = store.state.path(f"{MAIL_FOLDER}/{objection.confirmation['sha256']}.eml")
    try:
        return path.read_bytes()
    except OSError as error:
        raise UsageError(f"{path}: cannot read the confirmation mail ({error.strerror}); restore it from a "
                         "backup of the store, or leave out --include-mail") from None  # fmt: skip


def _page_then(store: Store, config: Config, page_id: str, objection: Objection) -> PageThen:
    """The version of `page_id` in effect at the end of the objection's day, or its first when it came later."""
    try:
        timeline = store.versions.list(page_id)
    except UsageError:  # not a page id the store can hold: nothing stored for it (damage is not caught)
        timeline = []
    if not timeline:
        return PageThen(page_id, None)
    try:
        info = store.versions.resolve(page_id, objection.date, ZoneInfo(config.digest.timezone))
        before_first = False
    except UsageError:  # tracking started after that day
        info, before_first = timeline[0], True
    configured = {page.id: page for page in config.pages}.get(page_id)
    cookies = configured is not None and configured.cookies_file is not None
    files = version_files(store, page_id, info, cookies=cookies)
    return PageThen(page_id, files, info.id, info.since, before_first)


def _readme(
    objection: Objection, records: list[ChainedObjection], pages: list[PageThen], mail: bool, tokens: set[str],
    zone: str,
) -> str:  # fmt: skip
    name = objection_name(objection)
    lines = [
        "PRIVATE: this bundle names an objection's case and accounts. Share it only as far as the purpose needs.",
        "",
        f"Objection #{objection.id}, {name}, recorded {objection.recorded}.",
    ]
    if objection.withdrawn:
        lines.append(
            f"Withdrawn {objection.withdrawn} (the withdrawal is a record of its own; nothing is deleted)."
        )
    lines += [f"It concerns the pages {', '.join(objection.pages)}"
              + (f" and the clause watches {', '.join(objection.watches)}." if objection.watches else "."), "",
              "Files"]  # fmt: skip
    for chained in records:
        stem = "objection" if chained.action == "add" else f"{chained.action}-{chained.seq}"
        lines.append(
            f"{stem}.json  the {chained.action} record exactly as stored in the monitor's objections chain"
        )
        lines.append(f"{stem}-chain.json  its place in that chain: record {chained.seq} of {chained.total}")
    if objection.confirmation:
        sha = objection.confirmation["sha256"]
        lines.append(
            f"confirmation.eml  the confirmation mail as received (its sha256, {sha}, is in objection.json)"
            if mail
            else f"The confirmation mail is not in this bundle (export with --include-mail to add it): its sha256 "
            f"is {sha} (confirmation.sha256 in objection.json); `sha256sum` your copy to match it."
        )
    for then in pages:
        if then.files is None:
            lines.append(f"pages/{then.page}/  nothing: the monitor had stored no version of this page")
            continue
        when = (f"no version was stored from that day: the first stored version, in effect since {then.since}"
                if then.before_first
                else f"the version in effect at the end of {objection.date} ({zone}), since {then.since}")  # fmt: skip
        lines.append(f"pages/{then.page}/  {when}: version {then.version}")
        raw = f"{then.files.raw_name}, " if then.files.raw_name else ""  # capture.html or capture.pdf
        lines.append(f"    capture.warc.gz, {raw}text.md, check.json, chain.json, check.tsr")
        lines.append("    (when stamped): as a page's export bundles them")
    lines += ["SHA256SUMS  the sha256 of each file above", "", "Checking it with standard tools",
              "1. sha256sum -c SHA256SUMS                      every file is intact",
              "2. sha256sum objection.json                     equals record_sha256 in objection-chain.json, and the",
              "   `chain` of the chain's next record (named_by_next_record): the record was not edited since;",
              "   `privacy-monitor verify` re-checks the whole chain of the store this came from."]  # fmt: skip
    stamped = [chained for chained in records if chained.sha256 in tokens]
    for chained in stamped:
        stem = "objection" if chained.action == "add" else f"{chained.action}-{chained.seq}"
        lines.append(f"3. openssl ts -verify -in {stem}.tsr -digest {chained.sha256} -CAfile tsa-ca.pem")
    lines.append("   prints 'Verification: OK': the record existed, as it is, at the token's time."
                 if stamped else "3. The objection's records have no RFC 3161 time-stamp token (none configured, or not yet asked).")  # fmt: skip
    for then in pages:
        if then.files is not None:
            folder = f"pages/{then.page}"
            lines += [f"4. sha256sum {folder}/text.md        equals text_sha256 in {folder}/check.json",
                      f"5. sha256sum {folder}/check.json     equals record_sha256 in {folder}/chain.json"]  # fmt: skip
            if "check.tsr" in then.files.files:
                lines.append(f"   openssl ts -verify -in {folder}/check.tsr -digest {then.files.chained.sha256} -CAfile tsa-ca.pem")  # fmt: skip
    lines.append(
        "6. Any WARC reader opens pages/PAGE/capture.warc.gz: warcio index pages/PAGE/capture.warc.gz"
    )
    return "\n".join(lines) + "\n"
