"""What each construct compiles to, once its units are settled: the code of code generation.

Code generation (codegen.py, inline.py, values.py) infers units and folds conversion factors in;
the closures it then builds for the constructs that are not plain arithmetic (a division that can
meet zero, a power, a choice test, `and`/`or`/`not`, `if`, `sum over`, `min`/`max`, `given`, an
optional input, a family member) come from a Closures object. `Closures` builds them on plain
floats, for one inventory; zuji.semantics.compile.vector builds the same constructs on numpy
arrays, for many inventories at once, so both generators share every unit check and can only
differ in the arithmetic they emit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from zuji.core.errors import DivisionByZero, MissingMember, NotGiven, Span
from zuji.lang.model import COMPARISONS
from zuji.semantics.compile.plan import Env, Fn


class Closures:
    """The closures of one inventory's evaluation, on plain floats.

    The arithmetic ones (a constant, a name read, a product, a sum or difference with its
    conversion factors, a negation, a comparison, a unit conversion) are written so that they
    serve arrays as they are (vector.py uses them unchanged); scalar.py writes each construct as
    Python source instead."""

    def constant(self, value: float) -> Fn:
        return lambda env: value

    def read(self, key: str) -> Fn:
        """A name of the evaluation: an input, a value (let), a factor, a result figure."""
        return lambda env: env[key]

    def field(self, name: str) -> Fn:
        """A field of the item of a list that `sum over` is adding up (Env.item)."""
        return lambda env: env[name]

    def product(self, lf: Fn, rf: Fn) -> Fn:
        return lambda env: lf(env) * rf(env)

    def linear(self, op: str, lf: Fn, kl: float, rf: Fn, kr: float) -> Fn:
        """left + right or left - right, each side first brought to the common unit."""
        if op == "+":
            return lambda env: lf(env) * kl + rf(env) * kr
        return lambda env: lf(env) * kl - rf(env) * kr

    def negative(self, fn: Fn) -> Fn:
        return lambda env: -fn(env)

    def scale(self, fn: Fn, k: float) -> Fn:
        """A quantity converted to another unit of its dimension."""
        return lambda env: fn(env) * k

    def compare(self, op: str, lf: Fn, kl: float, rf: Fn, kr: float) -> Fn:
        test = COMPARISONS[op]
        return lambda env: test(lf(env) * kl, rf(env) * kr)

    def same_truth(self, lf: Fn, rf: Fn, equal: bool) -> Fn:
        """Two conditions compared: given(cao) == given(mgo)."""
        return lambda env: (lf(env) == rf(env)) == equal

    def quotient(self, lf: Fn, rf: Fn, divisor: str, span: Span | None) -> Fn:
        def quotient(env: Env) -> float:
            denominator = rf(env)
            if denominator == 0:
                raise DivisionByZero(divisor, span)
            return float(lf(env) / denominator)

        return quotient

    def power(self, lf: Fn, kl: float, rf: Fn, kr: float, written: str, span: Span | None) -> Fn:
        return lambda env: real_power(lf(env) * kl, rf(env) * kr, written, span)

    def whole_power(self, lf: Fn, exponent: int, written: str, span: Span | None) -> Fn:
        return lambda env: real_power(lf(env), exponent, written, span)

    def is_option(self, fn: Fn, option: str, negated: bool) -> Fn:
        def test(env: Env) -> bool:
            picked: bool = fn(env) == option
            return picked != negated

        return test

    def option(self, option: str) -> Fn:
        """An option written in the rule, such as a formula's argument natural_gas."""
        return lambda env: option

    def logical(self, op: str, fns: Sequence[Fn]) -> Fn:
        if op == "and":
            return lambda env: all(f(env) for f in fns)
        return lambda env: any(f(env) for f in fns)

    def negation(self, fn: Fn) -> Fn:
        return lambda env: not fn(env)

    def branch(self, cf: Fn, tf: Fn, kt: float, of: Fn, ko: float) -> Fn:
        return lambda env: tf(env) * kt if cf(env) else of(env) * ko

    def sum_over(self, fn: Fn, key: str) -> Fn:
        def total(env: Env) -> float:
            items = env[key]
            try:
                return math.fsum(fn(env.item(item)) for item in items)
            except NotGiven as exc:
                raise placed(exc, key, fn, env, items) from None

        return total

    def given(self, key: str, is_list: bool) -> Fn:
        if is_list:
            # A list left out reads as no items: given() means "has items".
            return lambda env: bool(env.get(key))
        return lambda env: env.get(key) is not None

    def given_field(self, name: str) -> Fn:
        """Whether the item `sum over` is at gives its optional field `name`."""
        return self.given(name, False)

    def extremum(self, function: str, scaled: Sequence[tuple[Fn, float]]) -> Fn:
        pick = min if function == "min" else max

        def extreme(env: Env) -> float:
            value: float = pick(f(env) * k for f, k in scaled)
            return value

        return extreme

    def optional_field(self, listed: str, key: str, span: Span | None) -> Fn:
        """An item's optional field, read inside `sum over` (sum_over names the item)."""

        def read(env: Env) -> object:
            value = env.get(key)
            if value is None:
                raise NotGiven(key, span, item=listed)
            return value

        return read

    def optional(self, key: str, span: Span | None) -> Fn:
        def read(env: Env) -> object:
            value = env.get(key)
            if value is None:
                raise NotGiven(key, span)
            return value

        return read

    def member(
        self,
        name: str,
        pick: Fn,
        conversions: Mapping[str, float],
        member_keys: Mapping[str, str],
    ) -> Fn:
        """The member of family `name` that the choice `pick` names, in the family's unit."""

        def member(env: Env) -> float:
            option = pick(env)
            values = env[name]
            if option not in values:
                raise MissingMember(name, option)
            env.note(member_keys[option])
            return float(values[option]) * conversions[option]

        return member


def real_power(base: float, exponent: float, written: str, span: Span | None) -> float:
    """base ** exponent as a real number: 0 to a negative power divides by zero, and a negative
    base to a fractional power, which Python answers with a complex number, is not a number."""
    try:
        result = base**exponent
    except ZeroDivisionError:
        raise DivisionByZero(written, span) from None
    return result if isinstance(result, (int, float)) else math.nan


def placed(exc: NotGiven, key: str, fn: Fn, env: Env, items: Sequence[dict[str, Any]]) -> NotGiven:
    """A field of list `key` left out, named by the place of its item (deliveries[2]) as the
    inventory writes it. Only on this failing path are the items run again one by one, so the
    sum itself keeps its single pass."""
    if exc.item != key:  # an input read in the body, or already placed
        return exc
    for index, item in enumerate(items):
        try:
            fn(env.item(item))
        except NotGiven as found:
            if found.item == key:
                return NotGiven(found.name, found.span, found.via, f"{key}[{index}]")
    return exc
