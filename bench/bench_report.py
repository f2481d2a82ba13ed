"""Building the report site for the 60-version Facebook privacy policy history, whole and after one new change.

The history (../shared/corpus/versions/pga-versions/Facebook/Privacy_Policy, Open Terms Archive Markdown, ~200
KB a version) is served version by version as HTML by a loopback `http.server` and checked by the real
pipeline (`check_page`, an injected clock at each version's date), as a service watching the page since 2022
would have stored it. Then, measured:
- the whole site written into an empty folder (`build_site`): goal under 30 s;
- after one more version is checked (one new change), the incremental rebuild the service runs
  (`build_site(..., [page])`: the new change, its predecessor's links, the page, the index, the feed):
  goal under 3 s.
Each prints `RESULT name ratio goal` with ratio = seconds / budget (goal 1); exit status 1 when a goal is
missed, 2 without the corpus.

    .venv/bin/python bench/bench_report.py
"""

from __future__ import annotations

import csv
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from benchlib import FACEBOOK_HISTORY as HISTORY  # noqa: E402
from benchlib import ROOT, missing, result  # noqa: E402

sys.path.insert(0, str(ROOT / "tests"))  # the loopback server and the HTML rendering the tests use

FULL_BUDGET, INCREMENTAL_BUDGET = 30.0, 3.0
PAGE_ID = "facebook-privacy-policy"


def history() -> list[tuple[datetime, str]]:
    """(date, file) of each recorded version with a text, oldest first."""
    with (HISTORY / "index.tsv").open(encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle, delimiter="\t") if row["extracted_file"]]
    return [
        (datetime.fromisoformat(row["date_utc"].replace("Z", "+00:00")), row["extracted_file"])
        for row in rows
    ]


def main() -> int:
    if not (HISTORY / "index.tsv").is_file():
        return missing(HISTORY)
    from report_support import loopback, to_toml
    from service_support import render_html

    from monitor.config.loading import load_config
    from monitor.extract.document import document_from_markdown
    from monitor.pipeline.check import Context, check_page
    from monitor.report.build import build_site
    from monitor.store.core import Store

    versions = history()
    with tempfile.TemporaryDirectory() as folder, loopback() as server:
        root = Path(folder)
        page = {"id": PAGE_ID, "url": server.url("/privacy/policy/"), "title": "Facebook Privacy Policy",
                "locale": "en", "collapse_ratio": 1e-9}  # fmt: skip
        (root / "config.toml").write_text(to_toml({"digest": {"timezone": "UTC"}, "pages": [page]}))
        loaded = load_config(root / "config.toml")
        store = Store(loaded.store_path)
        now = [versions[0][0]]
        ctx = Context(loaded, store, clock=lambda: now[0], deliver=False)
        (configured,) = loaded.config.pages

        def check(index: int) -> str:
            moment, name = versions[index]
            text = document_from_markdown((HISTORY / name).read_text(encoding="utf-8")).to_text()
            server.routes["/privacy/policy/"] = (200, render_html(text).encode("utf-8"))
            now[0] = moment
            return str(check_page(ctx, configured).record.outcome)

        started = time.perf_counter()
        outcomes = [check(index) for index in range(len(versions) - 1)]
        print(f"checked {len(outcomes)} versions in {time.perf_counter() - started:.1f} s: "
              f"{outcomes.count('changed')} changes, {outcomes.count('failed')} failed", flush=True)  # fmt: skip

        out = root / "site"
        started = time.perf_counter()
        full = build_site(store, loaded.config, out)
        whole = time.perf_counter() - started
        print(
            f"whole site: {whole:.2f} s, {len(full.written)} files, {full.changes} change pages", flush=True
        )

        outcome = check(len(versions) - 1)
        started = time.perf_counter()
        again = build_site(store, loaded.config, out, [PAGE_ID])
        incremental = time.perf_counter() - started
        print(
            f"after one more check ({outcome}): {incremental:.2f} s, wrote {', '.join(sorted(again.written))}"
        )
        ctx.close()

    met = result("report_whole_site_60_versions", whole / FULL_BUDGET, 1)
    met &= outcome == "changed"
    met &= result("report_incremental_after_one_change", incremental / INCREMENTAL_BUDGET, 1)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
