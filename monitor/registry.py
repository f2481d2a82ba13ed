"""Registries for the kinds that grow: fetchers, notifiers, watch kinds.

A kind is a small class with a `name` class attribute equal to the name the config uses
(`renderer = "browser"`, `kind = "clause"`, `[notify.email]`). Built-ins register exactly like
extensions do: `@FETCHERS.register` on the class.
"""

from __future__ import annotations

from difflib import get_close_matches
from typing import Generic, TypeVar

from monitor.errors import UsageError

T = TypeVar("T")


class Registry(Generic[T]):
    def __init__(self, what: str) -> None:
        self.what = what
        self._kinds: dict[str, type[T]] = {}

    def register(self, cls: type[T]) -> type[T]:
        name = getattr(cls, "name", None)
        if not isinstance(name, str) or not name:
            raise TypeError(f"{cls.__name__} needs a `name` class attribute to register as a {self.what}")
        self._kinds[name] = cls
        return cls

    def get(self, name: str) -> type[T]:
        try:
            return self._kinds[name]
        except KeyError:
            close = get_close_matches(name, self._kinds, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; known: {', '.join(sorted(self._kinds))}"
            raise UsageError(f"unknown {self.what} {name!r}{hint}") from None

    def names(self) -> list[str]:
        return sorted(self._kinds)

    def __contains__(self, name: object) -> bool:
        return name in self._kinds
