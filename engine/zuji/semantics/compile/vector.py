"""The second code generator: a PCR's plan as closures on numpy arrays, evaluating N inventories
in one call.

Public shape (batches and Monte Carlo build on it)::

    from zuji.semantics.compile.vector import vector_plan
    from zuji.runtime.vector import factors_in_force, one_inventory, run_vector

    vplan = vector_plan(pcr.plan)                       # compiled once per plan, cached
    inputs = one_inventory(vplan, inventory, n)         # or inventory_arrays, batch_table.arrays
    factors = factors_in_force(pcr.plan, inventory.period_start)
    factors["electricity.national_grid"] = samples      # any factor: a float or n samples
    figures = run_vector(vplan, inputs, factors, n)     # runtime.vector.Figures: arrays of n
    figures.total, figures.by_stage, figures.suspect    # suspect: rows to leave to the scalar

Underneath, each step, line, weight and assertion of `vplan.plan` has a closure `fn(env)` on a
`VectorEnv(values, n)`, giving an array of length n (or a scalar, to broadcast).

`values` maps every name a closure reads to:

- a quantity input: a float array of length n in the PCR's declared unit, NaN where not given;
- a choice input: an int array of codes (`vplan.codes[option]`), -1 where not given;
- a list input: a `ListColumn` (the row of each item, and one array per field, items flat);
- a factor: a float, or a float array of length n (samples, one per row);
- a factor family: a mapping option -> float or array of length n (a member without a value in
  force is left out, as in the scalar path);
- a value (`let`) once computed: an array of length n.

Every construct gives the scalar path's arithmetic element by element (`if` is numpy.where, a
list's sum is a segment sum with numpy.bincount, a choice is an integer code). What the scalar
path would refuse or stop on for an inventory (a division by zero, an optional input read but not
given, a family member with no value in force, a power that is not a finite real number, a NaN
in min/max, whose answer Python's min leaves to argument order) is not decided here: the row is
marked in `env.suspect` wherever the construct is reached (the branch of an `if` or the operand
of `and`/`or` taken for that row), and the caller evaluates suspect rows one by one with the
scalar path, which gives the result or the error in its own words. So a construct this generator
cannot settle falls back per row and never gives a wrong number.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from zuji.core.errors import Span
from zuji.lang import model as m
from zuji.semantics.compile.closures import Closures
from zuji.semantics.compile.plan import Env, Fn, Plan
from zuji.semantics.compile.vector_choices import (
    Constant,
    OptionTest,
    Read,
    Scaled,
    choice_table,
)

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


def _summed(fn: Fn, env: Any, column: ListColumn) -> Any:
    items = env.items(column)
    body = np.broadcast_to(np.asarray(fn(items), dtype=float), (items.n,))
    return column.add_up(body)


class ItemsPerRow(Exception):
    """A list kept as one row's items, the same in every row (Monte Carlo keeps a list so while
    no sample reaches it), read with a value that differs by row: it needs its items in every
    row (ListColumn.repeated), and the sum over it is worked out again so."""


def _times(fn: Fn, k: float) -> Fn:
    """fn converted by the factor k: fn itself when k is 1."""
    if k == 1.0:
        return fn
    return lambda env: fn(env) * k


def given(value: Any) -> Any:
    """Where an input is given: not NaN for a quantity, a code for a choice, items for a list."""
    if isinstance(value, ListColumn):
        return value.counts > 0
    if value is None:
        return False
    array = np.asarray(value)
    if array.dtype.kind == "f":
        return ~np.isnan(array)
    return array != NOT_GIVEN


class VectorClosures(Closures):
    """The closures of n inventories' evaluation, on numpy arrays (see the module docstring)."""

    def __init__(self) -> None:
        self.codes: dict[str, int] = {}

    def code(self, option: str) -> int:
        return self.codes.setdefault(option, len(self.codes))

    # Reads, constants, conversions and option tests as objects that say what they are, so that
    # a chain of `if` on one choice becomes a look-up (vector_choices.ChoiceTable).
    def constant(self, value: float) -> Fn:
        # A float, so that no arithmetic of the rule runs on numpy's fixed-width integers.
        return Constant(float(value))

    def read(self, key: str) -> Fn:
        return Read(key)

    def field(self, name: str) -> Fn:
        return Read(name)

    def scale(self, fn: Fn, k: float) -> Fn:
        if isinstance(fn, (Read, Constant)):
            return Scaled(fn, k)
        return _times(fn, k)

    # Each side brought to the common unit: a factor of 1 is left out (x * 1.0 is x to the bit,
    # and on arrays it would be a pass over the rows and a new array).
    def linear(self, op: str, lf: Fn, kl: float, rf: Fn, kr: float) -> Fn:
        left, right = _times(lf, kl), _times(rf, kr)
        if op == "+":
            return lambda env: left(env) + right(env)
        return lambda env: left(env) - right(env)

    def compare(self, op: str, lf: Fn, kl: float, rf: Fn, kr: float) -> Fn:
        test, left, right = m.COMPARISONS[op], _times(lf, kl), _times(rf, kr)
        return lambda env: test(left(env), right(env))

    def quotient(self, lf: Fn, rf: Fn, divisor: str, span: Span | None) -> Fn:
        def quotient(env: Any) -> Any:
            denominator = rf(env)
            env.flag(denominator == 0)
            return np.divide(lf(env), denominator)

        return quotient

    def power(self, lf: Fn, kl: float, rf: Fn, kr: float, written: str, span: Span | None) -> Fn:
        left, right = _times(lf, kl), _times(rf, kr)

        def power(env: Any) -> Any:
            result = np.power(np.asarray(left(env), dtype=float), right(env))
            env.flag(~np.isfinite(result))
            return result

        return power

    def whole_power(self, lf: Fn, exponent: int, written: str, span: Span | None) -> Fn:
        return self.power(lf, 1.0, lambda env: exponent, 1.0, written, span)

    def is_option(self, fn: Fn, option: str, negated: bool) -> Fn:
        code = self.code(option)
        if negated:
            return lambda env: fn(env) != code
        return OptionTest(fn, code)

    def option(self, option: str) -> Fn:
        code = self.code(option)
        return lambda env: code

    def logical(self, op: str, fns: Sequence[Fn]) -> Fn:
        def joined(env: Any) -> Any:
            # Python's all()/any() stop at the first operand that settles the answer: the later
            # operands are reached only in the rows still open.
            acc = np.asarray(fns[0](env), dtype=bool)
            for fn in fns[1:]:
                with env.within(acc if op == "and" else ~acc):
                    part = np.asarray(fn(env), dtype=bool)
                acc = (acc & part) if op == "and" else (acc | part)
            return acc

        return joined

    def negation(self, fn: Fn) -> Fn:
        return lambda env: np.logical_not(fn(env))

    def branch(self, cf: Fn, tf: Fn, kt: float, of: Fn, ko: float) -> Fn:
        then_fn, otherwise_fn = _times(tf, kt), _times(of, ko)

        def branch(env: Any) -> Any:
            condition = np.asarray(cf(env), dtype=bool)
            with env.within(condition):
                then = then_fn(env)
            with env.within(~condition):
                otherwise = otherwise_fn(env)
            return np.where(condition, then, otherwise)

        return choice_table(cf, tf, kt, of, ko, self.codes, branch)

    def sum_over(self, fn: Fn, key: str) -> Fn:
        def total(env: Any) -> Any:
            column: ListColumn = env[key]
            try:
                return _summed(fn, env, column)
            except ItemsPerRow:  # what it flagged so far, every row's items flag again
                column = env.values[key] = column.repeated(env.n)
                return _summed(fn, env, column)

        return total

    def given(self, key: str, is_list: bool) -> Fn:
        return lambda env: given(env.get(key))

    def extremum(self, function: str, scaled: Sequence[tuple[Fn, float]]) -> Fn:
        pick = np.minimum if function == "min" else np.maximum

        fns = [_times(f, k) for f, k in scaled]

        def extreme(env: Any) -> Any:
            values = [np.asarray(f(env), dtype=float) for f in fns]
            env.flag(functools.reduce(np.logical_or, [np.isnan(v) for v in values]))
            return functools.reduce(pick, values)

        return extreme

    def optional(self, key: str, span: Span | None) -> Fn:
        def read(env: Any) -> Any:
            value = env[key]
            env.flag(~given(value))
            return value

        return read

    def optional_field(self, listed: str, key: str, span: Span | None) -> Fn:
        return self.optional(key, span)  # on an item's env: the items (so rows) left without it

    def member(
        self,
        name: str,
        pick: Fn,
        conversions: Mapping[str, float],
        member_keys: Mapping[str, str],
    ) -> Fn:
        codes = {option: self.code(option) for option in conversions}

        def member(env: Any) -> Any:
            picked, values = pick(env), env[name]
            missing = [codes[o] for o in conversions if o not in values]
            if missing:  # no value in force: the scalar path names the factor
                env.flag(np.isin(picked, missing))
            if all(np.ndim(values[o]) == 0 for o in conversions if o in values):
                # One value per member: a table indexed by the codes (2 slots for the codes
                # of a choice not given or unknown, whose rows are suspect already).
                table = np.full(len(self.codes) + 2, np.nan)
                for option, k in conversions.items():
                    if option in values:
                        table[codes[option] + 2] = float(values[option]) * k
                # A list no row has items in gives an empty array, which numpy makes float.
                index = np.asarray(picked)
                return table[(index if index.size else index.astype(np.intp)) + 2]
            out: Any = np.nan
            for option, k in conversions.items():  # samples: one value per row and member
                if option in values:
                    chosen = picked == codes[option]
                    out = np.where(chosen, np.asarray(values[option], dtype=float) * k, out)
            return out

        return member


@dataclass(frozen=True, eq=False)
class VectorPlan:
    """A PCR's plan compiled on arrays, and the integer code of every option."""

    plan: Plan
    codes: Mapping[str, int]

    def code_of(self, options: Sequence[str] | Array) -> npt.NDArray[np.int64]:
        """Choice codes for option names; NOT_GIVEN for a blank, -2 for an unknown option."""
        lookup = {**self.codes, "": NOT_GIVEN}
        return np.fromiter(
            (lookup.get(str(o) if o is not None else "", -2) for o in options),
            dtype=np.int64,
            count=len(options),
        )


_VECTOR_PLANS: weakref.WeakKeyDictionary[Plan, VectorPlan] = weakref.WeakKeyDictionary()


def vector_plan(plan: Plan) -> VectorPlan:
    """The vectorised plan of a compiled plan, compiled once per plan."""
    cached = _VECTOR_PLANS.get(plan)
    if cached is None:
        from zuji.semantics.compile import compile_plan  # the package imports this module

        closures = VectorClosures()
        for option in _options(plan):
            closures.code(option)
        vplan = compile_plan(plan.resolved, closures=closures)
        cached = VectorPlan(vplan, dict(closures.codes))
        _VECTOR_PLANS[plan] = cached
    return cached


def _options(plan: Plan) -> list[str]:
    """Every option of every choice the PCR and its modules declare, so inputs have codes."""
    options: list[str] = []
    for symbol in plan.resolved.symbols.values():
        decl = symbol.decl
        if isinstance(decl, m.ChoiceType):
            options.extend(decl.options)
        if isinstance(decl, m.Input):
            options.extend(decl.options or ())
            for fld in decl.fields:
                options.extend(fld.options or ())
    return options
