"""A cache keyed by the identity of an immutable object, for what is derived once per rule.

A frozen model (a whole rule file) hashes by value, walking every node: hashing it for a cache
look-up costs more than much of what is cached. Its identity is enough, since a model is never
changed once built; the entry keeps the object alive, so its id cannot be reused while cached.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

K = TypeVar("K")
V = TypeVar("V")


def by_identity(most: int = 64) -> Callable[[Callable[[K], V]], Callable[[K], V]]:
    """Decorate a function of one object: its results cached by the object's identity (the
    `most` most recently used)."""

    def decorate(fn: Callable[[K], V]) -> Callable[[K], V]:
        cached: OrderedDict[int, tuple[Any, V]] = OrderedDict()
        # The object asked for last and its value, tried first: most callers ask for the same
        # rule or plan many times in a row. One tuple, replaced whole, so that a thread reads
        # an object and its own value, never another's.
        last: tuple[Any, Any] = (None, None)

        @wraps(fn)
        def wrapper(key: K) -> V:
            nonlocal last
            seen = last
            if seen[0] is key and key is not None:
                found_last: V = seen[1]
                return found_last
            found = cached.get(id(key))
            if found is not None and found[0] is key:
                last = found
                return found[1]
            value = fn(key)
            cached[id(key)] = last = (key, value)
            if len(cached) > most:
                cached.popitem(last=False)
            return value

        def cache_clear() -> None:
            nonlocal last
            cached.clear()
            last = (None, None)

        wrapper.cache_clear = cache_clear  # type: ignore[attr-defined]
        return wrapper

    return decorate
