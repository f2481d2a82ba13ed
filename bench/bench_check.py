"""CPU cost of checking one page, against the cost of just parsing it and of `trafilatura.extract` alone.

On the real ~375 KB capture of Facebook's printable privacy policy (../shared/corpus), measured in this run:
- baseline 1: lxml.html parsing alone;
- baseline 2: `trafilatura.extract` alone, default settings;
- the check path: `extract_document` (select `#root`, remove `img`, as configured for this page) + `to_text` +
  sha256 + storing the version and its check record into a store (`monitor.store.core.Store`), one store for the
  whole run as a check finds it (creating a database each time would measure SQLite's set-up, not a check).
Both paths are measured: with `select` (goal <= 0.3x trafilatura.extract) and without it, the automatic region
(goal <= 1.0x), on the printable capture and on a rendered facebook.com/legal page. Baselines and subjects run
the same number of times, taking turns; wall and CPU time (`time.process_time()`) are both reported, best of N,
and each ratio is printed as a `RESULT` line; exit status 1 when a goal is missed, 2 without the corpus.

    .venv/bin/python bench/bench_check.py [--repeat 15]
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from benchlib import (  # noqa: E402
    CORPUS,
    ROOT,  # noqa: E402, F401 - also puts the project on sys.path
    missing,
    paired,
    result,
)

CAPTURE = (
    CORPUS / "html/genai-eu-snapshots/Llama_API/Privacy_Policy_privacy-policy-printable/"
    "2026-04-15T10-31-39Z_eea36448.html"
)
SELECT, REMOVE = ("#root",), ("img",)
RENDERED = CORPUS / "html/genai-eu-snapshots/Meta_AI/Terms_of_Service/2026-08-22T10-33-43Z_476a8de1.html"
RENDERED_SELECT, RENDERED_REMOVE = ('[role="main"]',), ('[role="separator"] ~ *',)
GOALS = {"select": 0.3, "auto": 1.0}


def store_step(workdir: Path) -> Callable[[str, bytes], None] | None:
    """Storing a new version and its check record into a fresh store, or None when there is no store yet."""
    try:
        from monitor.models import CheckRecord, Outcome
        from monitor.store.core import Store
    except ImportError:
        return None
    if not hasattr(Store, "put_version"):
        return None
    runs = iter(range(10**9))
    # One store for every run, as a check finds it (its database opened, not created); each run records
    # a page of its own, so each stores a new version with its blobs, as a check that saw a change does.
    shared = Store(workdir / "store")

    def store(text: str, raw: bytes) -> None:
        store, page = shared, f"facebook-privacy-policy-{next(runs)}"
        with store.writer():
            version = store.put_version(page, text, raw)
            if hasattr(store, "append_check"):
                store.append_check(
                    CheckRecord(
                        page=page,
                        time="2026-04-15T10:31:39Z",
                        url="https://mbasic.facebook.com/privacy/policy/printable/",
                        outcome=Outcome.NEW,
                        raw_sha256=hashlib.sha256(raw).hexdigest(),
                        text_sha256=version,
                        version=version,
                    )
                )

    return store


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="runs per measurement; the best is kept")
    args = parser.parse_args()
    for path in (CAPTURE, RENDERED):
        if not path.exists():
            return missing(path)
    import trafilatura

    from monitor.extract.document import extract_document

    ok = True
    with tempfile.TemporaryDirectory(prefix="bench-check-") as workdir:
        store = store_step(Path(workdir))
        if store is None:
            print("store: monitor.store.core.Store not importable: not included")
        pages = [
            ("printable", CAPTURE, SELECT, REMOVE),
            ("rendered", RENDERED, RENDERED_SELECT, RENDERED_REMOVE),
        ]
        for label, path, select, remove in pages:
            raw = path.read_bytes()
            html = raw.decode("utf-8")

            def check(
                scope: tuple[tuple[str, ...], tuple[str, ...]], html: str = html, raw: bytes = raw
            ) -> None:
                text = extract_document(html, select=scope[0], remove=scope[1]).document.to_text()
                hashlib.sha256(text.encode("utf-8")).hexdigest()
                if store is not None:
                    store(text, raw)

            actions: dict[str, Callable[[], object]] = {
                "trafilatura.extract": lambda html=html: trafilatura.extract(html),
                "select": lambda select=select, remove=remove, check=check: check((select, remove)),
                "auto": lambda check=check: check(((), ())),
            }
            for action in actions.values():
                action()  # imports and caches (selector compilation) outside the measurement
            timings = paired(actions, args.repeat)
            base = timings["trafilatura.extract"]
            print(f"{label}: {path.name} ({len(raw) / 1000:.0f} KB), best of {args.repeat}")
            for name, timing in timings.items():
                print(f"  {name:<22} wall {timing.wall * 1000:8.1f} ms   CPU {timing.cpu * 1000:8.1f} ms")
            for name in ("select", "auto"):
                ok &= result(f"check-{name}-{label}/cpu", timings[name].cpu / base.cpu, GOALS[name])
                ok &= result(f"check-{name}-{label}/wall", timings[name].wall / base.wall, GOALS[name])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
