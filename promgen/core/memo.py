"""Values derived from an object, remembered while the object lives.

Keyed by the object's id, with the object kept beside the value: its id cannot be given to another
object while the entry holds it, and a lookup checks it is the very same object. For objects that
cannot be hashed (dicts, parser nodes) or are expensive to hash (a spec), and are never changed after
the value is derived from them.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

Value = TypeVar("Value")


class ByObject(Generic[Value]):
    """At most `limit` values (all are dropped when it is reached: a render asks of few objects at once)."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._entries: dict[tuple[int, Hashable], tuple[object, Value]] = {}

    def get(self, owner: object, make: Callable[[], Value], part: Hashable = None) -> Value:
        """The value derived from `owner` (and `part` of it), made by `make` the first time."""
        key = (id(owner), part)
        found = self._entries.get(key)
        if found is not None and found[0] is owner:
            return found[1]
        value = make()
        if len(self._entries) >= self._limit:
            self._entries.clear()
        self._entries[key] = (owner, value)
        return value
