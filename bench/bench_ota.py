"""This tool's extraction under an Open Terms Archive declaration against OTA's own engine, on the same snapshots.

For every case in ../shared/corpus/ota/cases/ (the snapshots OTA fetched and the declaration in force then):
- the engine: `@opentermsarchive/engine@9.1.0` (jsdom + turndown for HTML, its PDF reader for PDFs), installed
  with npm into bench/.ota-engine/ once (PUPPETEER_SKIP_DOWNLOAD=true, --ignore-scripts) and reused after;
  bench/ota_extract.mjs calls its `src/archivist/extract/index.js` on a `SourceDocument` per snapshot (a
  combined document's parts all extracted and joined, as its archivist does), warm, in one Node process that
  stays up for the whole run, so Node's start-up is not counted;
- this tool: what a check does with a capture of a page whose `declaration` points at a copy of that declaration
  (fetched once on loopback by the real pipeline; timed: `pipeline.capture.judge_capture`, i.e. select/remove
  with ranges, each combined part under its own rules, the PDF reader, the wall and coverage checks, then the
  text a version stores, `Document.to_text`), warm.
The two take turns run by run (a noisy moment of the machine hits both alike), this tool's run once Node has
gone quiet for 50 ms (its garbage collector goes on after it answers); the best of N (9) of each, wall clock
and CPU time (each process's own, all its threads), each ratio ours/engine a `RESULT` line: goal 0.1 per case
with an HTML snapshot, 1.0 per PDF. Filters run in Chromium in this tool
(in jsdom in the engine): they are left out on both sides, and the case that names one says so. Each row also
prints the word recall of the engine's visible words in our text: below 0.9 the two did not extract the same
document, and the bench fails (exit status 1), as it does when a goal is missed. Without node or npm (or when
npm cannot install the engine) it says so, measures nothing and exits 0.

    .venv/bin/python bench/bench_ota.py [--repeat 9] [CASE ...]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote

from benchlib import CORPUS, SKIPPED_PREFIX, Timing, cpu_time, missing, result

HERE = Path(__file__).resolve().parent
CASES = CORPUS / "ota" / "cases"
ENGINE = "@opentermsarchive/engine"
ENGINE_VERSION = "9.1.0"
ENGINE_DIR = HERE / ".ota-engine"
SCRIPT = HERE / "ota_extract.mjs"
GOALS = {"html": 0.1, "pdf": 1.0}
SAME_DOCUMENT = (
    0.9  # the least word recall of the engine's text in ours that says both read the same document
)
_RANGE_KEYS = ("startBefore", "startAfter", "endBefore", "endAfter")


@dataclass(frozen=True)
class Snapshot:
    """One fetched page of a case, with the rules the declaration gives it (a combined part's over the shared)."""

    file: Path
    url: str
    select: Any
    remove: Any
    filters: list[Any]

    @property
    def mime_type(self) -> str:
        return "application/pdf" if self.file.suffix == ".pdf" else "text/html"


@dataclass(frozen=True)
class Case:
    folder: Path
    service: str
    terms: str
    declaration: dict[str, Any]
    snapshots: list[Snapshot]

    @property
    def name(self) -> str:
        return "ota-" + re.sub(r"[^a-z0-9]+", "-", self.folder.name.lower()).strip("-")

    @property
    def kind(self) -> str:
        return "pdf" if all(item.mime_type == "application/pdf" for item in self.snapshots) else "html"


def read_case(folder: Path) -> Case:
    case = json.loads((folder / "case.json").read_text(encoding="utf-8"))
    entry = case["declaration"]["terms"][case["terms"]]
    shared = {key: value for key, value in entry.items() if key != "combine"}
    declared = [{**shared, **part} for part in entry["combine"]] if "combine" in entry else [entry]
    if len(declared) != len(case["parts"]):
        raise ValueError(f"{folder / 'case.json'}: {len(case['parts'])} snapshots for {len(declared)} pages")
    snapshots = []
    for rules, part in zip(declared, case["parts"], strict=True):
        raw_filters = rules.get("filter") or []
        snapshots.append(
            Snapshot(
                file=folder / part["file"],
                url=rules["fetch"],
                select=rules.get("select"),
                remove=rules.get("remove"),
                filters=raw_filters if isinstance(raw_filters, list) else [raw_filters],
            )
        )
    return Case(folder, case["service"], case["terms"], case["declaration"], snapshots)


# ---- the engine -------------------------------------------------------------------------------------------


def engine_ready() -> tuple[bool, str]:
    """The engine installed in bench/.ota-engine/ (once; reused when present), or why it cannot be."""
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            return False, f"{tool} is not on PATH (install Node.js 20 or newer to compare with OTA's engine)"
    installed = ENGINE_DIR / "node_modules" / ENGINE / "package.json"
    if (
        installed.exists()
        and json.loads(installed.read_text(encoding="utf-8")).get("version") == ENGINE_VERSION
    ):
        return True, f"{ENGINE}@{ENGINE_VERSION} in {ENGINE_DIR.relative_to(HERE.parent)} (installed before)"
    print(
        f"installing {ENGINE}@{ENGINE_VERSION} into {ENGINE_DIR} with npm (once, 1-2 minutes) ...", flush=True
    )
    ENGINE_DIR.mkdir(exist_ok=True)
    manifest = ENGINE_DIR / "package.json"
    if not manifest.exists():  # npm installs here, not into the nearest package.json above
        manifest.write_text(
            '{"private": true, "description": "bench_ota.py: OTA engine"}\n', encoding="utf-8"
        )
    npm = ["npm", "install", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"]
    done = subprocess.run(
        [*npm, f"{ENGINE}@{ENGINE_VERSION}"],
        cwd=ENGINE_DIR,
        env={**os.environ, "PUPPETEER_SKIP_DOWNLOAD": "true"},
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode or not installed.exists():
        lines = (done.stderr or done.stdout).strip().splitlines()
        return (
            False,
            f"npm install {ENGINE}@{ENGINE_VERSION} failed: {lines[-1] if lines else done.returncode}",
        )
    return True, f"{ENGINE}@{ENGINE_VERSION} installed in {ENGINE_DIR.relative_to(HERE.parent)}"


class Engine:
    """OTA's engine in one Node process (bench/ota_extract.mjs): each case extracted once untimed on start (its
    Markdown in `first`), then one timed extraction per `run`."""

    def __init__(self, cases: list[Case], workdir: Path) -> None:
        jobs = {
            "cases": [
                {
                    "name": case.name,
                    "parts": [
                        {"file": str(item.file), "location": item.url, "mimeType": item.mime_type}
                        | ({"select": item.select} if item.select is not None else {})
                        | ({"remove": item.remove} if item.remove is not None else {})
                        for item in case.snapshots
                    ],
                }
                for case in cases
            ]
        }
        jobs_file = workdir / "ota-jobs.json"
        jobs_file.write_text(json.dumps(jobs), encoding="utf-8")
        self.process = subprocess.Popen(
            ["node", str(SCRIPT), str(ENGINE_DIR), str(jobs_file)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.first: dict[str, dict[str, Any]] = {item["name"]: item for item in self._answer()["cases"]}

    def _answer(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(
                f"{SCRIPT.name} ended (exit status {self.process.wait()}): see its error above"
            )
        answer: dict[str, Any] = json.loads(line)
        return answer

    def run(self, name: str) -> Timing:
        """One timed extraction of the case `name`, wall and CPU seconds (measured inside Node)."""
        assert self.process.stdin is not None
        self.process.stdin.write(name + "\n")
        self.process.stdin.flush()
        answer = self._answer()
        if "error" in answer:
            raise RuntimeError(f"{SCRIPT.name}: {answer['error']}")
        return Timing(float(answer["seconds"]), float(answer["cpu"]))

    def settle(self, quiet: float = 0.05, longest: float = 1.0) -> None:
        """Wait until Node has used no CPU for `quiet` seconds (at most `longest`): its garbage collector and
        compiler threads go on after it answered, and on a two-core machine they would run beside this tool's
        timed run, counted in neither side's figures but slowing ours. Linux only (/proc); elsewhere no wait."""
        stat = Path(f"/proc/{self.process.pid}/stat")
        if not stat.exists():
            return
        ticks = os.sysconf("SC_CLK_TCK")

        def used() -> float:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / ticks  # utime, stime

        deadline, last = time.monotonic() + longest, used()
        while time.monotonic() < deadline:
            time.sleep(quiet)
            now = used()
            if now == last:
                return
            last = now

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        self.process.wait()


# ---- this tool --------------------------------------------------------------------------------------------


class _Snapshots(SimpleHTTPRequestHandler):
    """Serves the cases' snapshots on loopback, as their sites served them (HTML as UTF-8, PDF as a PDF)."""

    extensions_map = {".html": "text/html; charset=utf-8", ".pdf": "application/pdf"}

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - http.server's name
        pass


@contextmanager
def serving(folder: Path) -> Iterator[str]:
    """`folder` on a loopback HTTP server for the time of the block: its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Snapshots, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def on_loopback(case: Case, base_url: str) -> dict[str, Any]:
    """The case's declaration with its document's fetch URL(s) on the loopback server."""
    declaration = json.loads(json.dumps(case.declaration))
    entry = declaration["terms"][case.terms]
    pages = entry.get("combine", [entry])
    for page, snapshot in zip(pages, case.snapshots, strict=True):
        page["fetch"] = (
            f"{base_url}/{quote(case.folder.parent.name)}/{quote(case.folder.name)}/{snapshot.file.name}"
        )
    return declaration


def our_extraction(case: Case, base_url: str, workdir: Path, opened: ExitStack) -> Callable[[], str]:
    """What a check does with the case's capture, fetched once on loopback by the real pipeline: a callable
    that extracts and judges it (`judge_capture`) and returns the text a version stores. The store and
    context it opens are closed with `opened`."""
    from monitor.config.loading import LoadedConfig, parse_config
    from monitor.pipeline.capture import Context, fetch_for_check, judge_capture
    from monitor.store.core import Store

    folder = workdir / case.folder.name
    declarations = folder / "checkout" / "declarations"
    declarations.mkdir(parents=True)
    # The declaration alone, no filters file: filters need Chromium here (left out on both sides).
    (declarations / f"{case.service}.json").write_text(
        json.dumps(on_loopback(case, base_url)), encoding="utf-8"
    )
    declared = {"path": str(folder / "checkout"), "service": case.service, "terms": case.terms}
    config = parse_config(
        {
            "store": {"path": str(folder / "snapshots")},
            "fetch": {"retries": 0, "timeout": 30},
            "pages": [{"id": "doc", "renderer": "http", "declaration": declared}],
        },
        base_dir=folder,
    )
    loaded = LoadedConfig(config, None)
    store = Store(loaded.store_path)
    opened.callback(store.close)
    ctx = Context(loaded, store, deliver=False)
    opened.callback(ctx.close)  # run first: the fetchers, then the store
    pending = fetch_for_check(ctx, config.pages[0])
    page = pending.page or config.pages[0]  # the page with its declaration read for this check
    capture = pending.capture
    if capture is None or capture.fetched is None:
        raise RuntimeError(
            f"{case.folder.name}: not fetched: {capture.reason if capture else pending.damaged}"
        )

    def extract() -> str:
        judged = judge_capture(ctx, page, capture, last_good=None)
        if judged.extraction is None or judged.reason:
            raise RuntimeError(f"{case.folder.name}: not extracted: {judged.reason}")
        return judged.extraction.document.to_text()

    return extract


# ---- the same document? -----------------------------------------------------------------------------------


def visible_words(markdown: str) -> Counter[str]:
    """The words a reader sees of Markdown: link targets, image addresses and markup gone."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", markdown)
    return Counter(re.findall(r"\w+", re.sub(r"<[^>]+>", " ", text).lower()))


def recall(engine_markdown: str, ours: str) -> float:
    expected = visible_words(engine_markdown)
    common = sum((expected & visible_words(ours)).values())
    return common / max(1, sum(expected.values()))


def timed(action: Callable[[], object]) -> Timing:
    """One run of `action`: wall and this process's CPU seconds."""
    wall, cpu = time.perf_counter(), cpu_time()
    action()
    return Timing(time.perf_counter() - wall, cpu_time() - cpu)


def fastest(one: Timing, other: Timing) -> Timing:
    return Timing(min(one.wall, other.wall), min(one.cpu, other.cpu))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9, help="timed runs per measurement; the best is kept")
    parser.add_argument("cases", nargs="*", help="case folders to run (default: all)")
    args = parser.parse_args()
    if not CASES.is_dir():
        return missing(CASES)
    cases = [read_case(path.parent) for path in sorted(CASES.glob("*/*/case.json"))]
    cases = [case for case in cases if not args.cases or case.folder.name in args.cases]
    print(__doc__.split("\n\n")[0], flush=True)
    print(
        f"{len(cases)} cases from {CASES}; best of {args.repeat}, warm, wall clock and CPU time", flush=True
    )
    ready, how = engine_ready()
    if not ready:
        print(f"{SKIPPED_PREFIX} the engine rows need OTA's engine: {how}", flush=True)
        return 0
    print(f"engine: {how}", flush=True)
    ok = True
    with tempfile.TemporaryDirectory(prefix="bench-ota-") as temp, serving(CASES) as base_url:
        workdir = Path(temp)
        engine = Engine(cases, workdir)
        opened = ExitStack()  # our stores and contexts
        try:
            ours: dict[str, Callable[[], str]] = {}
            texts: dict[str, str] = {}
            for case in cases:
                try:
                    ours[case.name] = our_extraction(case, base_url, workdir, opened)
                    texts[case.name] = ours[case.name]()  # the warm-up run, and the text compared
                except RuntimeError as error:
                    print(f"{case.name}: this tool failed: {error}", flush=True)
                if engine.first[case.name].get("error"):
                    print(f"{case.name}: the engine failed: {engine.first[case.name]['error']}", flush=True)
            measured = [
                case for case in cases if case.name in texts and not engine.first[case.name].get("error")
            ]
            ok = len(measured) == len(cases)
            theirs = {case.name: Timing(math.inf, math.inf) for case in measured}
            mine = dict(theirs)
            for _ in range(args.repeat):  # taking turns, run by run: a noisy moment hits both alike
                for case in measured:
                    theirs[case.name] = fastest(theirs[case.name], engine.run(case.name))
                    engine.settle()
                    mine[case.name] = fastest(mine[case.name], timed(ours[case.name]))
        finally:
            opened.close()
            engine.close()
    for case in measured:
        filters = [item for snapshot in case.snapshots for item in snapshot.filters]
        note = f"; filters {json.dumps(filters)} left out on both sides (a browser's)" if filters else ""
        markdown = engine.first[case.name]["markdown"]
        same = recall(markdown, texts[case.name])
        snapshots = f"{len(case.snapshots)} snapshot{'s' if len(case.snapshots) > 1 else ''}"
        print(f"{case.name} ({case.kind}, {snapshots}{note}):", flush=True)
        for who, timing in (("this tool", mine[case.name]), ("OTA engine", theirs[case.name])):
            print(
                f"  {who:<10} wall {timing.wall * 1000:8.1f} ms   CPU {timing.cpu * 1000:8.1f} ms", flush=True
            )
        counts = f"{sum(visible_words(texts[case.name]).values())} words ours, {sum(visible_words(markdown).values())}"
        print(f"  word recall of the engine's text in ours: {same:.3f} ({counts} the engine's)", flush=True)
        if same < SAME_DOCUMENT:
            print(f"  NOT THE SAME DOCUMENT: recall {same:.3f} < {SAME_DOCUMENT}", flush=True)
            ok = False
        for clock in ("cpu", "wall"):
            ratio = getattr(mine[case.name], clock) / getattr(theirs[case.name], clock)
            ok &= result(f"{case.name}/{clock}", ratio, GOALS[case.kind])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
