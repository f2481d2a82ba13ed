"""Writing the report site: every file atomically (fsutil.atomic_write), and only what changed.

`manifest.json` in the site keeps a fingerprint of the inputs of each change and version page (the two versions,
the neighbours it links to, the page's title and locale, the format of the templates) and the substantive words
each change changed (the heights of the timeline's bars). A later build renders a change page only when its
fingerprint differs, so after one new change it diffs that change and re-links its predecessor, and rewrites
the page, the index and the feed; every other file stays as it is. Its fingerprints include a hash of the templates, so a new release writes every page again. The manifest is written last: a build that
stops half-way leaves complete files and a manifest that still describes the ones it did not finish.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from monitor import fsutil
from monitor.config.loading import Config, LoadedConfig, PageConfig
from monitor.diff.core import DocumentDiff, diff_documents
from monitor.errors import MonitorError, StoreDamaged, StoreLocked, UsageError
from monitor.models import CheckRecord
from monitor.notify.feed import build_feed, entry_id
from monitor.present import links
from monitor.present.changes import BlockChange, PageChange, change_shell, page_change
from monitor.report.model import ChangeInfo, PageModel, page_model
from monitor.report.render import Renderer, substantive_words
from monitor.report.watches import histories, watch_inputs
from monitor.store.core import Store

log = logging.getLogger("monitor.report")

LOCK = ".lock"
FORMAT = 1  # of the manifest; a manifest of another format is ignored (every page is written again)


@cache
def templates_digest() -> str:
    """A hash of the report's templates: a page written by other templates is written again."""
    digest = hashlib.sha256()
    for item in sorted(
        resources.files("monitor.report").joinpath("templates").iterdir(), key=lambda i: i.name
    ):
        digest.update(item.name.encode() + b"\0" + item.read_bytes())
    return digest.hexdigest()


@dataclass(slots=True)
class BuildReport:
    out: Path
    pages: int = 0
    changes: int = 0
    written: list[str] = field(default_factory=list)  # site paths written in this build
    unchanged: int = 0  # files already current


def build_site(
    store: Store,
    config: Config,
    out: Path,
    pages: Sequence[str] = (),
    *,
    base_url: str | None = None,
) -> BuildReport:
    """Write (or bring up to date) the site in `out`: all pages, or only `pages` (ids) and the index.
    Private pages (`cookies_file`) are left out, and their files of an earlier build removed, unless
    `[report] include_private` is set."""
    published = config.published_pages()
    wanted = [config.page(page_id) for page_id in pages] if pages else list(published)
    wanted = [page for page in wanted if page in published]
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out}: not a folder (the report site is written into a folder)")
    fsutil.ensure_dir(out)
    lock = fsutil.WriterLock.for_path(out / LOCK)  # the service and a `report` by hand: one build at a time
    try:
        lock.acquire(fsutil.LOCK_WAIT)
    except fsutil.LockBusy as busy:
        raise StoreLocked(
            f"{out}: another privacy-monitor process is writing this report site (pid {busy.pid}); "
            "run it again when that one is done"
        ) from None
    try:
        return _Site(store, config, out, base_url).build(wanted)
    finally:
        lock.release()


class _Site:
    def __init__(self, store: Store, config: Config, out: Path, base_url: str | None) -> None:
        self.store, self.config, self.out, self.base_url = store, config, out, base_url
        self.report = BuildReport(out)
        manifest = _read_manifest(out / links.MANIFEST)
        self.fingerprints: dict[str, str] = manifest.get("files", {})
        self.words: dict[str, int] = manifest.get("words", {})
        self.renderer = Renderer(config, self.words)

    def build(self, wanted: list[PageConfig]) -> BuildReport:
        self.write(
            links.STYLE, resources.files("monitor.report").joinpath("templates/style.css").read_bytes()
        )
        published = self.config.published_pages()
        models = {page.id: page_model(self.store, page) for page in published}  # cheap: no diffing
        # The index and the feed show every published page's timeline, so a page whose files are not all
        # written yet (a new page, or changes a manual `check` or an `import` recorded) is written too.
        wanted = wanted + [p for p in published if p not in wanted and self.missing(models[p.id])]
        for page in wanted:
            model = models[page.id]
            self.report.pages += 1
            self.report.changes += len(model.changes)
            for change in model.changes:
                self.change_page(model, change)
            for entry in model.versions:
                self.version_page(model, entry)
            self.write(model.file, self.renderer.page(model))
        everything = list(models.values())
        for page in self.config.pages:
            if page not in published:
                self.withdraw(page_model(self.store, page))
        self.write(links.INDEX, self.renderer.index(everything))
        self.watch_pages(everything, {page.id for page in wanted})
        self.write(links.FEED, self.feed(everything))
        manifest = {"format": FORMAT, "files": self.fingerprints, "words": self.words}
        fsutil.atomic_write(self.out / links.MANIFEST, json.dumps(manifest, sort_keys=True).encode("utf-8"))
        return self.report

    # -- files -----------------------------------------------------------------------------------------

    def write(self, path: str, content: str | bytes) -> None:
        data = content.encode("utf-8") if isinstance(content, str) else content
        target = self.out / path
        try:
            if target.read_bytes() == data:
                self.report.unchanged += 1
                return
        except OSError:
            pass
        fsutil.atomic_write(target, data)
        self.report.written.append(path)

    def missing(self, model: PageModel) -> bool:
        """Whether a file of the page that the site links (its page, changes, versions) is not written."""
        return not all((self.out / path).exists() for path in model.site_files)

    def withdraw(self, model: PageModel) -> None:
        """Remove a private page's files that an earlier build (with include_private) wrote."""
        for path in model.site_files:
            self.fingerprints.pop(path, None)
            self.words.pop(path, None)
            (self.out / path).unlink(missing_ok=True)

    def current(self, path: str, inputs: Any) -> tuple[bool, str]:
        """Whether `path` is already written from `inputs`, and their fingerprint."""
        stamp = [FORMAT, templates_digest(), self.config.digest.timezone]
        text = json.dumps([stamp, inputs], sort_keys=True, default=str)
        fingerprint = hashlib.sha256(text.encode("utf-8")).hexdigest()
        return self.fingerprints.get(path) == fingerprint and (self.out / path).exists(), fingerprint

    def change_page(self, model: PageModel, change: ChangeInfo) -> None:
        record = change.record
        watched = sorted(set(change.watched) & self.renderer.watch_ids)
        inputs = [
            model.id, model.title, model.lang, record.time, record.previous, record.version, record.summary,
            change.watched, watched, change.number, change.previous_change, change.next_change, change.before,
            change.after,
        ]  # fmt: skip
        done, fingerprint = self.current(change.file, inputs)
        if done and change.file in self.words:
            self.report.unchanged += 1
            return
        diff, error = self.diff(model.id, record)
        if diff is not None:
            self.words[change.file] = substantive_words(diff)
        self.write(change.file, self.renderer.change(model, change, diff, error))
        self.fingerprints[change.file] = fingerprint

    def version_page(self, model: PageModel, entry: Any) -> None:
        info = entry.info
        inputs = [model.id, model.title, model.lang, entry.seq, info.id, info.since, info.until, info.checks,
                  entry.change, entry.effective]  # fmt: skip
        done, fingerprint = self.current(entry.file, inputs)
        if done:
            self.report.unchanged += 1
            return
        try:
            document = self.store.versions.read_document(model.id, info.id)
        except StoreDamaged as error:
            model.damage = str(error)
            return
        self.write(entry.file, self.renderer.version(model, entry, document))
        self.fingerprints[entry.file] = fingerprint

    def diff(self, page_id: str, record: CheckRecord) -> tuple[DocumentDiff | None, str | None]:
        assert record.previous and record.version
        try:
            old = self.store.versions.read_document(page_id, record.previous)
            new = self.store.versions.read_document(page_id, record.version)
            return diff_documents(old, new), None
        except MonitorError as error:
            return None, str(error)

    def watch_pages(self, models: list[PageModel], wanted: set[str]) -> None:
        """A page per watch of published pages: written again when its config or one of its pages'
        timelines changed (which pages are published included); any other watch page is removed, so a page
        left out of the site (a private one) takes its wordings with it."""
        by_id = {model.id: model for model in models}
        shown = {links.watch_file(watch.id) for watch in self.renderer.watches}
        earlier = [path for path in self.fingerprints if path.startswith("watches/")]
        for path in {*earlier, *(links.watch_file(watch.id) for watch in self.config.watches)} - shown:
            self.fingerprints.pop(path, None)
            (self.out / path).unlink(missing_ok=True)
        for watch in self.renderer.watches:
            path = links.watch_file(watch.id)
            done, fingerprint = self.current(path, watch_inputs(watch, by_id))
            if done:
                # Every watch page is checked, so none keeps what the site no longer publishes; only those of
                # the pages asked for count as "already current", as before.
                if set(watch.pages) & wanted:
                    self.report.unchanged += 1
                continue
            self.write(path, self.renderer.watch(watch, histories(self.store, watch, by_id)))
            self.fingerprints[path] = fingerprint

    # -- feed ------------------------------------------------------------------------------------------

    def feed(self, models: list[PageModel]) -> bytes:
        # Each entry links the change page the site wrote for that very change (a change that happens again
        # has a page of its own); a change the timeline does not show (a re-reading stands for it) links its
        # page, so no entry links a file the site lacks.
        files = {entry_id(change.record): change.file for model in models for change in model.changes}

        def link(page: PageConfig, record: CheckRecord) -> str:
            path = files.get(entry_id(record), links.page_file(page.id))
            return links.url(self.base_url, path) if self.base_url else path

        def change_of(page: PageConfig, record: CheckRecord) -> PageChange:
            return stored_change(self.store, page, record)

        feed = build_feed(self.store, self.config, change_of=change_of, link=link)
        return bytes(feed.atom_str(pretty=True))


def stored_change(store: Store, page: PageConfig, record: CheckRecord) -> PageChange:
    """A feed entry's change from the summary stored with its check (no diff); diffed when none is stored."""
    from monitor.diff.summary import ChangeSummary

    if not record.summary or not record.previous or not record.version:
        return page_change(store, page, record)
    change = change_shell(store, page, record)
    change.summary = ChangeSummary.from_json(record.summary)
    change.substantive = [
        BlockChange(h.kind, "substantive", h.section, list(h.segments), list(h.signals))
        for h in change.summary.highlights
    ]
    change.cosmetic = [BlockChange("modified", "cosmetic", "", [])] * change.summary.cosmetic
    return change


def _read_manifest(path: Path) -> dict[str, Any]:
    """The manifest of an earlier build; none (everything is written again) when absent, unreadable or older."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return {}
    files, words = data.get("files"), data.get("words")
    if not isinstance(files, dict) or not isinstance(words, dict):
        return {}
    return {"files": files, "words": words}


def report_dir(loaded: LoadedConfig) -> Path | None:
    """`[report] out`, resolved against the config file's folder like every path of the config; None: unset."""
    out = loaded.config.report.out
    return loaded.resolve(out) if out else None


def update_report(loaded: LoadedConfig, store: Store, page_id: str) -> BuildReport | None:
    """After a check recorded a change: bring the site in `[report] out` up to date for that page and the
    index (nothing when no folder is configured). Never raises: a site that cannot be written is logged."""
    out = report_dir(loaded)
    if out is None:
        return None
    try:
        built = build_site(store, loaded.config, out, [page_id], base_url=loaded.config.report.base_url)
    except (MonitorError, OSError) as error:
        log.error("report site not written: %s", error)
        return None
    log.info("report site: %d files written for %s", len(built.written), page_id, extra={"page": page_id})
    return built
