"""Optional inputs read outside `given(...)`: found when a rule is checked, not when an inventory
that leaves the input out is evaluated (E620).

A read is guarded where the condition says the input is there: the `then` of `if given(x)`, the
`else` of `if not given(x)`, what follows `given(x) and` or `not given(x) or`. A value (let)
that reads an optional input may itself go unread; a line that reads the value must then be
guarded by the input's `given`. Arguments of a module formula are reads at the call; a formula of
the PCR itself is read through at each call.

A list's optional field (one without a default) is read the same way inside `sum over` its list:
an item may leave it out, so a read must be guarded by `given(field)`, which tests the item.
"""

from __future__ import annotations

from zuji.core.errors import DiagnosticSink
from zuji.lang import exprs
from zuji.lang import model as m


def unguarded_optional_reads(pcr: m.RuleFile, findings: DiagnosticSink) -> None:
    stated = {
        node.args[0].name
        for a in pcr.assertions
        if a.level == "error"
        for node in exprs.walk(a.expr)
        if isinstance(node, m.Call) and node.function == "given" and node.args
        if isinstance(node.args[0], m.Ref)
    }
    # An input `required when` a condition is judged at evaluation (E613): its reads are usually
    # guarded by that same condition, which this check cannot follow.
    optional = frozenset(
        i.name
        for i in pcr.inputs
        if i.optional and i.default is None and i.kind != "list" and i.name not in stated
        if i.required_when is None
    )
    reads = _Reads(pcr, optional)
    if not optional and not reads.optional_fields:
        return
    for line in pcr.lines:
        for listed, name in sorted(reads.of(line.expr, frozenset(), frozenset())):
            if listed:
                findings.error(
                    "E225",
                    f"line '{line.name}' reads the optional field '{name}' of list '{listed}' "
                    f"outside given({name})",
                    line.span,
                    f"inside sum over {listed}, write `if given({name}) then ... else ...` "
                    f"around the read, or give '{name}' a default instead of `optional`",
                )
                continue
            findings.error(
                "E225",
                f"line '{line.name}' reads the optional input '{name}' outside given({name})",
                line.span,
                f"write `if given({name}) then ... else ...` around the read, or give "
                f"'{name}' a default instead of `optional`",
            )


Read = tuple[str, str]  # ("", input) or (list, field): an optional name read unguarded


class _Reads:
    def __init__(self, pcr: m.RuleFile, optional: frozenset[str]) -> None:
        self.optional = optional
        self.lets = {let.name: let.expr for let in pcr.lets}
        self.formulas = {f.name: f for f in pcr.formulas}
        self.lists = {i.name: frozenset(f.name for f in i.fields) for i in pcr.inputs}
        self.optional_fields = {
            i.name: fields for i in pcr.inputs if (fields := _optional_fields(i))
        }
        self.summing = ""  # the list whose `sum over` body is being read
        self.visiting: set[str] = set()  # a cycle of values is reported by compile (E301)

    def of(self, expr: m.Expr, guarded: frozenset[str], shadow: frozenset[str]) -> set[Read]:
        """The optional inputs (and fields) an expression reads where no `given` guards them."""
        match expr:
            case m.Ref(name) if name in shadow:
                return set()
            case m.Ref(name) if name in self.optional_fields.get(self.summing, ()):
                return set() if name in guarded else {(self.summing, name)}
            case m.Ref(name) if name in self.optional:
                return set() if name in guarded else {("", name)}
            case m.Ref(name) if name in self.lets and name not in self.visiting:
                self.visiting.add(name)
                try:
                    return self.item_less(self.lets[name], guarded)
                finally:
                    self.visiting.discard(name)
            case m.Call("given", _):
                return set()
            case m.Call(function, args) if function in self.formulas:
                formula = self.formulas[function]
                params = frozenset(p.name for p in formula.params)
                body = self.item_less(formula.expr, guarded, params)
                return body.union(*(self.of(a, guarded, shadow) for a in args))
            case m.If(condition, then, otherwise):
                return (
                    self.of(condition, guarded, shadow)
                    | self.of(then, guarded | _present(condition), shadow)
                    | self.of(otherwise, guarded | _absent(condition), shadow)
                )
            case m.Logical(op, operands):
                found: set[Read] = set()
                for operand in operands:
                    found |= self.of(operand, guarded, shadow)
                    guarded |= _present(operand) if op == "and" else _absent(operand)
                return found
            case m.SumOver(list_name, body):
                return self.item_body(list_name, body, guarded, shadow)
        return set().union(*(self.of(c, guarded, shadow) for c in exprs.children(expr)))

    def item_less(
        self,
        expr: m.Expr,
        guarded: frozenset[str] = frozenset(),
        shadow: frozenset[str] = frozenset(),
    ) -> set[Read]:
        """Reads of a value or a formula's body, which see no item's fields (nor their guards)."""
        saved, self.summing = self.summing, ""
        try:
            return self.of(expr, guarded - self.lists.get(saved, frozenset()), shadow)
        finally:
            self.summing = saved

    def item_body(
        self, list_name: str, body: m.Expr, guarded: frozenset[str], shadow: frozenset[str]
    ) -> set[Read]:
        """Reads of a `sum over` body: the list's fields stand for the item's, so a guard of an
        input with a field's name guards nothing there, and an optional field is read unless
        `given(field)` guards it."""
        fields = self.lists.get(list_name, frozenset())
        optional = self.optional_fields.get(list_name, frozenset())
        saved, self.summing = self.summing, list_name
        try:
            return self.of(body, guarded - fields, (shadow | fields) - optional)
        finally:
            self.summing = saved


def _optional_fields(listed: m.Input) -> frozenset[str]:
    """The fields an item may leave out. A field with a default is filled in; the choice that
    decides a required amount's unit (`t or Nm3 as fuel_co2[fuel]`) is refused when left out
    (E503), since the amount cannot be read without it, so every item evaluated gives it."""
    deciding = {f.units.key for f in listed.fields if f.units is not None and f.required}
    return frozenset(
        f.name for f in listed.fields if f.optional and f.default is None and f.name not in deciding
    )


def _present(condition: m.Expr) -> frozenset[str]:
    """The inputs that are given wherever the condition holds."""
    match condition:
        case m.Call("given", (m.Ref(name),)):
            return frozenset([name])
        case m.Logical("and", operands):
            return frozenset().union(*map(_present, operands))
        case m.Not(operand):
            return _absent(operand)
    return frozenset()


def _absent(condition: m.Expr) -> frozenset[str]:
    """The inputs that are given wherever the condition fails."""
    match condition:
        case m.Logical("or", operands):
            return frozenset().union(*map(_absent, operands))
        case m.Not(operand):
            return _present(operand)
    return frozenset()
