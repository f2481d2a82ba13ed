"""A registry asked for the same kind by two threads at once gives it to both, even while the module that
registers it is still being imported (the browser renderer's module is imported lazily, e.g. by `auto` falling
back to it from a worker thread of a parallel run)."""

from __future__ import annotations

import importlib
import sys
import threading
from pathlib import Path

import pytest

from monitor.registry import Registry

HOLDER = """
import threading

from monitor.registry import Registry

importing = threading.Event()  # set by the slow module once its import is under way
release = threading.Event()  # the test lets it finish
REGISTRY = Registry("renderer", builtins=("{package}.http", "{package}.browser"), module_per_kind={per_kind})
"""

SLOW_MODULE = """
from {package}.holder import REGISTRY, importing, release

importing.set()
release.wait(30)


@REGISTRY.register
class Browser:
    name = "browser"
"""

PLAIN_MODULE = """
from {package}.holder import REGISTRY


@REGISTRY.register
class Http:
    name = "http"
"""


@pytest.fixture
def slow_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest):
    """A package on sys.path whose `browser` module blocks at import until the test releases it."""
    package = f"slow_kinds_{request.node.name.replace('[', '_').replace(']', '').replace('-', '_')}"
    folder = tmp_path / package
    folder.mkdir()
    per_kind = getattr(request, "param", True)
    (folder / "__init__.py").write_text("")
    (folder / "holder.py").write_text(HOLDER.format(package=package, per_kind=per_kind))
    (folder / "http.py").write_text(PLAIN_MODULE.format(package=package))
    (folder / "browser.py").write_text(SLOW_MODULE.format(package=package))
    monkeypatch.syspath_prepend(str(tmp_path))
    yield importlib.import_module(f"{package}.holder")
    for name in [name for name in sys.modules if name == package or name.startswith(f"{package}.")]:
        del sys.modules[name]


def ask(registry: Registry[object], name: str, answers: dict[str, object]) -> None:
    try:
        answers[threading.current_thread().name] = registry.get(name)
    except Exception as error:  # noqa: BLE001 - the answer the test looks at
        answers[threading.current_thread().name] = error


@pytest.mark.parametrize(
    "slow_package", [True, False], indirect=True, ids=["module-per-kind", "all-builtins"]
)
def test_a_kind_whose_module_is_still_importing_is_given_to_a_second_thread_too(slow_package) -> None:
    registry, answers = slow_package.REGISTRY, {}
    first = threading.Thread(target=ask, args=(registry, "browser", answers), name="first")
    second = threading.Thread(target=ask, args=(registry, "browser", answers), name="second")
    first.start()
    assert slow_package.importing.wait(30), "the slow module never started importing"
    second.start()
    second.join(1)  # time for the second thread to ask: it must wait for the import, not answer "unknown"
    slow_package.release.set()
    first.join(30)
    second.join(30)

    given = {thread: getattr(answer, "name", answer) for thread, answer in answers.items()}
    assert given == {"first": "browser", "second": "browser"}
    assert registry.names() == ["browser", "http"]
