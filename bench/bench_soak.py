"""Soak: many service cycles over 50 loopback pages; does the service's memory stay flat after warm-up?

The pages are served by a separate process (so its memory is not counted), each page changing every few
fetches so versions, diffs, the feed and daily digests all happen; a sink SMTP server takes the digests.
The service runs on a simulated clock (`Service.tick`), 6 hours per cycle, so every page is due each cycle.

Prints RSS at start, after warm-up, every tenth of the run and at the end, the growth after warm-up (end /
warm-up: the baseline is the warm-up figure of this same run) and the time per check. Goal (issue 14): RSS
grows by under 5% after warm-up, and stays under 150 MB; exit status 1 when missed, 2 when too few checks ran
to tell (fewer than 1,000 after warm-up).

The full figure is 20,000 checks (`--full`: 50 pages x 400 cycles, about 20 minutes here); the default, for
`./dev bench`, is a quick 3,000 (50 x 60) with the same warm-up rule: the first fifth of the cycles, at least 10.

    .venv/bin/python bench/bench_soak.py [--full] [--pages 50] [--cycles 60] [--warmup N]
"""

from __future__ import annotations

import argparse
import gc
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchlib import ROOT, result  # noqa: E402, F401 - ROOT also puts the project on sys.path

PAGE_SERVER = r"""
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CHANGE_EVERY = int(sys.argv[1])
fetches = {}
PARAGRAPH = ("We collect information about how you use our Products, such as the content you view or engage "
             "with, the features you use, the actions you take and the time, frequency and duration of your "
             "activities. Section {s}, paragraph {p} of page {page}.")

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        page = self.path.rsplit("/", 1)[-1]
        count = fetches[page] = fetches.get(page, 0) + 1
        generation = count // CHANGE_EVERY
        parts = [f"<html><head><title>Policy {page}</title></head><body><main><h1>Privacy Policy {page}</h1>"]
        for s in range(12):
            parts.append(f"<h2>Section {s}</h2>")
            for p in range(8):
                text = PARAGRAPH.format(s=s, p=p, page=page)
                if (s * 8 + p) % 23 == generation % 23:
                    text = text.replace("may", "will").replace("such as", f"including (revision {generation})")
                parts.append(f"<p>{text}</p>")
        parts.append("</main></body></html>")
        body = "".join(parts).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass

server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_port, flush=True)
server.serve_forever()
"""


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status (Linux only)")


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", action="store_true", help="20,000 checks (50 pages x 400 cycles)")
    parser.add_argument("--pages", type=int, default=50)
    parser.add_argument("--cycles", type=int, default=None, help="default 60, or 400 with --full")
    parser.add_argument(
        "--warmup", type=int, default=None, help="cycles; default a fifth of them, at least 10"
    )
    parser.add_argument("--change-every", type=int, default=4, help="a page changes every N fetches")
    args = parser.parse_args()
    args.cycles = args.cycles or (400 if args.full else 60)
    args.warmup = args.warmup if args.warmup is not None else max(10, args.cycles // 5)
    if args.warmup >= args.cycles:
        parser.error("--warmup must be fewer cycles than --cycles")
    start_rss = rss_mb()

    from monitor.config.loading import LoadedConfig, parse_config
    from monitor.pipeline.check import Context
    from monitor.service.runner import Service
    from monitor.store.core import Store

    pages_server = subprocess.Popen(
        [sys.executable, "-c", PAGE_SERVER, str(args.change_every)], stdout=subprocess.PIPE, text=True
    )
    smtp_port = free_port()
    smtp_server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            f"127.0.0.1:{smtp_port}",
            "-c",
            "aiosmtpd.handlers.Sink",
        ]
    )
    try:
        port = int(pages_server.stdout.readline())
        time.sleep(0.5)  # let the SMTP sink bind its port
        config = parse_config(
            {
                "fetch": {"retries": 0, "timeout": 10, "per_host_min_gap": 0},
                "service": {"default_schedule": "every 6h", "jitter": "0s"},
                "digest": {"time": "08:00", "timezone": "UTC"},
                "notify": {
                    "email": {"host": "127.0.0.1", "port": smtp_port, "security": "none", "from": "m@example.org",
                              "to": ["r@example.org"]},
                },
                "pages": [
                    {"id": f"page-{n:03d}", "url": f"http://127.0.0.1:{port}/p/{n}", "title": f"Policy {n}"}
                    for n in range(args.pages)
                ],
            }
        )  # fmt: skip
        with tempfile.TemporaryDirectory() as folder:
            loaded = LoadedConfig(config, None)
            loaded.base_dir = Path(folder)
            clock = Clock(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))

            service = Service(Context(loaded, Store(Path(folder) / "store", clock=clock), clock=clock))
            warm_rss = end_rss = 0.0
            warm_checks = 0
            started = time.perf_counter()
            warm_started = started
            checks = changes = digests = 0
            for cycle in range(1, args.cycles + 1):
                report = service.tick()
                checks += len(report.checked)
                changes += sum(1 for r in report.checked if str(r.record.outcome) == "changed")
                digests += len(report.digests)
                clock.now += timedelta(hours=6)
                if cycle == args.warmup:
                    gc.collect()
                    warm_rss = rss_mb()
                    warm_checks = checks
                    warm_started = time.perf_counter()
                    print(
                        f"after warm-up ({cycle} cycles, {checks} checks): RSS {warm_rss:.1f} MB", flush=True
                    )
                elif cycle > args.warmup and cycle % max(1, args.cycles // 10) == 0:
                    gc.collect()
                    print(f"  cycle {cycle:>4} ({checks:>6} checks): RSS {rss_mb():.1f} MB", flush=True)
            gc.collect()
            end_rss = rss_mb()
            elapsed = time.perf_counter() - warm_started
            per_check = elapsed / max(1, checks - warm_checks)
    finally:
        pages_server.terminate()
        smtp_server.terminate()
        pages_server.wait()
        smtp_server.wait()

    print(f"start: RSS {start_rss:.1f} MB")
    print(
        f"end ({args.cycles} cycles, {checks} checks, {changes} changes, {digests} digests): RSS {end_rss:.1f} MB"
    )
    growth = end_rss / warm_rss
    print(f"growth after warm-up: {end_rss - warm_rss:+.1f} MB (end / warm-up = {growth:.3f})")
    per_thousand = (end_rss - warm_rss) / max(1, checks - warm_checks) * 1000
    print(f"RSS growth per 1000 checks after warm-up: {per_thousand:+.2f} MB")
    print(f"time per check after warm-up: {per_check * 1000:.1f} ms")
    if checks - warm_checks < 1000:
        print(f"NOT MEASURED: only {checks - warm_checks} checks after warm-up (at least 1,000 are needed)")
        return 2
    ok = result(f"soak-{checks}-checks-rss-growth/5%", (growth - 1) / GROWTH_GOAL, 1.0)
    ok &= result("soak-rss/150MB", end_rss / MEMORY_GOAL_MB, 1.0)
    return 0 if ok else 1


GROWTH_GOAL = 0.05  # RSS after the run at most 5% above RSS after warm-up
MEMORY_GOAL_MB = 150


if __name__ == "__main__":
    sys.exit(main())
