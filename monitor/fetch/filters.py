"""Open Terms Archive filters: named functions of `<service>.filters.js` that edit the page's DOM, run in Chromium,
never in this process.

The page's HTML is loaded into a blank page with JavaScript off (the page's own scripts never run, no request
leaves it); the filters are evaluated there one by one, in declaration order, through the DevTools protocol (which
JavaScript being off does not stop). All of it runs in a child process of its own, killed at its deadline with the
browser it started: a filter that throws, or runs past FILTER_SECONDS, fails the check naming the filter. The filters
OTA's engine provides itself (`removeQueryParams`, `convertSpacesToStandard`) are this project's own code below.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from monitor.config.filter_files import imported_module
from monitor.config.filter_files import module_source as module_text
from monitor.config.page_rules import BUILT_IN_FILTERS
from monitor.errors import FetchError

FILTER_SECONDS = 10.0  # one filter's time
LAUNCH_SECONDS = 20.0  # the browser's start and the page's load

# OTA's exposed filters, written for this project: same names, same parameters, same effect.
_BUILT_IN = r"""
const __builtIn = {
  removeQueryParams(document, names) {
    const drop = names === undefined ? [] : [].concat(names);
    if (!drop.length) return;
    for (const element of document.querySelectorAll('a[href], img[src]')) {
      const attribute = element.tagName === 'A' ? 'href' : 'src';
      let url;
      try { url = new URL(element[attribute]); } catch { continue; }
      if (!drop.some(name => url.searchParams.has(name))) continue;
      for (const name of drop) url.searchParams.delete(name);
      element[attribute] = url.toString();
    }
  },
  convertSpacesToStandard(document) {
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const plain = node.nodeValue.replace(/\p{Zs}/gu, ' ');
      if (plain !== node.nodeValue) node.nodeValue = plain;
    }
  },
};
"""
INSTALL_HINT = "pip install 'privacy-monitor[browser]': filters run in Chromium"


@dataclass(frozen=True, slots=True)
class Filter:
    """One entry of a declaration's `filter`: a name, or `{name: params}`."""

    name: str
    params: Any = None
    has_params: bool = False


class FilterFailed(FetchError):
    """A filter that could not run, threw or ran past its time: the check fails naming it."""


def _filters_expression(script: str, file: Path) -> tuple[str, list[str]]:
    """`<service>.filters.js` as an expression giving its exported functions by name (OTA's files are plain
    modules of exported functions; one that imports another module is not supported)."""
    if imported_module(script):
        raise FilterFailed(str(file), f"filters file not supported: {file.name} imports another module")
    plain, names = module_text(script)
    return f"(() => {{\n{plain}\nreturn {{{', '.join(names)}}};\n}})()", names


def run_filters(
    html: str,
    url: str,
    filters: list[Filter],
    *,
    script: str = "",
    script_file: Path | None = None,
    executable: str,
    seconds: float | None = None,
) -> str:
    """`html` once every filter has edited it (the document's outer HTML); FilterFailed naming the filter."""
    if importlib.util.find_spec("playwright") is None:
        raise FilterFailed(url, "filters need the browser: Playwright is not installed", hint=INSTALL_HINT)
    seconds = FILTER_SECONDS if seconds is None else seconds
    where = script_file.name if script_file else "filters"
    module, names = _filters_expression(script, script_file or Path(where)) if script else ("({})", [])
    for item in filters:
        if item.name not in names and item.name not in BUILT_IN_FILTERS:
            raise FilterFailed(url, f"filter {item.name}: not defined in {where}")
    job = {
        "html": html,
        "url": url,
        "module": module,
        "where": where,
        "filters": [[item.name, item.params, item.has_params] for item in filters],
        "executable": executable,
        "seconds": seconds,
    }
    child = subprocess.Popen(
        [sys.executable, "-m", "monitor.fetch.filters"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,  # its own process group: the browser it starts dies with it
    )
    try:
        out, _ = child.communicate(json.dumps(job), timeout=LAUNCH_SECONDS + seconds * max(len(filters), 1))
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        out, _ = child.communicate()
        started = [line[6:] for line in out.splitlines() if line.startswith("start ")]
        name = started[-1] if started else "(the browser's start)"
        raise FilterFailed(url, f"filter {name}: ran past {seconds:g}s") from None
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
    last = out.splitlines()[-1] if out.strip() else ""
    if last.startswith("done "):
        return str(json.loads(last[5:]))
    if last.startswith("error "):
        raise FilterFailed(url, last[6:][:300])
    raise FilterFailed(url, "filters: the browser stopped before they ran")


def _tell_parent(line: str) -> None:
    """One line of the child's protocol to `run_filters` (`start NAME`, `error ...`, `done HTML`), on the pipe
    that is its stdout: the parent reads the last filter started even when it has to kill the child."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _one_line(error: Exception) -> str:
    return " ".join(str(error).split())[:200]


def _child() -> None:  # pragma: no cover - runs in the child process
    from playwright.sync_api import sync_playwright

    job = json.loads(sys.stdin.read())
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(
                executable_path=job["executable"] or None, args=["--no-sandbox", "--disable-gpu"]
            )
            context = browser.new_context(java_script_enabled=False, base_url=job["url"] or None)
            page = context.new_page()
            page.route("**/*", lambda route: route.abort())
            base = f'<base href="{job["url"]}">' if job["url"] else ""
            page.set_content(base + job["html"], wait_until="domcontentloaded")
            cdp = context.new_cdp_session(page)
        except Exception as error:  # noqa: BLE001 - reported to the parent, which fails the check with it
            _tell_parent(f"error the browser did not start: {_one_line(error)}")
            return

        def evaluate(expression: str) -> Any:
            answer = cdp.send(
                "Runtime.evaluate",
                {
                    "expression": expression,
                    "awaitPromise": True,
                    "returnByValue": True,
                    "timeout": int(job["seconds"] * 1000),
                },
            )
            if "exceptionDetails" in answer:
                details = answer["exceptionDetails"]
                raise RuntimeError(details.get("exception", {}).get("description") or details.get("text"))
            return answer["result"].get("value")

        try:
            evaluate(
                f"{_BUILT_IN}\nglobalThis.__filters = Object.assign({{}}, __builtIn, {job['module']}); 0"
            )
        except Exception as error:  # noqa: BLE001 - the file's own error (a syntax error, a throw at its top level)
            _tell_parent(f"error filters file {job['where']}: {_one_line(error)}")
            return
        for name, params, has_params in job["filters"]:
            _tell_parent(f"start {name}")
            argument = json.dumps(params) if has_params else json.dumps({"fetch": job["url"]})
            began = time.monotonic()
            try:
                evaluate(f"(async () => {{ await __filters[{json.dumps(name)}](document, {argument}); }})()")
            except Exception as error:  # noqa: BLE001 - the filter's own error, reported by name
                text = _one_line(error)
                if time.monotonic() - began >= job["seconds"]:  # the protocol's timeout stopped it
                    text = f"ran past {job['seconds']:g}s"
                _tell_parent(f"error filter {name}: {text}")
                return
        if base:  # links were resolved against the page's address while the filters ran
            evaluate("document.querySelector('base')?.remove(); 0")
        _tell_parent("done " + json.dumps(evaluate("document.documentElement.outerHTML")))
        browser.close()


if __name__ == "__main__":
    _child()
