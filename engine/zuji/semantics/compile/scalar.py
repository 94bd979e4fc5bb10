"""The third code generator: a PCR's plan written as the source of one Python function on plain
floats, which evaluates the values and lines of one inventory with no closure call and no look-up
of a name per construct.

The same passes as for the closures (and for numpy arrays, vector.py) run on a `SourceClosures`,
whose constructs are fragments of Python source (`Code`) instead of closures, so this generator
shares every unit check and conversion factor of the others and can only differ in the arithmetic
it writes, which mirrors closures.py operation for operation (the same products, in the same
order, so the same floats come out). Compiled once per plan and cached with it:

    from zuji.semantics.compile.scalar import scalar_plan

    splan = scalar_plan(pcr.plan)               # None: a construct it does not write
    evaluate = splan.bind(factors, tables)      # once per reference period (values in force)
    path: list[object] = []
    steps, lines, passed = evaluate(splan.pick_inputs(inventory_values), path.append)

`factors` are the values in force of `splan.factors`, in order; `tables` the members of each
factor family `splan.tables` names, converted to the family's unit (`member_table`). The function
returns each value (let) as a float, or DEFERRED where an optional input it reads is not given (as
the closures defer it), each line's figure in its formula's unit, in the plan's order, and whether
each warning assertion reading no result passed (`splan.warned`); it checks the error assertions
that read no result (`splan.early`) between the values and the lines. It passes to
`path` what the evaluation decided (each condition of an `if`, each operand of `and`/`or` but the
last, whether a list has items, each member of a family picked, each value deferred and where):
the names an evaluation reads follow from that path alone, so the caller works them out once per
path.

Whatever the closures would stop on (a division by zero, an optional input read but not given
outside a value, a family member without a value in force, a power without a real value, a
failed error assertion) raises here, as Stop or as Python's own error (ZeroDivisionError,
KeyError, OverflowError), and the caller evaluates the inventory with the closures, which say why
in their own words.

Nothing from a rule's text reaches the source: names of the evaluation become identifiers made
here (n0, n1, ...), options and field names are values bound to identifiers (c0, c1, ...), a
comparison's operator is chosen from the function the model gives it, and a number is written as
the repr() of a finite float (any other value is bound as a constant too). The function runs with
no built-ins but the few helpers given to it.
"""

from __future__ import annotations

import functools
import math
import operator
import re
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from zuji.core.errors import Span
from zuji.lang import model as m
from zuji.semantics.compile.closures import Closures
from zuji.semantics.compile.plan import Env, Fn, Plan

# A source past this size is left to the closures: compiling it would cost more than it saves.
MOST_SOURCE = 1_000_000

# The operator written for each comparison function of the model (never the rule's own text).
_OPERATORS: dict[Callable[[Any, Any], bool], str] = {
    operator.ge: ">=",
    operator.le: "<=",
    operator.gt: ">",
    operator.lt: "<",
    operator.eq: "==",
    operator.ne: "!=",
}
_LOCAL = re.compile(r"\bn(\d+)\b")

Evaluate = Callable[
    [tuple[Any, ...], Callable[[object], None]],
    tuple[tuple[Any, ...], tuple[Any, ...], tuple[bool, ...]],
]
Bind = Callable[[tuple[Any, ...], tuple[Mapping[str, float], ...]], Evaluate]


class NotGenerated(Exception):
    """A plan this generator does not write (a construct it has no source for, a mistake in the
    rule, a source too large): its evaluations use the closures."""


class Code:
    """A fragment of the generated source, standing where a closure stands in a Typed: a Python
    expression. It is written into the function, never called."""

    __slots__ = ("src",)

    def __init__(self, src: str) -> None:
        self.src = src

    def __call__(self, env: Env) -> Any:
        raise TypeError("generated source is compiled into one function, not called")


def _src(fn: Fn) -> str:
    if not isinstance(fn, Code):
        raise NotGenerated(f"a construct without source: {fn!r}")
    return fn.src


class SourceClosures(Closures):
    """The constructs of one inventory's evaluation as Python source (see the module docstring).

    `locals` names each name of the evaluation the source reads; `constants` are the values the
    source reads by identifier; `tables` the factor family and conversions of each member read."""

    def __init__(self) -> None:
        self.locals: dict[str, str] = {}
        self.constants: list[object] = []
        self.tables: list[tuple[str, dict[str, float]]] = []
        self.optional_reads = 0

    # ------------------------------------------------------------ identifiers and literals
    def local(self, key: str) -> str:
        found = self.locals.get(key)
        if found is None:
            found = self.locals[key] = f"n{len(self.locals)}"
        return found

    def constant_id(self, value: object) -> str:
        for index, known in enumerate(self.constants):
            if type(known) is type(value) and known == value:
                return f"c{index}"
        self.constants.append(value)
        return f"c{len(self.constants) - 1}"

    def number(self, value: object) -> str:
        """A number as a literal: the repr() of a finite float or of an int, else a constant."""
        if (type(value) is float and math.isfinite(value)) or type(value) is int:
            return f"({value!r})"
        return self.constant_id(value)

    # ------------------------------------------------------------ arithmetic
    def constant(self, value: float) -> Fn:
        return Code(self.number(value))

    def read(self, key: str) -> Fn:
        return Code(self.local(key))

    def field(self, name: str) -> Fn:
        return Code(f"it[{self.constant_id(name)}]")

    def product(self, lf: Fn, rf: Fn) -> Fn:
        return Code(f"({_src(lf)} * {_src(rf)})")

    def linear(self, op: str, lf: Fn, kl: float, rf: Fn, kr: float) -> Fn:
        sign = "+" if op == "+" else "-"
        left, right = f"{_src(lf)} * {self.number(kl)}", f"{_src(rf)} * {self.number(kr)}"
        return Code(f"({left} {sign} {right})")

    def negative(self, fn: Fn) -> Fn:
        return Code(f"(-{_src(fn)})")

    def scale(self, fn: Fn, k: float) -> Fn:
        return Code(f"({_src(fn)} * {self.number(k)})")

    def compare(self, op: str, lf: Fn, kl: float, rf: Fn, kr: float) -> Fn:
        token = _OPERATORS.get(m.COMPARISONS[op])
        if token is None:
            raise NotGenerated(f"comparison {op!r}")
        left, right = f"{_src(lf)} * {self.number(kl)}", f"{_src(rf)} * {self.number(kr)}"
        return Code(f"({left} {token} {right})")

    def same_truth(self, lf: Fn, rf: Fn, equal: bool) -> Fn:
        return Code(f"(({_src(lf)} == {_src(rf)}) == {bool(equal)!r})")

    def quotient(self, lf: Fn, rf: Fn, divisor: str, span: Span | None) -> Fn:
        # Python's own division stops on a zero divisor (ZeroDivisionError) where the closures
        # stop on one (DivisionByZero).
        return Code(f"_float({_src(lf)} / {_src(rf)})")

    def power(self, lf: Fn, kl: float, rf: Fn, kr: float, written: str, span: Span | None) -> Fn:
        base, exponent = f"{_src(lf)} * {self.number(kl)}", f"{_src(rf)} * {self.number(kr)}"
        return Code(f"_power({base}, {exponent})")

    def whole_power(self, lf: Fn, exponent: int, written: str, span: Span | None) -> Fn:
        return Code(f"_power({_src(lf)}, {self.number(int(exponent))})")

    # ------------------------------------------------------------ choices and conditions
    def is_option(self, fn: Fn, option: str, negated: bool) -> Fn:
        return Code(f"(({_src(fn)} == {self.constant_id(option)}) != {bool(negated)!r})")

    def option(self, option: str) -> Fn:
        return Code(self.constant_id(option))

    def logical(self, op: str, fns: Sequence[Fn]) -> Fn:
        # Python's and/or stop where all()/any() do; each operand but the last is a decision.
        joiner = " and " if op == "and" else " or "
        parts = [_decided(_src(fn)) for fn in fns[:-1]]
        return Code("(" + joiner.join([*parts, f"_bool({_src(fns[-1])})"]) + ")")

    def negation(self, fn: Fn) -> Fn:
        return Code(f"(not {_src(fn)})")

    def branch(self, cf: Fn, tf: Fn, kt: float, of: Fn, ko: float) -> Fn:
        then, otherwise = f"{_src(tf)} * {self.number(kt)}", f"{_src(of)} * {self.number(ko)}"
        return Code(f"({then} if {_decided(_src(cf))} else {otherwise})")

    def sum_over(self, fn: Fn, key: str) -> Fn:
        items = self.local(key)
        # Whether the list has items is a decision: without any, the body reads nothing.
        return Code(f"_fsum([{_src(fn)} for it in (P(_bool({items})) or {items})])")

    def given(self, key: str, is_list: bool) -> Fn:
        if is_list:
            return Code(f"_bool({self.local(key)})")
        return Code(f"({self.local(key)} is not None)")

    def extremum(self, function: str, scaled: Sequence[tuple[Fn, float]]) -> Fn:
        pick = "_min" if function == "min" else "_max"
        values = ", ".join(f"{_src(f)} * {self.number(k)}" for f, k in scaled)
        return Code(f"{pick}(({values},))")

    def optional(self, key: str, span: Span | None) -> Fn:
        # Each place an optional input is read is numbered: where one not given stops a value,
        # the place is part of the path (it decides what the value read before it stopped).
        self.optional_reads += 1
        value = self.local(key)
        return Code(f"({value} if {value} is not None else _missing(P, {self.optional_reads}))")

    def optional_field(self, listed: str, key: str, span: Span | None) -> Fn:
        # As an optional input: a field left out stops the function, and the closures, run
        # again, name the item (E620).
        self.optional_reads += 1
        field = self.constant_id(key)
        return Code(
            f"(it[{field}] if it.get({field}) is not None else _missing(P, {self.optional_reads}))"
        )

    def given_field(self, name: str) -> Fn:
        return Code(f"(it.get({self.constant_id(name)}) is not None)")

    def member(
        self,
        name: str,
        pick: Fn,
        conversions: Mapping[str, float],
        member_keys: Mapping[str, str],
    ) -> Fn:
        self.tables.append((name, dict(conversions)))
        # The member picked is a decision; one without a value in force raises KeyError.
        return Code(f"(P(_o := {_src(pick)}) or t{len(self.tables) - 1}[_o])")


# ---------------------------------------------------------------- what the source calls


class Stop(Exception):
    """Raised by the generated function where the closures would stop or defer."""


class NotGiven(Stop):
    """An optional input read but not given: the value (let) reading it is deferred, as the
    closures defer it (runtime.scope.Deferred), and so is every value reading that one."""


class _Deferred:
    """What a deferred value holds in the generated function: any use of it stops the value or
    line using it, as reading a Deferred does in the closures."""

    __slots__ = ()

    def _stop(self, *other: object) -> Any:
        raise NotGiven("a value that could not be computed")

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _stop
    __truediv__ = __rtruediv__ = __pow__ = __rpow__ = __neg__ = __pos__ = __abs__ = _stop
    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = __bool__ = __float__ = _stop
    __hash__ = None  # type: ignore[assignment]  # compared values are not hashable


DEFERRED = _Deferred()


def _missing(path: Callable[[object], None], place: int) -> Any:
    """An optional input read but not given, at read number `place`: a decision of the path (it
    decides what the value read before it stopped)."""
    path(place)
    raise NotGiven("an optional input read but not given")


def _power(base: float, exponent: float) -> float:
    result = base**exponent  # 0 to a negative power raises ZeroDivisionError: a stop too
    return result if isinstance(result, (int, float)) else math.nan


def _refused() -> None:
    raise Stop("an error assertion fails")


def _defer(path: Callable[[object], None], index: int) -> _Deferred:
    """Value number `index` deferred: a decision of the path, as each value deferred differs in
    what the values and lines after it read."""
    path(-1 - index)
    return DEFERRED


_HELPERS: dict[str, Any] = {
    "__builtins__": {},
    "_float": float,
    "_bool": bool,
    "_min": min,
    "_max": max,
    "_fsum": math.fsum,
    "_power": _power,
    "_missing": _missing,
    "_NotGiven": NotGiven,
    "_defer": _defer,
    "_refused": _refused,
}


def _decided(condition: str) -> str:
    """A condition whose truth is a decision of the path: recorded (P appends it and returns
    None), then taken, with no call of a helper of ours."""
    return f"(P(_c := {condition}) or _c)"


@dataclass(frozen=True, eq=False)
class ScalarPlan:
    """A plan's generated function, and what it is bound to and reads (module docstring)."""

    plan: Plan
    source: str
    bind_constants: Callable[[tuple[object, ...]], Bind]
    constants: tuple[object, ...]
    inputs: tuple[str, ...]  # read from the inventory's values, in this order
    factors: tuple[str, ...]  # factor values in force, in this order
    tables: tuple[tuple[str, Mapping[str, float]], ...]  # family, conversion of each member
    steps: tuple[str, ...]
    # The error assertions it checks (those reading no result), by their index in the plan:
    # where one fails, the function stops and the closures refuse the inventory in its words.
    early: tuple[int, ...] = ()
    warned: tuple[int, ...] = ()  # the warning ones reading no result: whether each passed

    def bind(self, factors: tuple[Any, ...], tables: tuple[Mapping[str, float], ...]) -> Evaluate:
        """The function evaluating inventories of one reference period."""
        return self.bind_constants(self.constants)(factors, tables)

    def pick_inputs(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        """The inputs the function reads, in its order, from an inventory's values."""
        return self.picker(values)

    @functools.cached_property
    def picker(self) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
        if len(self.inputs) > 1:
            return operator.itemgetter(*self.inputs)  # a tuple, picked in C
        return lambda values: tuple(values[name] for name in self.inputs)


def member_table(members: Mapping[str, Any], conversions: Mapping[str, float]) -> dict[str, float]:
    """Each member with a value in force, converted as the closures convert it."""
    return {o: float(members[o]) * k for o, k in conversions.items() if o in members}


_NONE = object()
_SCALAR_PLANS: weakref.WeakKeyDictionary[Plan, object] = weakref.WeakKeyDictionary()


def scalar_plan(plan: Plan) -> ScalarPlan | None:
    """The generated function of a compiled plan, made once per plan; None for a plan whose
    evaluations stay with the closures (a mistake in the rule, a construct without source)."""
    cached = _SCALAR_PLANS.get(plan, _NONE)
    if cached is _NONE:
        try:
            cached = generate(plan)
        except NotGenerated:
            cached = None
        _SCALAR_PLANS[plan] = cached
    return cached if isinstance(cached, ScalarPlan) else None


def generate(plan: Plan) -> ScalarPlan:
    """Write, compile and load the function of a plan (raises NotGenerated)."""
    from zuji.semantics.compile import compile_plan  # the package imports this module

    if any(d.is_error for d in plan.diagnostics):
        raise NotGenerated("the rule has mistakes")
    closures = SourceClosures()
    written = compile_plan(plan.resolved, closures=closures)
    if [s.name for s in written.steps] != [s.name for s in plan.steps] or len(written.lines) != len(
        plan.lines
    ):
        raise NotGenerated("the plan compiled differently")
    steps = [x for i, s in enumerate(written.steps) for x in _step(closures, i, s.name, s.fn)]
    early, warned = _assertions(plan, written)
    checks = [f"if not {_src(written.assertions[i].fn)}: _refused()" for i in early]
    outputs = ", ".join(closures.local(s.name) for s in written.steps)
    lines = ", ".join(_src(lp.fn) for lp in written.lines)
    # Whether each passed, as bool() of the closures' value says (no built-in is at hand).
    passed = ", ".join(f"(True if {_src(written.assertions[i].fn)} else False)" for i in warned)
    body = [
        *steps,
        *checks,
        # The lines are worked out before the warnings, as the closures work them out.
        f"return ({outputs}{',' if outputs else ''}), ({lines}{',' if lines else ''}), "
        f"({passed}{',' if passed else ''})",
    ]
    inputs, factors = _loaded(plan, closures, set(plan.steps_by_name), body)
    source = _source(closures, inputs, factors, body)
    return ScalarPlan(
        plan,
        source,
        _load(source),
        tuple(closures.constants),
        tuple(inputs),
        tuple(factors),
        tuple(closures.tables),
        tuple(s.name for s in written.steps),
        early,
        warned,
    )


def _assertions(plan: Plan, written: Plan) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The assertions that read no result, by their index: the error ones, which evaluation
    checks after the values and before the lines (runtime.assertions.early_assertions), and the
    warning ones, which it runs after the lines (runtime.assertions.assertions)."""
    if [a.assertion for a in written.assertions] != [a.assertion for a in plan.assertions]:
        raise NotGenerated("the assertions compiled differently")
    read = [(i, a.assertion.level == "error") for i, a in enumerate(plan.assertions)]
    plain = [(i, error) for i, error in read if not plan.assertions[i].uses_results]
    return tuple(i for i, error in plain if error), tuple(i for i, error in plain if not error)


def _step(closures: SourceClosures, index: int, name: str, fn: Fn) -> list[str]:
    """A value (let): deferred, with its place in the path, where an optional input stops it."""
    local = closures.local(name)
    return [
        "try:",
        f"    {local} = _float({_src(fn)})",
        "except _NotGiven:",
        f"    {local} = _defer(P, {index})",
    ]


def _loaded(
    plan: Plan, closures: SourceClosures, computed: set[str], body: list[str]
) -> tuple[list[str], list[str]]:
    """The inputs and factors the body reads (each name it reads must be one of them or a value
    it computes)."""
    names = {identifier: key for key, identifier in closures.locals.items()}
    used = sorted({int(x) for x in _LOCAL.findall("\n".join(body))})
    inputs, factors = [], []
    for index in used:
        key = names[f"n{index}"]
        if key in computed:
            continue
        if plan.pcr.input(key) is not None:
            inputs.append(key)
        elif key in plan.resolved.entries:
            factors.append(key)
        else:
            raise NotGenerated("a name that is neither input, factor nor value")
    return inputs, factors


def _unpack(names: Sequence[str], source: str) -> list[str]:
    return [f"({', '.join(names)},) = {source}"] if names else []


def _source(
    closures: SourceClosures, inputs: list[str], factors: list[str], body: list[str]
) -> str:
    local = closures.locals
    constants = [f"c{i}" for i in range(len(closures.constants))]
    tables = [f"t{i}" for i in range(len(closures.tables))]
    text = "\n".join(
        [
            "def _constants(C):",
            *("    " + x for x in _unpack(constants, "C")),
            "    def _bind(F, T):",
            *("        " + x for x in _unpack([local[k] for k in factors], "F")),
            *("        " + x for x in _unpack(tables, "T")),
            "        def _evaluate(V, P):",
            *("            " + x for x in _unpack([local[k] for k in inputs], "V")),
            *("            " + x for x in body),
            "        return _evaluate",
            "    return _bind",
            "",
        ]
    )
    if len(text) > MOST_SOURCE:
        raise NotGenerated("source too large")
    return text


def _load(source: str) -> Callable[[tuple[object, ...]], Bind]:
    namespace = dict(_HELPERS)
    try:
        code = compile(source, "<zuji generated plan>", "exec")
        exec(code, namespace)  # the source is written above from the plan alone
    except (SyntaxError, RecursionError, MemoryError, ValueError) as exc:
        raise NotGenerated(f"the source does not compile: {exc}") from None
    made: Callable[[tuple[object, ...]], Bind] = namespace["_constants"]
    return made
