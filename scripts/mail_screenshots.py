"""Render the alert mail and the digest of the 13 May 2026 Meta AI Terms change to PNG with headless Chromium,
as a reader sees them.

Made by the real pipeline, not mocked: the captures of the Meta AI Terms of 12 and 13 May 2026
(../shared/corpus/html/genai-eu-snapshots/Meta_AI/Terms_of_Service) are served in turn on loopback and checked
with a clause watch on the private-processing sentence, which Meta rewrote that day; the alert mail of that
check and the digest of that day are rendered (with `[report] base_url` set, as a published deployment has).

    .venv/bin/python scripts/mail_screenshots.py [--alert docs/alert-mail-2026-05-13.png]
        [--digest docs/digest-2026-05-13.png]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from render_digest_png import serve  # noqa: E402

from monitor.config.loading import LoadedConfig, parse_config  # noqa: E402
from monitor.notify.digest import build_digest  # noqa: E402
from monitor.notify.digest_render import render_html  # noqa: E402
from monitor.notify.message import render_alerts  # noqa: E402
from monitor.pipeline.check import Context, check_page  # noqa: E402
from monitor.store.core import Store  # noqa: E402
from monitor.watch.alerts import Alert  # noqa: E402

CAPTURES = ROOT.parent / "shared" / "corpus" / "html" / "genai-eu-snapshots" / "Meta_AI" / "Terms_of_Service"
BEFORE, AFTER = "2026-05-12T10-32-37Z_c3a2eeac.html", "2026-05-13T10-32-30Z_3c4d6896.html"
CLAUSE = (
    "When you share your private messages with friends and family with AIs that use Private Processing "
    "technology, Meta cannot read or access the messages you have shared."
)
PUBLIC_URL = (
    "https://www.facebook.com/legal/meta-ai-terms"  # what a deployment shows (served on loopback here)
)
BASE_URL = "https://privacy-monitor.example.org/report"
ZONE = "Europe/Berlin"


def build(folder: Path) -> tuple[str, str]:
    """(alert mail HTML, digest HTML) of the 13 May 2026 change."""
    if not (CAPTURES / AFTER).is_file():
        raise SystemExit(f"{CAPTURES}: the corpus captures are needed (see ../shared/corpus/README.md)")
    current = [(CAPTURES / BEFORE).read_bytes()]
    server = serve(current)
    page = {"id": "meta-ai-terms", "url": f"http://127.0.0.1:{server.server_port}/legal/meta-ai-terms",
            "title": "Meta AI Terms of Service"}  # fmt: skip
    config = parse_config(
        {
            "fetch": {"retries": 0, "timeout": 20, "per_host_min_gap": 0},
            "digest": {"time": "08:00", "timezone": ZONE},
            "report": {"base_url": BASE_URL},
            "pages": [page],
            "watches": [
                {
                    "id": "private-processing",
                    "pages": [page["id"]],
                    "kind": "clause",
                    "text": CLAUSE,
                    "severity": "high",
                }
            ],  # fmt: skip
        }
    )
    loaded = LoadedConfig(config, None)
    loaded.base_dir = folder
    now = [datetime(2026, 5, 12, 10, 32, tzinfo=UTC)]
    store = Store(folder / "store", clock=lambda: now[0])
    ctx = Context(loaded, store, clock=lambda: now[0], deliver=False)
    (configured,) = config.pages
    check_page(ctx, configured)
    current[0] = (CAPTURES / AFTER).read_bytes()
    now[0] = datetime(2026, 5, 13, 10, 32, tzinfo=UTC)
    result = check_page(ctx, configured)
    server.shutdown()
    if not result.alerts:
        raise SystemExit("the 13 May 2026 check raised no alert: nothing to show")
    configured = configured.model_copy(update={"url": PUBLIC_URL})
    alerts = [Alert.from_json(alert) for alert in result.record.alerts]
    mail = render_alerts(alerts, configured, base_url=BASE_URL, zone=ZoneInfo(ZONE))
    start = datetime(2026, 5, 13, 6, 0, tzinfo=UTC)  # 08:00 in Berlin
    digest = build_digest(store, config, start, start + timedelta(days=1))
    for change in digest.changes:
        change.url = PUBLIC_URL
    print(f"alert: {mail.subject}\ndigest: {digest.subject()}")
    return mail.html, render_html(digest, base_url=BASE_URL)


def screenshot(chromium: str, html: str, out: Path, height: int, folder: Path) -> None:
    source = folder / f"{out.stem}.html"
    source.write_text(html, encoding="utf-8")
    command = [
        chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
        f"--window-size=760,{height}", f"--screenshot={out.resolve()}", source.resolve().as_uri(),
    ]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    print(f"{out}: written")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--alert", type=Path, default=ROOT / "docs" / "alert-mail-2026-05-13.png")
    parser.add_argument("--digest", type=Path, default=ROOT / "docs" / "digest-2026-05-13.png")
    parser.add_argument("--alert-height", type=int, default=700)
    parser.add_argument("--digest-height", type=int, default=1000)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        alert_html, digest_html = build(Path(folder))
        screenshot(args.chromium, alert_html, args.alert, args.alert_height, Path(folder))
        screenshot(args.chromium, digest_html, args.digest, args.digest_height, Path(folder))
    return 0


if __name__ == "__main__":
    sys.exit(main())
