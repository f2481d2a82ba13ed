"""CPU cost of checking one page, against the cost of just parsing it and of `trafilatura.extract` alone.

On the real ~375 KB capture of Facebook's printable privacy policy (../shared/corpus), measured in this run:
- baseline 1: lxml.html parsing alone;
- baseline 2: `trafilatura.extract` alone, default settings;
- the check path: `extract_document` (select `#root`, remove `img`, as configured for this page) + `to_text` +
  sha256 + storing the version and its check record into a fresh temporary store (`monitor.store.core.Store`, when
  importable).
CPU time is `time.process_time()`, best of N. Goal: check <= trafilatura.extract alone.

    .venv/bin/python bench/bench_check.py [--repeat 15]
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from benchlib import (  # noqa: E402
    CORPUS,
    ROOT,  # noqa: E402, F401 - also puts the project on sys.path
    best,
)

CAPTURE = (
    CORPUS / "html/genai-eu-snapshots/Llama_API/Privacy_Policy_privacy-policy-printable/"
    "2026-04-15T10-31-39Z_eea36448.html"
)
SELECT, REMOVE = ("#root",), ("img",)


def best_cpu(action: Callable[[], object], repeat: int) -> float:
    return best(action, repeat, clock=time.process_time)


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

    def store(text: str, raw: bytes) -> None:
        store = Store(workdir / f"store-{next(runs)}")
        with store.writer():
            version = store.put_version("facebook-privacy-policy-en", text, raw)
            if hasattr(store, "append_check"):
                store.append_check(
                    CheckRecord(
                        page="facebook-privacy-policy-en",
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
    parser.add_argument("--repeat", type=int, default=15, help="runs per measurement; the best is kept")
    args = parser.parse_args()
    if not CAPTURE.exists():
        print(
            f"capture not found: {CAPTURE} (set PRIVACY_MONITOR_CORPUS to the corpus folder)", file=sys.stderr
        )
        return 2

    import lxml.html
    import trafilatura

    from monitor.extract.document import extract_document

    raw = CAPTURE.read_bytes()
    html = raw.decode("utf-8")
    repeat = args.repeat

    with tempfile.TemporaryDirectory(prefix="bench-check-") as workdir:
        store = store_step(Path(workdir))

        def check() -> None:
            text = extract_document(html, select=SELECT, remove=REMOVE).document.to_text()
            hashlib.sha256(text.encode("utf-8")).hexdigest()
            if store is not None:
                store(text, raw)

        check()  # warm up imports and caches (selector compilation) outside the measurement
        trafilatura.extract(html)
        text = extract_document(html, select=SELECT, remove=REMOVE).document.to_text()

        parse = best_cpu(lambda: lxml.html.document_fromstring(html), repeat)
        traf = best_cpu(lambda: trafilatura.extract(html), repeat)
        extract = best_cpu(lambda: extract_document(html, select=SELECT, remove=REMOVE), repeat)
        stored = best_cpu(lambda: store(text, raw), repeat) if store is not None else 0.0
        total = best_cpu(check, repeat)

    print(f"capture: {CAPTURE.name} ({len(raw) / 1000:.0f} KB), CPU time, best of {repeat}")
    print(f"  lxml.html parse alone        {parse * 1000:8.1f} ms")
    print(f"  trafilatura.extract alone    {traf * 1000:8.1f} ms")
    print(f"  extract_document             {extract * 1000:8.1f} ms")
    if store is None:
        print("  store                        (monitor.store.core.Store not importable: not included)")
    else:
        print(f"  store (put_version + check)  {stored * 1000:8.1f} ms")
    print(f"  check (all of the above)     {total * 1000:8.1f} ms")
    print(f"ratio check / trafilatura.extract = {total / traf:.2f}  (goal <= 1.00)")
    print(f"ratio check / lxml parse          = {total / parse:.1f}")
    return 0 if total <= traf else 1


if __name__ == "__main__":
    sys.exit(main())
