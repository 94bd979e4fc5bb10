"""Name binding: what a name written in a formula stands for, from resolve's table of symbols.

Inside a module, a name is looked up as <alias>.<name>; a name nobody declared gets a "did you
mean" from the names visible where it is written.
"""

from __future__ import annotations

from zuji.core.errors import Span
from zuji.lang import exprs
from zuji.lang import model as m
from zuji.semantics.compile.plan import Typed
from zuji.semantics.compile.state import Compilation
from zuji.semantics.resolve import Symbol


class Names:
    """The symbol table as formulas see it, marking every name a formula reads as used."""

    def __init__(self, compilation: Compilation) -> None:
        self.compilation = compilation
        self.symbols = compilation.resolved.symbols

    def lookup(self, name: str, module: str) -> Symbol | None:
        if module:
            return self.symbols.get(f"{module}.{name}")
        return self.symbols.get(name)

    def use(self, name: str) -> None:
        """A name read by the plan (an input, value, factor, family, formula or list)."""
        self.compilation.used.add(name)

    def undefined(self, name: str, span: Span | None, module: str) -> Typed:
        prefix = f"{module}." if module else ""
        known = [s[len(prefix) :] for s in self.symbols if s.startswith(prefix)]
        hint = (
            self._figure_hint(name)
            or exprs.suggest(name, known)
            or "declare it as an input, a value (let) or a factor"
        )
        return self.compilation.error("E210", f"unknown name '{name}'", span, hint)

    def _figure_hint(self, name: str) -> str | None:
        """A line or a stage read where only inputs, values and factors are: lines and stages
        are results, readable in assertions once every line is worked out."""
        pcr = self.compilation.resolved.pcr
        if any(line.name == name for line in pcr.lines):
            what = "line"
        elif any(stage.name == name for stage in pcr.stages):
            what = "stage"
        else:
            return None
        return (
            f"'{name}' is a {what}: lines, stages and the total are results, readable only "
            f"in an assertion (assert {name} <= 0.8 * total otherwise ...); to share a "
            "quantity between lines, make it a value (let)"
        )

    def formulas(self) -> list[str]:
        return [s for s, v in self.symbols.items() if v.kind == "formula"]

    def options_of(self, inp: m.Input | m.Param, module: str = "") -> frozenset[str]:
        """The options of a choice input or parameter (E213 when its choice type is unknown)."""
        if isinstance(inp, m.Input) and inp.options:
            return frozenset(inp.options)
        choice = (
            self.symbols.get(f"{module}.{inp.choice_type}") if module else None
        ) or self.symbols.get(inp.choice_type or "")
        if choice is None or not isinstance(choice.decl, m.ChoiceType):
            self.compilation.error(
                "E213", f"unknown choice '{inp.choice_type}' for '{inp.name}'", inp.span
            )
            return frozenset()
        return frozenset(choice.decl.options)
