"""Render a real digest to PNG with headless Chromium, to see it as a mail reader would.

The digest is produced by the real pipeline, not mocked: pages are served on loopback, the service checks
them on a simulated clock (day 1, then day 2), and the digest of the period in between is rendered. With the
corpus present (../shared/corpus), the English page carries a real change of Facebook's privacy policy
(2026-05-29 -> 2026-06-01, the "AI at Meta" section); a German page of the same document stays unchanged
(translation lag), an Instagram page hits a login wall, and a clause watch on a sentence that changed alerts.

    .venv/bin/python scripts/render_digest_png.py [--out digest.png] [--html digest.html] [--height 1800]
"""

from __future__ import annotations

import argparse
import html
import re
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
from monitor.diff.core import diff_documents  # noqa: E402
from monitor.extract.document import document_from_markdown  # noqa: E402
from monitor.models import Document  # noqa: E402
from monitor.notify.digest import build_digest  # noqa: E402
from monitor.notify.digest_mail import render_html  # noqa: E402
from monitor.pipeline.check import Context  # noqa: E402
from monitor.service.runner import Service  # noqa: E402
from monitor.store.core import Store  # noqa: E402

CORPUS = (
    ROOT.parent / "shared" / "corpus" / "versions" / "user-rights-versions" / "Facebook" / "Privacy_Policy"
)
REAL_PAIR = ("2026-05-29T10-30-30Z_d62d43ee.md", "2026-06-01T10-30-28Z_3ab8f3cd.md")
GERMAN = Document.from_text(
    "# Datenschutzrichtlinie\n\n# KI bei Meta\n\nWir verbessern KI bei Meta laufend. Wir werden diese Informationen "
    "auf der Grundlage berechtigter Interessen verwenden, um generative KI-Modelle für KI bei Meta zu entwickeln "
    "und zu verbessern.\n\nDu kannst der Verwendung deiner Informationen zu diesen Zwecken widersprechen. Wenn du "
    "bereits widersprochen hast, brauchst du keinen weiteren Antrag zu stellen.\n"
)
SAMPLE_OLD = Document.from_text(
    "# Privacy Policy\n\n# AI at Meta\n\nWe may use public information from the Internet to develop and improve "
    "AI at Meta, on the basis of legitimate interests.\n\nYou can object to this use. Your objection applies to "
    "the account you are logged in to.\n\n# Your rights\n\nYou can access, correct and delete your information.\n"
)
SAMPLE_NEW = Document.from_text(
    "# Privacy Policy\n\n# AI at Meta\n\nWe will use public information from the Internet to develop and improve "
    "AI at Meta, on the basis of legitimate interests.\n\nYou can object to this use. Your objection applies to "
    "the account you are logged in to and to all accounts in the same Accounts Center.\n\n# Your rights\n\n"
    "You can access, correct and delete your information.\n"
)
LOGIN_WALL = (
    "<html><body><h2>Log in to Instagram</h2><form><input name=u><input type=password></form></body></html>"
)
TAGS = {"heading": "h{level}", "paragraph": "p", "item": "li", "row": "p"}


def as_html(document: Document) -> str:
    parts = []
    for block in document.blocks:
        tag = TAGS[block.kind].format(level=max(1, min(block.level, 6)))
        parts.append(f"<{tag}>{html.escape(block.text)}</{tag}>")
    return (
        "<html><head><title>Privacy Policy</title></head><body><main>"
        + "\n".join(parts)
        + "</main></body></html>"
    )


def versions() -> tuple[Document, Document, str]:
    if all((CORPUS / name).is_file() for name in REAL_PAIR):
        old, new = (document_from_markdown((CORPUS / name).read_text(encoding="utf-8")) for name in REAL_PAIR)
        source = "real Facebook privacy policy versions from the corpus"
    else:
        old, new, source = SAMPLE_OLD, SAMPLE_NEW, "built-in sample texts (corpus not found)"
    return old, new, source


def changed_sentence(old: Document, new: Document) -> str:
    """A sentence of the old text that the change rewrote: what a user would watch as a clause."""
    for change in diff_documents(old, new).changes:
        if change.cls == "substantive" and change.kind == "modified" and change.old:
            edited = next(op.old for op in change.ops if op.tag in ("replace", "delete") and op.old.strip())
            for sentence in re.split(r"(?<=[.!?])\s+", change.old):
                if edited.strip() in sentence:
                    return sentence
    raise SystemExit("no substantive modified sentence in this pair")


def serve(pages: dict[str, str]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            body = pages[self.path.strip("/")].encode()
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


def build(folder: Path) -> str:
    old, new, source = versions()
    ig = SAMPLE_OLD
    pages = {"fb-en": as_html(old), "fb-de": as_html(GERMAN), "ig-en": as_html(ig)}
    server = serve(pages)
    base = f"http://127.0.0.1:{server.server_port}"
    config = parse_config(
        {
            "fetch": {"retries": 0, "timeout": 10, "per_host_min_gap": 0},
            "service": {"default_schedule": "every 1d", "jitter": "0s"},
            "digest": {"time": "08:00", "timezone": "Europe/Berlin"},
            "pages": [
                {"id": "facebook-privacy-en", "url": f"{base}/fb-en", "title": "Facebook Privacy Policy",
                 "document": "facebook-privacy", "locale": "en"},
                {"id": "facebook-privacy-de", "url": f"{base}/fb-de", "title": "Facebook Datenschutzrichtlinie",
                 "document": "facebook-privacy", "locale": "de"},
                {"id": "instagram-privacy-en", "url": f"{base}/ig-en", "title": "Instagram Privacy Policy"},
            ],
            "watches": [{"id": "training-sources", "pages": ["facebook-privacy-en"], "kind": "clause",
                         "text": changed_sentence(old, new), "severity": "high"}],
        }
    )  # fmt: skip
    loaded = LoadedConfig(config, None)
    loaded.base_dir = folder
    clock_now = [datetime(2026, 6, 1, 4, 0, tzinfo=UTC)]
    clock = lambda: clock_now[0]  # noqa: E731 - a simulated clock
    service = Service(Context(loaded, Store(folder / "store", clock=clock), clock=clock))
    service.tick()  # day 1: every page captured
    pages["fb-en"], pages["ig-en"] = as_html(new), LOGIN_WALL
    clock_now[0] += timedelta(days=1)
    service.tick()  # day 2: the English page changed, Instagram shows a login wall
    server.shutdown()
    start = datetime(2026, 6, 1, 6, 0, tzinfo=UTC)  # 08:00 in Berlin
    digest = build_digest(service.store, config, start, start + timedelta(days=1))
    print(f"digest built from {source}: {digest.subject()}")
    return render_html(digest)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("digest.png"), help="PNG to write")
    parser.add_argument("--html", type=Path, help="also keep the HTML here")
    parser.add_argument(
        "--height", type=int, default=1700, help="window height in pixels (the page is cut there)"
    )
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        page = build(Path(folder))
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
