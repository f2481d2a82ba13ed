"""Screenshots of the report site for docs/: the index, a page's timeline and the 16 December 2025 change page.

The site is built from the real pipeline, not mocked: the 20 real captures of Meta's printable privacy policy
(../shared/corpus/html/.../Privacy_Policy_privacy-policy-printable, 2025-11 .. 2026-08) are served in turn on
loopback and checked at their capture times, with a day of failed checks after the second one and the clause
watch of tests/report_support.py; the page is then shown under its public address. Chromium is driven
headless by Playwright (Debian's /usr/bin/chromium, as the browser fetcher uses it).

    .venv/bin/python scripts/report_screenshots.py [--out docs] [--site DIR] [--width 1280] [--height 900]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from report_support import CAPTURES, PRINTABLE, fill_store, launch_chromium, loopback  # noqa: E402

from monitor.config.loading import load_config  # noqa: E402
from monitor.present import links  # noqa: E402
from monitor.report.build import build_site  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"
PUBLIC_URL = "https://mbasic.facebook.com/privacy/policy/printable/"
DECEMBER = "2025-12-16"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    parser.add_argument("--site", type=Path, help="keep the site in this folder (default: a temporary one)")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=900)
    args = parser.parse_args()
    captures = sorted(p.name for p in (CORPUS / CAPTURES).glob("*.html"))
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        with loopback() as server:
            fill_store(CORPUS, root, server, captures, hostile_page=False)
            config = root / "config.toml"
            config.write_text(
                config.read_text().replace(server.url("/privacy/policy/printable/"), PUBLIC_URL)
            )
        loaded = load_config(root / "config.toml")
        site = args.site or root / "site"
        from monitor.store.core import Store

        build_site(Store(loaded.store_path), loaded.config, site)
        december = next(
            p for p in (site / "changes").glob(f"{PRINTABLE}-*.html") if DECEMBER in p.read_text()
        )
        shots = {
            "report-index.png": site / links.INDEX,
            "report-page.png": site / links.page_file(PRINTABLE),
            "report-change-2025-12-16.png": december,
        }
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            try:
                page = browser.new_page(viewport={"width": args.width, "height": args.height})
                for name, path in shots.items():
                    page.goto(path.as_uri())
                    page.screenshot(path=str(args.out / name))
                    print(f"{args.out / name}: {path.relative_to(site)}")
            finally:
                browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
