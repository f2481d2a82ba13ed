"""A 100-page PDF report checked end to end (fetch on loopback, extraction, store): time and peak RSS.

The report is the corpus's two Pinterest systemic-risk reports (real layout: running headers, page numbers,
footnotes, tables) put together and repeated to 100 pages with pypdfium2. Goals: under 10 s and 300 MB. Each
measurement runs in a fresh process, so its peak RSS is the check's own.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from benchlib import CORPUS, ROOT, missing, result

REPORTS = sorted((CORPUS / "ota" / "cases" / "dsa-reports").glob("Pinterest__Systemic_Risks_*/part-0.pdf"))


def build_report(pages: int) -> bytes:
    import pypdfium2 as pdfium

    sources = [pdfium.PdfDocument(path) for path in REPORTS]
    report = pdfium.PdfDocument.new()
    while len(report) < pages:
        for source in sources:
            take = min(len(source), pages - len(report))
            if take > 0:
                report.import_pages(source, list(range(take)))
    with tempfile.TemporaryFile() as handle:
        report.save(handle)
        handle.seek(0)
        return handle.read()


class _QuietHandler(SimpleHTTPRequestHandler):
    extensions_map = {".pdf": "application/pdf"}

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - http.server's name
        pass


def measure_check(url: str) -> None:
    from monitor.config.loading import LoadedConfig, parse_config
    from monitor.pipeline.check import Context, check_page
    from monitor.store.core import Store

    with tempfile.TemporaryDirectory(prefix="bench-pdf-") as workdir:
        config = parse_config(
            {
                "store": {"path": str(Path(workdir) / "snapshots")},
                "fetch": {"retries": 0, "timeout": 60},
                "pages": [{"id": "report", "url": url}],
            }
        )
        loaded = LoadedConfig(config, None)
        ctx = Context(loaded, Store(loaded.store_path), deliver=False)
        started = time.perf_counter()
        checked = check_page(ctx, config.pages[0])
        elapsed = time.perf_counter() - started
        words = (
            len(ctx.store.versions.read_text("report", checked.record.version).split())
            if checked.record.version
            else 0
        )
        ctx.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"{peak:.1f} {elapsed:.2f} {words} {checked.record.outcome} {checked.record.reason or ''}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=100)
    parser.add_argument("--goal-seconds", type=float, default=10.0)
    parser.add_argument("--goal-mb", type=float, default=300.0)
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # internal: one measurement, in a subprocess
    args = parser.parse_args()
    if args.measure:
        measure_check(args.measure)
        return 0
    if not REPORTS:
        return missing(CORPUS / "ota" / "cases" / "dsa-reports")
    with tempfile.TemporaryDirectory(prefix="bench-pdf-site-") as site:
        raw = build_report(args.pages)
        (Path(site) / "report.pdf").write_bytes(raw)
        server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=site))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            url = f"http://127.0.0.1:{server.server_port}/report.pdf"
            done = subprocess.run(
                [sys.executable, __file__, "--measure", url],
                capture_output=True,
                text=True,
                cwd=ROOT,
                check=False,
            )
        finally:
            server.shutdown()
            server.server_close()
    if done.returncode != 0:
        sys.exit(f"measurement failed:\n{done.stderr}")
    peak, elapsed, words, outcome, *reason = done.stdout.split()
    print(f"report: {args.pages} pages, {len(raw) / 2**20:.1f} MiB; check_page: {outcome} {' '.join(reason)}")
    print(f"  {float(elapsed):.2f} s, peak RSS {float(peak):.1f} MB, {words} words stored")
    fast = result(
        f"pdf-check-{args.pages}p-seconds/{args.goal_seconds:g}s", float(elapsed) / args.goal_seconds, 1
    )
    small = result(f"pdf-check-{args.pages}p-peak-rss/{args.goal_mb:g}MB", float(peak) / args.goal_mb, 1)
    return 0 if fast and small and outcome == "new" else 1


if __name__ == "__main__":
    sys.exit(main())
