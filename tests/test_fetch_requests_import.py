"""The fetch stage imports requests without chardet (monitor/fetch/requests_lib.py): requests' own charset guess,
which the fetchers never read, then uses charset_normalizer, and a check process does not pay for chardet's
import. Each case runs in a fresh interpreter, since the first import of requests in a process decides."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest


def run_fresh(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_the_http_fetcher_leaves_chardet_unimported() -> None:
    code = (
        "import sys\n"
        "from monitor.registry import FETCHERS\n"
        "FETCHERS.get('http')\n"
        "import requests\n"
        "print('chardet' in sys.modules, requests.compat.chardet.__name__)\n"
    )
    assert run_fresh(code) == "False charset_normalizer"


@pytest.mark.skipif(importlib.util.find_spec("chardet") is None, reason="chardet is not installed here")
def test_chardet_still_imports_for_whoever_asks_afterwards() -> None:
    code = "import monitor.fetch.http\nimport chardet\nprint(chardet.__name__)\n"
    assert run_fresh(code) == "chardet"


def test_requests_imported_first_elsewhere_is_the_one_used() -> None:
    code = (
        "import requests\nfrom monitor.fetch.requests_lib import requests as ours\nprint(ours is requests)\n"
    )
    assert run_fresh(code) == "True"


def test_a_time_stamp_request_leaves_chardet_unimported_too() -> None:
    """The TSA request after a run's checks (monitor/pipeline/stamp.py) takes requests as the fetch stage does.
    Here the TSA is a loopback port nobody listens on: the request is made, refused, and stamping waits."""
    code = (
        "import socket, sys\n"
        "from monitor.pipeline.stamp import TsaError, request_token\n"
        "with socket.socket() as free:\n"
        "    free.bind(('127.0.0.1', 0))\n"
        "    port = free.getsockname()[1]\n"
        "try:\n"
        "    request_token(f'http://127.0.0.1:{port}/tsa', b'a record', b'')\n"
        "except TsaError as error:\n"
        "    print('refused' if 'did not answer' in str(error) else error)\n"
        "print('chardet' in sys.modules)\n"
    )
    assert run_fresh(code) == "refused\nFalse"
