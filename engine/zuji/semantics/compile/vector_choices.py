"""A chain of `if` on one choice, on numpy arrays: one look-up in a table of its values.

A rule picks a value by option with a chain such as transport's

    if mode is road_truck_30t then truck_30t else if mode is rail then train else ship

On arrays, the chain as written is a numpy.where per option, each inside the rows its branch
reaches: a dozen passes over the rows for what is one value per option. When every branch is a
constant or a factor read (perhaps converted), and the choice a name read, the vector closures
build a `ChoiceTable` instead: the value of each option, worked out with the same products in the
same order as the chain, in a table indexed by the choice's codes, so the rows take their value
in one pass and get the same floats.

Nothing in such a chain can mark a row suspect (a test of a choice, a constant or a factor never
does), so the look-up flags no row, as the chain would not. When a run gives a value per row
instead (Monte Carlo's samples of a factor), or the choice is a value some rows could not
compute, the chain as written runs instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sized
from dataclasses import dataclass
from typing import Any

import numpy as np

Fn = Callable[[Any], Any]


class Read:
    """A name of the evaluation (an input, a value, a factor) or a field of a list's item."""

    __slots__ = ("key",)

    def __init__(self, key: str) -> None:
        self.key = key

    def __call__(self, env: Any) -> Any:
        return env[self.key]


class Constant:
    __slots__ = ("value",)

    def __init__(self, value: float) -> None:
        self.value = value

    def __call__(self, env: Any) -> Any:
        return self.value


class Scaled:
    """A constant or a name read, converted to another unit."""

    __slots__ = ("k", "leaf")

    def __init__(self, leaf: Read | Constant, k: float) -> None:
        self.leaf, self.k = leaf, k

    def __call__(self, env: Any) -> Any:
        return self.leaf(env) * self.k


class OptionTest:
    """`pick is option`, on codes (not negated: a negated test stays a closure)."""

    __slots__ = ("code", "pick")

    def __init__(self, pick: Fn, code: int) -> None:
        self.pick, self.code = pick, code

    def __call__(self, env: Any) -> Any:
        return self.pick(env) == self.code


Leaf = Read | Constant | Scaled


@dataclass(frozen=True)
class Pick:
    """One branch of the chain: its option's code, its value, and the conversion factors its
    value is multiplied by on the way out, innermost first."""

    code: int
    leaf: Leaf
    factors: tuple[float, ...]


class ChoiceTable:
    """The chain `if pick is o1 then v1 else if pick is o2 then v2 ... else v` as a table."""

    def __init__(
        self, key: str, picks: tuple[Pick, ...], otherwise: Pick, codes: Sized, chain: Fn
    ) -> None:
        self.key, self.picks, self.otherwise = key, picks, otherwise
        self.codes = codes  # 0 .. len-1, and -1 (not given) and -2 (unknown) below them
        self.chain = chain  # the chain as written, for what the table cannot do
        # The names the chain reads: the choice and each branch's value read.
        leaves = [p.leaf for p in (*picks, otherwise)]
        leaves = [leaf.leaf if isinstance(leaf, Scaled) else leaf for leaf in leaves]
        self.keys = (key, *(leaf.key for leaf in leaves if isinstance(leaf, Read)))

    def __call__(self, env: Any) -> Any:
        if any(env.is_deferred(key) for key in self.keys):
            return self.chain(env)
        otherwise = _value(self.otherwise, env)
        if np.ndim(otherwise) != 0:  # a value per row: the chain itself
            return self.chain(env)
        table = np.full(len(self.codes) + 2, otherwise, dtype=float)
        for pick in reversed(self.picks):  # the first branch naming an option wins
            value = _value(pick, env)
            if np.ndim(value) != 0:
                return self.chain(env)
            table[pick.code + 2] = value
        picked = np.asarray(env[self.key])
        # A list no row has items in gives an empty array, which numpy makes float.
        return table[(picked if picked.size else picked.astype(np.intp)) + 2]

    def then(self, code: int, leaf: Leaf, kt: float, ko: float, chain: Fn) -> ChoiceTable:
        """This table as the `else` of a branch on the same choice (multiplied by ko)."""
        picks = (Pick(code, leaf, (kt,)), *(_times(p, ko) for p in self.picks))
        return ChoiceTable(self.key, picks, _times(self.otherwise, ko), self.codes, chain)


def _times(pick: Pick, k: float) -> Pick:
    return Pick(pick.code, pick.leaf, (*pick.factors, k))


def _value(pick: Pick, env: Any) -> Any:
    value = pick.leaf(env)
    for k in pick.factors:
        value = value * k
    return value


def choice_table(cf: Fn, tf: Fn, kt: float, of: Fn, ko: float, codes: Sized, chain: Fn) -> Fn:
    """The branch `if cf then tf * kt else of * ko` as a ChoiceTable when it is one, else
    `chain` (the branch as written)."""
    if not isinstance(cf, OptionTest) or not isinstance(cf.pick, Read):
        return chain
    if not isinstance(tf, (Read, Constant, Scaled)):
        return chain
    key = cf.pick.key
    if isinstance(of, ChoiceTable) and of.key == key:
        return of.then(cf.code, tf, kt, ko, chain)
    if isinstance(of, (Read, Constant, Scaled)):
        first = Pick(cf.code, tf, (kt,))
        return ChoiceTable(key, (first,), Pick(-3, of, (ko,)), codes, chain)
    return chain
