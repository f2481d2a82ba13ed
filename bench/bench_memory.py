"""Peak memory of checking one very large page, against a plain lxml parse of the same page.

The page is the real ~375 KB capture of Facebook's printable privacy policy (../shared/corpus) with its body
repeated, each copy numbered, up to --mib MiB (default 19: the size that took 907 MB in issue 10, where the
shipped systemd unit allows MemoryMax=1G). A loopback HTTP server in this process serves it; each measurement
runs in its own subprocess, so that one's peak resident set (ru_maxrss) does not hide another's:
- baseline: reading the page's bytes and parsing them with lxml.html, nothing else;
- check: `monitor.pipeline.check.check_page` on the page (default settings: no `select`, the heuristic region),
  fetched over HTTP, into a fresh store.
Goal: the check's peak under 400 MB (well inside MemoryMax=1G). Exit status 1 when missed.

Measured on the 19 MiB page before the extraction was made to fit: lxml parse alone 215 MB, check 890 MB in
148 s (trafilatura.bare_extraction alone took it from 288 to 833 MB and 141 s). Now: trafilatura is not asked
above 2 M characters (the body is the region, as it is on every real capture), visible text is normalized a
chunk at a time, words are counted a window at a time, and the browser-need test counts only up to its limit:
345 MB in 5 s (the region's text is counted a chunk at a time, never held whole), against 214 MB for the
parse alone.

    .venv/bin/python bench/bench_memory.py [--mib 19] [--goal-mb 400]
"""

from __future__ import annotations

import argparse
import re
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

CAPTURE = (
    CORPUS / "html/genai-eu-snapshots/Llama_API/Privacy_Policy_privacy-policy-printable/"
    "2026-04-15T10-31-39Z_eea36448.html"
)


def build_page(mib: float) -> bytes:
    """The capture with its <body> content repeated to `mib` MiB; each copy gets its own heading, so the
    copies are not identical text (as a long document's sections are not)."""
    html = CAPTURE.read_text("utf-8")
    match = re.search(r"(<body[^>]*>)(.*)(</body>)", html, re.S | re.I)
    assert match, "the capture has no <body>"
    head, inner, tail = html[: match.end(1)], match.group(2), html[match.start(3) :]
    copies, size, number = [], len(head) + len(tail), 0
    while size < mib * 1024 * 1024:
        number += 1
        copy = f"<section><h2>Part {number}</h2>{inner}</section>"
        copies.append(copy)
        size += len(copy.encode("utf-8"))
    return (head + "".join(copies) + tail).encode("utf-8")


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - http.server's name
        pass


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def measure_baseline(path: Path) -> None:
    import lxml.html

    raw = path.read_bytes()
    parser = lxml.html.HTMLParser(remove_comments=True, remove_pis=True, huge_tree=True)
    tree = lxml.html.document_fromstring(raw.decode("utf-8"), parser=parser)
    assert tree is not None
    print(f"{peak_mb():.1f}")


def measure_check(url: str) -> None:
    from monitor.config.loading import LoadedConfig, parse_config
    from monitor.pipeline.check import Context, check_page
    from monitor.store.core import Store

    with tempfile.TemporaryDirectory(prefix="bench-memory-") as workdir:
        config = parse_config(
            {
                "store": {"path": str(Path(workdir) / "snapshots")},
                "fetch": {"retries": 0, "timeout": 120, "max_bytes": 64 * 1024 * 1024},
                "pages": [{"id": "big", "url": url}],
            }
        )
        loaded = LoadedConfig(config, None)
        ctx = Context(loaded, Store(loaded.store_path), deliver=False)
        started = time.perf_counter()
        result = check_page(ctx, config.pages[0])
        elapsed = time.perf_counter() - started
        ctx.close()
    record = result.record
    print(f"{peak_mb():.1f} {elapsed:.2f} {record.outcome} {record.reason or ''}")


def run_child(*args: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, cwd=ROOT, check=False
    )
    if done.returncode != 0:
        sys.exit(f"measurement {args[0]} failed:\n{done.stderr}")
    return done.stdout.split()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=float, default=19.0, help="page size in MiB")
    parser.add_argument("--goal-mb", type=float, default=400.0, help="the check's peak RSS goal")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # internal: one measurement, in a subprocess
    parser.add_argument("target", nargs="?", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure == "baseline":
        measure_baseline(Path(args.target))
        return 0
    if args.measure == "check":
        measure_check(args.target)
        return 0
    if not CAPTURE.exists():
        return missing(CAPTURE)

    with tempfile.TemporaryDirectory(prefix="bench-memory-site-") as site:
        page = Path(site) / "privacy.html"
        raw = build_page(args.mib)
        page.write_bytes(raw)
        server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=site))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            baseline = float(run_child("--measure", "baseline", str(page))[0])
            peak, elapsed, outcome, *reason = run_child(
                "--measure", "check", f"http://127.0.0.1:{server.server_port}/privacy.html"
            )
        finally:
            server.shutdown()
            server.server_close()
    check = float(peak)
    print(f"page: {len(raw) / 2**20:.1f} MiB (the printable privacy policy's body repeated), peak RSS")
    print(f"  read + lxml.html parse alone  {baseline:8.1f} MB")
    print(
        f"  check_page (fetch..store)     {check:8.1f} MB  in {float(elapsed):.1f} s: {outcome} {' '.join(reason)}"
    )
    print(
        f"ratio check / lxml parse = {check / baseline:.2f}; check / page size = {check / (len(raw) / 2**20):.1f}"
    )
    print(f"goal: check peak < {args.goal_mb:.0f} MB: {'met' if check < args.goal_mb else 'MISSED'}")
    met = result(f"check-peak-rss-{args.mib:g}MiB/{args.goal_mb:g}MB", check / args.goal_mb, 1)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
