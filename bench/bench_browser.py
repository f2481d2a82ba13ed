"""Per-page cost of the browser renderer on loopback JavaScript pages, against a fresh Chromium per page (how
every browser page was fetched before one browser served a whole run), measured in the same run.

- baseline: a new BrowserFetcher for each page, closed after it (launch + page + close);
- ours: one BrowserFetcher for all pages (one launch, a fresh context per page), closed at the end; its total
  time divided by the number of pages.
As many pages as a run of the default config.toml fetches with the browser (13 today), the same number for both;
the two take turns `--repeat` times and the best of each counts, so a noisy moment of the machine hits both
alike. Wall clock, and CPU time: this process's plus that of its finished children (Playwright's driver and,
through it, Chromium: both have ended when each side closes its fetcher). Goal: <= 0.5x, wall and CPU. Exit
status 1 when missed, 2 without Chromium (nothing measured).

    .venv/bin/python bench/bench_browser.py [--pages 13] [--repeat 2]
"""

from __future__ import annotations

import argparse
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from benchlib import ROOT, paired, result

PAGE = b"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Privacy Policy</title></head>
<body><div id="root"></div><script>setTimeout(function () {
  document.getElementById("root").innerHTML = "<h1>Privacy Policy</h1><p>We collect the content you provide.</p>";
}, 50);</script></body></html>"""
GOAL = 0.5


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, *args: object) -> None:
        pass


def main() -> int:
    from monitor.config.loading import FetchConfig, PageConfig, load_config

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_pages = sum(page.renderer == "browser" for page in load_config(ROOT / "config.toml").config.pages)
    parser.add_argument("--pages", type=int, default=default_pages)
    parser.add_argument("--repeat", type=int, default=2, help="turns of each side; the best is kept")
    args = parser.parse_args()
    from monitor.fetch.browser import SYSTEM_CHROMIUM, BrowserFetcher, is_executable

    if not is_executable(SYSTEM_CHROMIUM):
        print(f"NOT MEASURED: no Chromium at {SYSTEM_CHROMIUM} (apt-get install chromium)")
        return 2

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings = FetchConfig(browser_timeout=20, retries=0)
    pages = [
        PageConfig(id=f"p{n}", url=f"http://127.0.0.1:{server.server_address[1]}/{n}", select=["#root"])
        for n in range(args.pages)
    ]

    def fresh_per_page() -> None:
        for page in pages:
            fetcher = BrowserFetcher(settings, base_dir=Path("."))
            assert "We collect" in fetcher.fetch(page).html
            fetcher.close()

    def one_for_the_run() -> None:
        fetcher = BrowserFetcher(settings, base_dir=Path("."))
        for page in pages:
            assert "We collect" in fetcher.fetch(page).html
        fetcher.close()

    try:
        timings = paired({"fresh": fresh_per_page, "shared": one_for_the_run}, args.repeat)
    finally:
        server.shutdown()
    fresh, shared = (timings[side].wall / len(pages) for side in ("fresh", "shared"))
    fresh_cpu, shared_cpu = (timings[side].cpu / len(pages) for side in ("fresh", "shared"))
    print(f"{len(pages)} loopback JavaScript pages, per page, best of {args.repeat} taking turns")
    print(
        f"  baseline: a fresh Chromium per page   wall {fresh * 1000:8.1f} ms   CPU {fresh_cpu * 1000:8.1f} ms"
    )
    print(
        f"  one Chromium for the run              wall {shared * 1000:8.1f} ms   CPU {shared_cpu * 1000:8.1f} ms"
    )
    ok = result("browser-per-page/wall", shared / fresh, GOAL)
    ok &= result("browser-per-page/cpu", shared_cpu / fresh_cpu, GOAL)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
