"""The names of n inventories on numpy arrays, as the vector closures (vector.py) read them.

`VectorEnv(values, n)` holds every name a closure reads (inputs, factors, values once computed),
the rows the code being run reaches, and the rows marked suspect: those left to the scalar path.
`ItemEnv` is the same inside `sum over`, one row per item of a `ListColumn`. vector.py describes
what each name holds.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from zuji.semantics.compile.plan import Env

Array = npt.NDArray[Any]
NOT_GIVEN = -1  # the code of a choice the inventory leaves out


@dataclass(frozen=True)
class ListColumn:
    """A list input for n inventories, items flat: `rows[i]` is the inventory of item i.

    `blocks` = k says the items are k whole blocks, each one item of every row in row order
    (rows is arange(n) k times over, as a table with every item column filled gives): spreading
    and adding up then need no indexing."""

    rows: npt.NDArray[np.intp]
    fields: Mapping[str, Array]
    n: int
    blocks: int = 0

    @functools.cached_property
    def counts(self) -> npt.NDArray[np.intp]:
        if self.blocks:
            return np.full(self.n, self.blocks, dtype=np.intp)
        return np.bincount(self.rows, minlength=self.n)

    def spread(self, value: Array) -> Array:
        """A value per row, as a value per item."""
        if self.blocks == 1:
            return value
        return np.tile(value, self.blocks) if self.blocks else value[self.rows]

    def add_up(self, body: Array) -> Array:
        """A value per item, added up per row in item order."""
        if self.blocks == 1:
            return body
        if self.blocks:
            return _sum_blocks(body.reshape(self.blocks, self.n))
        total: Array = np.bincount(self.rows, weights=body, minlength=self.n)
        return total

    def repeated(self, n: int) -> ListColumn:
        """This column of one row (one inventory's items, as Monte Carlo keeps a list its
        samples do not reach) for n rows alike, in whole blocks."""
        blocks = len(self.rows)
        fields = {name: np.repeat(values, n) for name, values in self.fields.items()}
        return ListColumn(np.tile(np.arange(n, dtype=np.intp), blocks), fields, n, blocks)

    def any_of(self, mask: Array) -> Array:
        """Rows where `mask` holds for any of their items."""
        if self.blocks:
            return np.asarray(mask.reshape(self.blocks, self.n).any(axis=0))
        rows = np.zeros(self.n, dtype=bool)
        rows[self.rows[mask]] = True
        return rows


def _sum_blocks(blocks: Array) -> Array:
    total: Array = blocks[0].copy()
    for block in blocks[1:]:
        total += block
    return total


class VectorEnv:
    """The names of n inventories, the rows reached by the code being run, and the suspect rows."""

    def __init__(self, values: dict[str, Any], n: int) -> None:
        self.values = values
        self.n = n
        self.reach: Array | None = None  # None: every row
        self.suspect = np.zeros(n, dtype=bool)
        # The rows where a value (let) could not be computed: the scalar path keeps it Deferred,
        # an error only where it is read, so a row is suspect only where its value is read.
        self.deferred: dict[str, Array] = {}

    def __getitem__(self, key: str) -> Any:
        if key in self.deferred:
            self.flag(self.deferred[key])
        return self.values[key]

    def get(self, key: str, default: Any = None) -> Any:
        if key in self.deferred:
            self.flag(self.deferred[key])
        return self.values.get(key, default)

    def is_deferred(self, key: str) -> bool:
        """Whether value `key` could not be computed in some rows."""
        return key in self.deferred

    @contextmanager
    def deferring(self, name: str) -> Iterator[None]:
        """Compute value `name`: what it flags is kept as its own, flagged where it is read."""
        saved, self.suspect = self.suspect, np.zeros(self.n, dtype=bool)
        try:
            yield
        finally:
            # Kept only where some row is deferred: every read of a value would otherwise
            # add an array of no rows to the suspect ones.
            if self.suspect.any():
                self.deferred[name] = self.suspect
            else:
                self.deferred.pop(name, None)
            self.suspect = saved

    def note(self, key: str) -> None:
        """Reads are recorded by the scalar path only (data quality is not a batch figure)."""

    def item(self, fields: dict[str, Any]) -> Env:
        raise TypeError("a vectorised sum over reads its items through items()")

    def items(self, column: ListColumn) -> ItemEnv:
        return ItemEnv(self, column)

    def flag(self, mask: Any) -> None:
        """Rows where something the scalar path must judge happened, in the code reached."""
        if np.ndim(mask) == 0 and not mask:
            return  # a test of one number (a line or factor no sample reaches) that passed
        mask = np.broadcast_to(np.asarray(mask, dtype=bool), (self.n,))
        if self.reach is not None:
            mask = mask & self.reach
        self.suspect |= mask

    @contextmanager
    def within(self, mask: Any) -> Iterator[None]:
        """Run code only reached in the rows of `mask` (a branch, an operand of and/or)."""
        saved = self.reach
        mask = np.broadcast_to(np.asarray(mask, dtype=bool), (self.n,))
        self.reach = mask if saved is None else saved & mask
        try:
            yield
        finally:
            self.reach = saved


class ItemEnv(VectorEnv):
    """Inside `sum over`: one row per item; names of the inventory are spread to its items."""

    def __init__(self, parent: VectorEnv, column: ListColumn) -> None:
        super().__init__({}, len(column.rows))
        self.parent, self.column = parent, column
        reach = parent.reach
        if reach is not None and column.n != parent.n:  # one row's items, standing for every row
            if not reach.any() or reach.all():
                reach = reach[:1]
            else:  # reached in some rows only
                raise ItemsPerRow(column)
        self.reach = None if reach is None else column.spread(reach)
        self.spread: dict[str, Any] = {}

    def __getitem__(self, key: str) -> Any:
        if key in self.column.fields:
            return self.column.fields[key]
        if key not in self.spread:
            self.spread[key] = self._spread(self.parent[key])
        return self.spread[key]

    def get(self, key: str, default: Any = None) -> Any:
        if key in self.column.fields or key in self.parent.values:
            return self[key]
        return default

    def is_deferred(self, key: str) -> bool:
        return key not in self.column.fields and self.parent.is_deferred(key)

    @contextmanager
    def deferring(self, name: str) -> Iterator[None]:
        raise TypeError("values are computed for inventories, not for items")
        yield

    def _spread(self, value: Any) -> Any:
        if isinstance(value, np.ndarray) and value.shape == (self.column.n,):
            return self.column.spread(value)
        if isinstance(value, np.ndarray) and value.shape == (self.parent.n,):
            raise ItemsPerRow(self.column)  # a value by row read by one row's items
        if isinstance(value, Mapping):
            return {k: self._spread(v) for k, v in value.items()}
        return value

    def flag(self, mask: Any) -> None:
        if np.ndim(mask) == 0 and not mask:
            return
        mask = np.broadcast_to(np.asarray(mask, dtype=bool), (self.n,))
        if self.reach is not None:
            mask = mask & self.reach
        if mask.any():
            self.parent.suspect |= self.column.any_of(mask)


class ItemsPerRow(Exception):
    """A list kept as one row's items, the same in every row (Monte Carlo keeps a list so while
    no sample reaches it), read with a value that differs by row: it needs its items in every
    row (ListColumn.repeated), and the sum over it is worked out again so."""


def given(value: Any) -> Any:
    """Where an input is given: not NaN for a quantity, a code for a choice, items for a list.

    A value the same in every row (an input a table leaves out, a default, one inventory seen
    n times over) gives one answer for all of them, so that an `if` on it runs one branch."""
    if isinstance(value, ListColumn):
        if value.blocks:
            return np.True_
        return value.counts > 0 if len(value.rows) else np.False_
    if value is None:
        return False
    array = np.asarray(value)
    if uniform(array):
        array = array[0]
    if array.dtype.kind == "f":
        return ~np.isnan(array)
    return array != NOT_GIVEN


def uniform(array: Array) -> bool:
    """Whether an array of rows holds one value seen in every row (one element, or a stride of
    0 as numpy.broadcast_to gives)."""
    return array.ndim == 1 and (
        array.shape[0] == 1 or (array.shape[0] > 1 and array.strides[0] == 0)
    )
