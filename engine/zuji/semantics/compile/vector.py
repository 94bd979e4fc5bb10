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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from zuji.core.errors import Span
from zuji.lang import model as m
from zuji.semantics.compile.closures import Closures
from zuji.semantics.compile.plan import Fn, Plan
from zuji.semantics.compile.vector_choices import (
    Constant,
    OptionTest,
    Read,
    Scaled,
    choice_table,
)
from zuji.semantics.compile.vector_env import (
    NOT_GIVEN,
    Array,
    ItemEnv,
    ItemsPerRow,
    ListColumn,
    VectorEnv,
    given,
    uniform,
)


def _summed(fn: Fn, env: Any, column: ListColumn) -> Any:
    items = env.items(column)
    body = np.broadcast_to(np.asarray(fn(items), dtype=float), (items.n,))
    return column.add_up(body)


def _times(fn: Fn, k: float) -> Fn:
    """fn converted by the factor k: fn itself when k is 1."""
    if k == 1.0:
        return fn
    return lambda env: fn(env) * k


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
                if acc.ndim == 0:  # the same in every row: settled, or the next one decides
                    if bool(acc) == (op == "or"):
                        return acc
                    acc = np.asarray(fn(env), dtype=bool)
                    continue
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
            if condition.ndim == 0:  # the same in every row: only its branch is reached
                return then_fn(env) if condition else otherwise_fn(env)
            with env.within(condition):
                then = then_fn(env)
            with env.within(~condition):
                otherwise = otherwise_fn(env)
            return np.where(condition, then, otherwise)

        return choice_table(cf, tf, kt, of, ko, self.codes, branch)

    def sum_over(self, fn: Fn, key: str) -> Fn:
        def total(env: Any) -> Any:
            column: ListColumn = env[key]
            if not len(column.rows):  # no row has items: every sum is 0, nothing is reached
                return 0.0
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


__all__ = [
    "NOT_GIVEN",
    "Array",
    "ItemEnv",
    "ItemsPerRow",
    "ListColumn",
    "VectorClosures",
    "VectorEnv",
    "VectorPlan",
    "given",
    "uniform",
    "vector_plan",
]
