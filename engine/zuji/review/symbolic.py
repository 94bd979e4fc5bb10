"""Rule expressions as sympy: exact algebra for proofs of equivalence, LaTeX for the published site.

Two renderings of the same model expression:

- `to_sympy` gives the algebraic form. Decimal literals become exact Rationals (a Number keeps
  only its float, whose shortest repr is the literal as written, so 0.1 is 1/10); a unit becomes
  the product of one `UnitSymbol` per unit name and power, so `44 [t CO2] / 12 [t C]` is
  11/3 · [CO2]/[C] and equal formulas with units compare equal. Names are plain Symbols named by
  their dotted name. Choice options, inline factors and list items get Symbol subclasses of
  their own, so that an option named like an input (steel's `coke`) never aliases it.
- `to_latex` builds the same tree unevaluated (the order, fractions and units as the committee
  wrote them) and prints it with readable names.

`equivalent(a, b)` proves that two expressions are equal for every value of their names. It is
sound but not complete: False means "not proven equal", which is what a semantic diff needs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import reduce

import sympy  # type: ignore[import-untyped]  # sympy ships without type information
from sympy.core.function import AppliedUndef  # type: ignore[import-untyped]  # sympy ships without type information
from sympy.logic.boolalg import Boolean, BooleanAtom, BooleanFunction  # type: ignore[import-untyped]  # sympy ships without type information
from sympy.printing.latex import LatexPrinter  # type: ignore[import-untyped]  # sympy ships without type information

from zuji.lang import model as m

__all__ = [
    "FactorSymbol",
    "Given",
    "ItemSymbol",
    "ListSum",
    "OptionSymbol",
    "UnitSymbol",
    "equivalent",
    "is_condition",
    "latex_name",
    "to_latex",
    "to_sympy",
    "unit_latex",
]


class UnitSymbol(sympy.Symbol):  # type: ignore[misc]  # sympy's classes are untyped
    """One unit name (t, CO2, MWh, %); in display form, a whole unit as written (t CO2/t)."""

    def _sympystr(self, printer: object) -> str:
        return f"[{self.name}]"


class OptionSymbol(sympy.Symbol):  # type: ignore[misc]  # sympy's classes are untyped
    """An option of a choice: the right-hand side of `route is eaf`."""

    def _sympystr(self, printer: object) -> str:
        return f"'{self.name}'"


class FactorSymbol(sympy.Symbol):  # type: ignore[misc]  # sympy's classes are untyped
    """A factor written in place, `factor dataset.entry`, named by its target."""

    def _sympystr(self, printer: object) -> str:
        return f"factor {self.name}"


class ItemSymbol(sympy.Symbol):  # type: ignore[misc]  # sympy's classes are untyped
    """A field of the current item inside `sum over list (...)`, named list.field."""

    @property
    def field(self) -> str:
        name: str = self.name
        return name.rpartition(".")[2]


class ListSum(sympy.Function):  # type: ignore[misc]  # sympy's classes are untyped
    """sum over list (body): ListSum(Symbol(list), body); equal bodies give equal sums."""

    nargs = 2


class Given(BooleanFunction):  # type: ignore[misc]  # sympy's classes are untyped
    """given(name): true when the inventory supplies the optional input."""

    nargs = 1

    @classmethod
    def eval(cls, arg: sympy.Basic) -> None:
        return None


class _Quantity(sympy.Function):  # type: ignore[misc]  # sympy's classes are untyped
    """Display only: a number written with its unit, printed as 44 t CO2 without a product sign."""

    nargs = 2


class _Fraction(sympy.Function):  # type: ignore[misc]  # sympy's classes are untyped
    """Display only: a division as written, one fraction bar."""

    nargs = 2


_RELATIONS: dict[str, Callable[..., sympy.Basic]] = {
    ">=": sympy.Ge,
    "<=": sympy.Le,
    ">": sympy.Gt,
    "<": sympy.Lt,
    "==": sympy.Eq,
    "!=": sympy.Ne,
}


def is_condition(value: sympy.Basic) -> bool:
    """Whether a sympy expression is a condition (a relation or a logical value)."""
    # Symbol derives from Boolean too, so test for the kinds a condition can actually be.
    return isinstance(value, (sympy.core.relational.Relational, BooleanFunction, BooleanAtom))


class _Converter:
    """One walk over a model expression; `display` keeps the tree as written, for printing."""

    def __init__(self, rule: m.RuleFile | None, display: bool) -> None:
        self.rule = rule
        self.display = display
        self.evaluate = not display
        self.items: dict[str, str] = {}  # field name -> list name, inside a sum over

    def __call__(self, expr: m.Expr) -> sympy.Basic:
        method = getattr(self, "_" + type(expr).__name__)
        return method(expr)

    # ------------------------------------------------------------------ leaves

    def _Number(self, node: m.Number) -> sympy.Basic:
        number = self._literal(node.value)
        if node.unit is None:
            return number
        if self.display:
            return _Quantity(number, UnitSymbol(str(node.unit)), evaluate=False)
        return sympy.Mul(number, _unit(node.unit))

    def _literal(self, value: float) -> sympy.Basic:
        if value == int(value) and abs(value) < 1e15:
            return sympy.Integer(int(value))
        if self.display:
            return sympy.Float(repr(value))
        return sympy.Rational(repr(value))

    def _Ref(self, node: m.Ref) -> sympy.Basic:
        if node.name in self.items:
            return ItemSymbol(f"{self.items[node.name]}.{node.name}")
        return sympy.Symbol(node.name)

    def _FactorRef(self, node: m.FactorRef) -> sympy.Basic:
        return FactorSymbol(node.target)

    # ------------------------------------------------------------------ arithmetic

    def _BinOp(self, node: m.BinOp) -> sympy.Basic:
        left, right = self(node.left), self(node.right)
        ev = self.evaluate
        match node.op:
            case "+":
                return sympy.Add(*self._terms(left), right, evaluate=ev)
            case "-":
                return sympy.Add(*self._terms(left), sympy.Mul(-1, right, evaluate=ev), evaluate=ev)
            case "*":
                return sympy.Mul(left, right, evaluate=ev)
            case "/" if self.display:
                # (a / b) / c is shown as a / (b c): one fraction bar, the same value.
                if isinstance(left, _Fraction):
                    return _Fraction(left.args[0], sympy.Mul(left.args[1], right, evaluate=ev))
                return _Fraction(left, right)
            case "/":
                return sympy.Mul(left, sympy.Pow(right, -1, evaluate=ev), evaluate=ev)
            case "^":
                return sympy.Pow(left, right, evaluate=ev)
        raise ValueError(f"unknown operator {node.op!r}")

    def _terms(self, left: sympy.Basic) -> tuple[sympy.Basic, ...]:
        # a + b + c is parsed as (a + b) + c; shown unevaluated, it would keep the parentheses.
        return left.args if self.display and isinstance(left, sympy.Add) else (left,)

    def _Negate(self, node: m.Negate) -> sympy.Basic:
        if isinstance(node.operand, m.Number) and node.operand.unit is None:
            return self._literal(-node.operand.value)
        return sympy.Mul(-1, self(node.operand), evaluate=self.evaluate)

    # ------------------------------------------------------------------ conditions

    def _Compare(self, node: m.Compare) -> sympy.Basic:
        left, right = self(node.left), self(node.right)
        if node.op in ("==", "!=") and is_condition(left) and is_condition(right):
            both = sympy.Equivalent(left, right, evaluate=self.evaluate)
            return both if node.op == "==" else sympy.Not(both, evaluate=self.evaluate)
        return _RELATIONS[node.op](left, right, evaluate=self.evaluate)

    def _IsChoice(self, node: m.IsChoice) -> sympy.Basic:
        relation = sympy.Ne if node.negated else sympy.Eq
        return relation(self(node.subject), OptionSymbol(node.option), evaluate=self.evaluate)

    def _Logical(self, node: m.Logical) -> sympy.Basic:
        join = sympy.And if node.op == "and" else sympy.Or
        return join(*(self(o) for o in node.operands), evaluate=self.evaluate)

    def _Not(self, node: m.Not) -> sympy.Basic:
        return sympy.Not(self(node.operand), evaluate=self.evaluate)

    def _If(self, node: m.If) -> sympy.Basic:
        otherwise = self(node.otherwise)
        # else-if chains become one Piecewise: one table of cases, and one form for proofs.
        rest = otherwise.args if isinstance(otherwise, sympy.Piecewise) else ((otherwise, True),)
        return sympy.Piecewise(
            (self(node.then), self(node.condition)), *rest, evaluate=self.evaluate
        )

    # ------------------------------------------------------------------ structure

    def _Call(self, node: m.Call) -> sympy.Basic:
        args = [self(a) for a in node.args]
        if self.display and node.function in ("min", "max"):
            return sympy.Function(node.function)(*args)  # Min/Max would sort their arguments
        if node.function == "min":
            return sympy.Min(*args, evaluate=self.evaluate)
        if node.function == "max":
            return sympy.Max(*args, evaluate=self.evaluate)
        if node.function == "given":
            return Given(*args)
        return sympy.Function(node.function)(*args, evaluate=self.evaluate)

    def _Index(self, node: m.Index) -> sympy.Basic:
        return sympy.Indexed(sympy.IndexedBase(node.family), self(node.key))

    def _SumOver(self, node: m.SumOver) -> sympy.Basic:
        outer = self.items
        self.items = {**outer, **{f: node.list_name for f in self._fields(node.list_name)}}
        try:
            body = self(node.body)
        finally:
            self.items = outer
        return ListSum(sympy.Symbol(node.list_name), body, evaluate=self.evaluate)

    def _fields(self, list_name: str) -> tuple[str, ...]:
        found = self.rule.input(list_name) if self.rule is not None else None
        return tuple(f.name for f in found.fields) if found is not None else ()


def _unit(unit: m.UnitExpr) -> sympy.Expr:
    """t CO2/MWh as [t]·[CO2]·[MWh]^-1, so units cancel and compare like algebra."""
    top = [UnitSymbol(n) ** p for n, p in unit.numerator]
    bottom = [UnitSymbol(n) ** -p for n, p in unit.denominator]
    return reduce(sympy.Mul, top + bottom, sympy.Integer(1))


def to_sympy(expr: m.Expr, rule: m.RuleFile | None = None) -> sympy.Basic:
    """The algebraic form of an expression (an Expr, or a Boolean for a condition).

    With the rule, the fields of a list inside `sum over` become ItemSymbols (list.field).
    """
    return _Converter(rule, display=False)(expr)


# ---------------------------------------------------------------------------------- LaTeX

_GAS = re.compile(r"^(CO|CH|N|CF|C|SF|HFC|NF)(\d+)(O?)(e?)$")


def _escape(name: str) -> str:
    # {.} keeps a dotted name (electricity.co2) tight: MathJax would space a bare dot.
    return name.replace("\\", "").replace("_", r"\_").replace("%", r"\%").replace(".", "{.}")


def latex_name(name: str) -> str:
    """A name of a rule in LaTeX: \\mathrm{clinker\\_used}, dots kept."""
    return r"\mathrm{" + _escape(name) + "}"


def _unit_name(token: str) -> str:
    """One unit name in LaTeX: gases get their subscripts (CO2 -> CO_2, N2O -> N_2O)."""
    base, _, power = token.partition("^")
    if base.endswith(("²", "³")):
        base, power = base[:-1], "2" if base.endswith("²") else "3"
    gas = _GAS.match(base) if base not in ("C",) else None
    text = (
        rf"\mathrm{{{gas[1]}_{{{gas[2]}}}{gas[3]}{gas[4]}}}"
        if gas
        else rf"\mathrm{{{_escape(base)}}}"
    )
    return f"{text}^{{{power}}}" if power else text


def unit_latex(unit: str) -> str:
    """A unit as written (t CO2/MWh) in LaTeX, names separated by thin spaces."""
    top, _, bottom = unit.partition("/")
    parts = [r"\,".join(_unit_name(t) for t in side.split()) for side in (top, bottom)]
    return parts[0] + ("/" + parts[1] if bottom.strip() else "")


class _Printer(LatexPrinter):  # type: ignore[misc]  # sympy's classes are untyped
    """sympy's LaTeX with the names of a rule kept readable and the conditions in words."""

    def __init__(self) -> None:
        super().__init__({"mul_symbol": "dot", "order": "none"})

    def _print_Symbol(self, expr: sympy.Symbol, style: str = "plain") -> str:
        if isinstance(expr, UnitSymbol):
            return unit_latex(expr.name)
        if isinstance(expr, OptionSymbol):
            return r"\mathsf{" + _escape(expr.name) + "}"
        if isinstance(expr, FactorSymbol):
            return r"\operatorname{factor}\," + latex_name(expr.name)
        if isinstance(expr, ItemSymbol):
            return latex_name(expr.field) + "_{i}"
        return latex_name(expr.name)

    def _print_AppliedUndef(self, expr: AppliedUndef, exp: str | None = None) -> str:
        args = ", ".join(self._print(a) for a in expr.args)
        name = type(expr).__name__
        # \mathrm, as for other names: MathJax spaces the dots and underscores of \operatorname.
        head = "\\" + name if name in ("min", "max") else latex_name(name)
        text = head + r"\left(" + args + r"\right)"
        return f"{text}^{{{exp}}}" if exp else text

    def _print_Given(self, expr: Given) -> str:
        arg: str = self._print(expr.args[0])
        return r"\operatorname{given}\left(" + arg + r"\right)"

    def _print_ListSum(self, expr: ListSum, exp: str | None = None) -> str:
        items, body = expr.args
        text = r"\sum_{i \in " + self._print(items) + r"} \left(" + self._print(body) + r"\right)"
        return rf"\left({text}\right)^{{{exp}}}" if exp else text

    def _print__Quantity(self, expr: _Quantity, exp: str | None = None) -> str:
        number, unit = expr.args
        text = self._print(number) + r"\," + self._print(unit)
        return rf"\left({text}\right)^{{{exp}}}" if exp else text

    def _print__Fraction(self, expr: _Fraction, exp: str | None = None) -> str:
        top, bottom = (self._print(a) for a in expr.args)
        text = r"\frac{" + top + "}{" + bottom + "}"
        return rf"\left({text}\right)^{{{exp}}}" if exp else text

    def _print_Indexed(self, expr: sympy.Indexed) -> str:
        keys = ", ".join(self._print(i) for i in expr.indices)
        return latex_name(str(expr.base.label)) + r"\left[" + keys + r"\right]"

    def _print_And(self, expr: sympy.And) -> str:
        return self._join(expr.args, r"\ \text{and}\ ")

    def _print_Or(self, expr: sympy.Or) -> str:
        return self._join(expr.args, r"\ \text{or}\ ")

    def _print_Not(self, expr: sympy.Not) -> str:
        operand: str = self._print(expr.args[0])
        return r"\text{not}\ \left(" + operand + r"\right)"

    def _print_Equivalent(self, expr: sympy.Equivalent) -> str:
        return self._join(expr.args, " = ")

    def _join(self, args: tuple[sympy.Basic, ...], word: str) -> str:
        parts = []
        for arg in args:
            text = self._print(arg)
            parts.append(
                rf"\left({text}\right)" if isinstance(arg, (sympy.And, sympy.Or)) else text
            )
        return word.join(parts)

    def _print_Piecewise(self, expr: sympy.Piecewise) -> str:
        rows = []
        for value, condition in expr.args:
            when = (
                r"\text{otherwise}"
                if condition is sympy.true
                else r"\text{if}\ " + self._print(condition)
            )
            rows.append(self._print(value) + " & " + when)
        return r"\begin{cases} " + r" \\ ".join(rows) + r" \end{cases}"


def to_latex(expr: m.Expr, rule: m.RuleFile | None = None) -> str:
    """LaTeX of an expression as written: its order, fractions and units, readable names."""
    with sympy.evaluate(False):
        tree = _Converter(rule, display=True)(expr)
        text: str = _Printer().doprint(tree)
        return text


# ---------------------------------------------------------------------------------- proofs


def equivalent(a: m.Expr, b: m.Expr, rule: m.RuleFile | None = None) -> bool:
    """True when a and b are proven equal for all values of their names; False otherwise."""
    try:
        left, right = to_sympy(a, rule), to_sympy(b, rule)
        if left == right:
            return True
        if is_condition(left) or is_condition(right):
            return is_condition(left) and is_condition(right) and _same_truth(left, right)
        return _is_zero(_normalise(left - right))
    except Exception:  # sympy may fail in many ways; not proven is the answer
        return False


def _normalise(expr: sympy.Basic) -> sympy.Basic:
    """Expand inside sums and formula calls, where simplify does not look."""

    def expand_args(node: sympy.Basic) -> sympy.Basic:
        return node.func(
            *(sympy.expand(arg) if not is_condition(arg) else arg for arg in node.args)
        )

    return expr.replace(lambda n: isinstance(n, (ListSum, AppliedUndef)), expand_args)


def _is_zero(diff: sympy.Basic) -> bool:
    if sympy.expand(diff) == 0:
        return True
    folded = sympy.piecewise_fold(diff)
    if isinstance(folded, sympy.Piecewise):
        return all(
            _simplifies_to_zero(value) or _impossible(condition) for value, condition in folded.args
        )
    return _simplifies_to_zero(folded)


def _simplifies_to_zero(expr: sympy.Basic) -> bool:
    return bool(sympy.expand(expr) == 0 or sympy.simplify(expr) == 0)


def _atoms_free(condition: sympy.Basic) -> sympy.Basic:
    """Ne(x, y) as Not(Eq(x, y)), in canonical form, so related atoms are recognised."""
    return condition.replace(
        lambda n: isinstance(n, sympy.Ne), lambda n: sympy.Not(sympy.Eq(*n.args))
    ).replace(lambda n: isinstance(n, sympy.core.relational.Relational), lambda n: n.canonical)


def _impossible(condition: sympy.Basic) -> bool:
    # Relations are taken as independent atoms: unsatisfiable then means unsatisfiable always.
    if condition is sympy.false:
        return True
    return sympy.satisfiable(_atoms_free(condition)) is False


def _same_truth(left: Boolean, right: Boolean) -> bool:
    return _impossible(sympy.Xor(_atoms_free(left), _atoms_free(right)))
