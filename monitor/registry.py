"""Registries for the kinds that grow: fetchers, notifiers, watch kinds — the single source of their names.

A kind is a small class with a `name` class attribute equal to the name the config uses
(`renderer = "browser"`, `kind = "clause"`, `[notify.email]`). Built-ins register exactly like
extensions do (`@FETCHERS.register` on the class); a registry imports the modules of its built-ins the
first time it is asked for a kind (as a plugin manager loads its default plugins), so config validation
can check names against the registry without importing the stages, and no stage imports another to
reach a registry.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from difflib import get_close_matches
from typing import TYPE_CHECKING, Generic, TypeVar

from monitor.errors import UsageError

if TYPE_CHECKING:
    from monitor.fetch.base import Fetcher
    from monitor.notify.base import Notifier
    from monitor.watch.base import WatchKind

T = TypeVar("T")


class Registry(Generic[T]):
    def __init__(self, what: str, builtins: Sequence[str] = (), *, module_per_kind: bool = False) -> None:
        """`builtins`: the modules that register the built-in kinds. With `module_per_kind`, the module of the
        built-in kind `name` is the one named `name` (`monitor.fetch.http` holds `http`), so asking for that
        kind imports it alone: a check of plain pages never imports the browser's modules."""
        self.what = what
        self._builtins = tuple(builtins)
        self._by_kind = {module.rpartition(".")[2]: module for module in builtins} if module_per_kind else {}
        self._loaded = not self._builtins
        self._kinds: dict[str, type[T]] = {}

    def register(self, cls: type[T]) -> type[T]:
        name = getattr(cls, "name", None)
        if not isinstance(name, str) or not name:
            raise TypeError(f"{cls.__name__} needs a `name` class attribute to register as a {self.what}")
        self._kinds[name] = cls
        return cls

    def unregister(self, name: str) -> None:
        """Forget a kind (an extension that is unloaded, or one registered for a while only)."""
        self._kinds.pop(name, None)

    def _load_builtins(self) -> None:
        """Import every built-in module. Marked done only once they all are: a thread that asks meanwhile imports
        them too, and Python's per-module import lock makes it wait for the import under way."""
        if not self._loaded:
            for module in self._builtins:
                importlib.import_module(module)
            self._loaded = True

    def _load_kind(self, name: str) -> None:
        """Make `name` known: its own module when the registry knows it, else every built-in."""
        if name in self._kinds:
            return
        module = self._by_kind.get(name)
        if module is not None:
            importlib.import_module(module)  # idempotent; waits for another thread's import of it
            if name in self._kinds:
                return
        self._load_builtins()

    def get(self, name: str) -> type[T]:
        self._load_kind(name)
        try:
            return self._kinds[name]
        except KeyError:
            close = get_close_matches(name, self._kinds, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; known: {', '.join(sorted(self._kinds))}"
            raise UsageError(f"unknown {self.what} {name!r}{hint}") from None

    def names(self) -> list[str]:
        self._load_builtins()
        return sorted(self._kinds)

    def in_order(self) -> list[str]:
        """Built-ins in the order their modules are listed here, then extensions as they registered
        (whichever module happened to be imported first)."""
        self._load_builtins()
        rank = {module: index for index, module in enumerate(self._builtins)}
        ordered = sorted(
            enumerate(self._kinds.items()),
            key=lambda item: (rank.get(item[1][1].__module__, len(rank)), item[0]),
        )
        return [name for _, (name, _cls) in ordered]

    def __contains__(self, name: object) -> bool:
        if isinstance(name, str):
            self._load_kind(name)
        else:
            self._load_builtins()
        return name in self._kinds


FETCHERS: Registry[Fetcher] = Registry(
    "renderer",
    builtins=("monitor.fetch.http", "monitor.fetch.browser", "monitor.fetch.auto"),
    module_per_kind=True,
)
WATCH_KINDS: Registry[WatchKind] = Registry("watch kind", builtins=("monitor.watch.kinds",))
NOTIFIERS: Registry[Notifier] = Registry(
    "notifier", builtins=("monitor.notify.email", "monitor.notify.apprise_channel")
)

__all__ = ["FETCHERS", "NOTIFIERS", "WATCH_KINDS", "Registry"]
