"""Render the digest of Meta's 16 December 2025 update to PNG with headless Chromium, as a mail reader sees it.

The digest is produced by the real pipeline, not mocked: the two real captures of Meta's printable privacy
policy (../shared/corpus/html/.../Privacy_Policy_privacy-policy-printable, 2025-12-11 and 2025-12-16) are
served in turn on loopback, checked with the page's region rules, a section watch and a clause watch, and the
digest of that day is rendered. It also writes the `diff --format text` opening of the same change.

    .venv/bin/python scripts/render_digest_png.py [--out docs/digest-example.png] [--html digest.html]
        [--height 1950] [--text docs/dec-2025-update.txt]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from monitor.config.loading import LoadedConfig, parse_config  # noqa: E402
from monitor.diff.formats import render  # noqa: E402
from monitor.notify.digest import build_digest  # noqa: E402
from monitor.notify.digest_render import compose, render_html  # noqa: E402
from monitor.pipeline.check import Context, check_page  # noqa: E402
from monitor.store.core import Store  # noqa: E402

CAPTURES = (
    ROOT.parent / "shared" / "corpus" / "html" / "genai-eu-snapshots" / "Llama_API"
    / "Privacy_Policy_privacy-policy-printable"
)  # fmt: skip
BEFORE, AFTER = "2025-12-11T23-35-48Z_5411edc4.html", "2025-12-16T23-35-44Z_a98ddaea.html"
CLAUSE = (
    "This Privacy Policy applies to what we call Meta Products, or Products. "
    "Our Products include Facebook, Instagram, and Messenger."
)
# What a real deployment would show: the page's public address (the captures are served on loopback).
PUBLIC_URL = "https://mbasic.facebook.com/privacy/policy/printable/"


def serve(current: list[bytes]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            body = current[0]
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def build(folder: Path) -> tuple[str, str, dict[str, int]]:
    """(digest HTML, `diff --format text` of the change, sizes of the mail's parts in bytes)."""
    if not (CAPTURES / AFTER).is_file():
        raise SystemExit(f"{CAPTURES}: the corpus captures are needed (see ../shared/corpus/README.md)")
    current = [(CAPTURES / BEFORE).read_bytes()]
    server = serve(current)
    page = {"id": "meta-privacy-policy", "url": f"http://127.0.0.1:{server.server_port}/privacy/policy/printable/",
            "title": "Meta Privacy Policy", "select": ["#root"], "remove": ["img"]}  # fmt: skip
    config = parse_config(
        {
            "fetch": {"retries": 0, "timeout": 20, "per_host_min_gap": 0},
            "digest": {"time": "08:00", "timezone": "Europe/Berlin"},
            "pages": [page],
            "watches": [
                {"id": "products-covered", "pages": [page["id"]], "kind": "clause", "text": CLAUSE,
                 "severity": "high"},
                {"id": "third-parties", "pages": [page["id"]], "kind": "section",
                 "text": "How do we share information with third parties?", "severity": "medium"},
            ],
        }
    )  # fmt: skip
    loaded = LoadedConfig(config, None)
    loaded.base_dir = folder
    now = [datetime(2025, 12, 11, 23, 35, tzinfo=UTC)]
    store = Store(folder / "store", clock=lambda: now[0])
    ctx = Context(loaded, store, clock=lambda: now[0], deliver=False)
    (configured,) = config.pages
    check_page(ctx, configured)
    current[0] = (CAPTURES / AFTER).read_bytes()
    now[0] = datetime(2025, 12, 16, 23, 35, tzinfo=UTC)
    result = check_page(ctx, configured)
    server.shutdown()
    start = datetime(2025, 12, 16, 7, 0, tzinfo=UTC)  # 08:00 in Berlin
    digest = build_digest(store, config, start, start + timedelta(days=1))
    for change in digest.changes:
        change.url = PUBLIC_URL
    message = compose(digest, sender="monitor@example.org", to=["reader@example.org"],
                      message_id="<digest@example.org>", now=start + timedelta(days=1))  # fmt: skip
    sizes = {
        (part.get_filename() or part.get_content_type()): len(part.get_payload())
        for part in message.walk()
        if not part.is_multipart()
    }
    meta = {"page": page["id"], "from": {"label": "2025-12-11"}, "to": {"label": "2025-12-16"}}
    text = render(result.diff, "text", meta=meta, context=0)
    print(f"digest: {digest.subject()}; parts: {sizes}")
    return render_html(digest), text, sizes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("digest.png"), help="PNG to write")
    parser.add_argument("--html", type=Path, help="also keep the HTML here")
    parser.add_argument("--text", type=Path, help="write the `diff --format text` of the change here")
    parser.add_argument(
        "--height", type=int, default=1950, help="window height in pixels (the page is cut there)"
    )
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        page, text, _ = build(Path(folder))
        if args.text:
            args.text.write_text(text, encoding="utf-8")
        html_path = args.html or Path(folder) / "digest.html"
        html_path.write_text(page, encoding="utf-8")
        command = [
            args.chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            f"--window-size=760,{args.height}", f"--screenshot={args.out.resolve()}", html_path.resolve().as_uri(),
        ]  # fmt: skip
        subprocess.run(command, check=True, capture_output=True, timeout=120)
    print(f"{args.out}: written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
