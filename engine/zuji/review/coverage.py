"""Coverage of a rule by its worked cases: what the cases leave untested.

The cases are run on a plan compiled with a `Probe`, which wraps each branch of every `if`, each
`is` test and each line so that evaluation records what it reaches. An ordinary plan has no probe
and pays nothing for it. Reported per PCR, as items a committee can read:

- lines that no case gives a non-zero amount (a line that is always 0 tests nothing);
- `if` branches (then / else) that no case takes, including those inside used modules' formulas;
- options of each choice input (and of a list's choice fields) that no case chooses, so a choice
  of 8 options of which the cases use 3 counts 3/8;
- `is` tests that are never true or never false;
- allocations no case reaches, and co-products that never get a share;
- assertions no case evaluates (passing or failing, an evaluation exercises the assertion).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from zuji.core.errors import EvaluationError, Span, ZujiError, file_label
from zuji.lang import exprs
from zuji.lang import model as m
from zuji.runtime.cases import load_case
from zuji.runtime.evaluate import evaluate
from zuji.runtime.pcr import PCR
from zuji.semantics.compile import compile_plan

Fn = Callable[[Any], Any]


class Probe:
    """Collects what evaluation reaches; handed to compile_plan(probe=...)."""

    def __init__(self) -> None:
        self.hits: set[tuple[str, str]] = set()

    def branches(self, node: m.If, then: Fn, otherwise: Fn) -> tuple[Fn, Fn]:
        key, hits = _key(node.span), self.hits

        def took_then(env: Any) -> Any:
            hits.add((key, "then"))
            return then(env)

        def took_else(env: Any) -> Any:
            hits.add((key, "else"))
            return otherwise(env)

        return took_then, took_else

    def condition(self, node: m.IsChoice, test: Fn) -> Fn:
        key, hits = _key(node.span), self.hits

        def tested(env: Any) -> Any:
            outcome = test(env)
            hits.add((key, "true" if outcome else "false"))
            return outcome

        return tested

    def line(self, line: m.Line, fn: Fn) -> Fn:
        name, hits = line.name, self.hits

        def measured(env: Any) -> Any:
            value = fn(env)
            hits.add((name, "nonzero" if value else "zero"))
            return value

        return measured


def _key(span: Span | None) -> str:
    return f"{span.file}:{span.line}:{span.column}" if span else "?"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Item(_Model):
    """One thing a case could exercise, and whether one did."""

    kind: str  # line, branch, option, allocation, co-product, assertion
    name: str
    where: str
    outcome: str  # then / else, true / false, passed / failed, nonzero, reached, share
    exercised: bool
    owner: str = ""  # the line, value or formula it stands in


class Coverage(_Model):
    pcr: str
    cases: list[str]
    failed_cases: list[str] = []
    items: list[Item]

    @property
    def untested(self) -> list[Item]:
        return [i for i in self.items if not i.exercised]

    def summary(self) -> dict[str, tuple[int, int]]:
        """Per kind: (exercised, total)."""
        out: dict[str, tuple[int, int]] = {}
        for item in self.items:
            done, total = out.get(item.kind, (0, 0))
            out[item.kind] = (done + item.exercised, total + 1)
        return out


def coverage(pcr: PCR, cases: list[Path]) -> Coverage:
    """Run every case on a probed plan and list what each part of the rule saw."""
    probe = Probe()
    plan = compile_plan(pcr.resolved, probe=probe)
    assertions: set[tuple[str, str]] = set()
    allocations: set[tuple[str, str]] = set()
    names, failed = [], []
    chosen: set[tuple[str, str]] = set()
    for path in cases:
        names.append(path.stem)
        try:
            case = load_case(path)
            inventory = pcr.inventory(
                case["inventory"], f"{file_label(path)} (inventory)", path.parent
            )
            chosen.update(_choices(pcr.rule.inputs, inventory.values))
            result = evaluate(plan, inventory)
        except EvaluationError as exc:
            failed.append(path.stem)
            for diag in exc.diagnostics:
                if diag.code == "E650":  # an error assertion failed: that is a path taken too
                    assertions.add((_key(diag.span), "failed"))
            continue
        except ZujiError:  # a DocumentError too
            failed.append(path.stem)
            continue
        for finding in result.assertions:
            where = finding.where or "?"
            assertions.add((where, "passed" if finding.level == "passed" else "failed"))
        for figure in result.allocation:
            key = ",".join(figure.stages)
            allocations.add((key, "reached"))
            allocations.update(
                (key, product) for product, share in figure.shares.items() if share > 0
            )
    items = [
        *_lines(pcr, probe),
        *_options(pcr, chosen),
        *_branches(pcr, probe),
        *_allocations(pcr, allocations),
        *_assertions(pcr, assertions),
    ]
    return Coverage(pcr=pcr.id, cases=names, failed_cases=failed, items=items)


def _snippet(pcr: PCR, node: Any) -> str:
    span: Span | None = getattr(node, "span", None)
    text = pcr.resolved.sources.get(span.file, "") if span else ""
    if not text or span is None or span.line != span.end_line:
        return type(node).__name__
    return text.split("\n")[span.line - 1][span.column - 1 : span.end_column - 1].strip()


def _lines(pcr: PCR, probe: Probe) -> list[Item]:
    return [
        Item(
            kind="line",
            name=line.name,
            where=str(line.span),
            outcome="nonzero",
            exercised=(line.name, "nonzero") in probe.hits,
            owner=line.name,
        )
        for line in pcr.rule.lines
    ]


def _owners(rule: m.RuleFile, alias: str = "") -> list[tuple[str, m.Expr]]:
    prefix = f"{alias}." if alias else ""
    out = [(prefix + x.name, x.expr) for x in rule.lets]
    out += [(prefix + f.name, f.expr) for f in rule.formulas]
    out += [(line.name, line.expr) for line in rule.lines]
    known = {id(e) for _, e in out}
    out += [("assertion", e) for e in exprs.expressions(rule) if id(e) not in known]
    return out


def _branches(pcr: PCR, probe: Probe) -> list[Item]:
    owners = _owners(pcr.rule)
    for alias, module in pcr.resolved.modules.items():
        # Only the module formulas this PCR calls: the others are not its to test.
        owners += [(name, e) for name, e in _owners(module, alias) if name in pcr.plan.used]
    items = []
    for owner, expr in owners:
        for node in exprs.walk(expr):
            key = _key(node.span)
            if isinstance(node, m.If):
                condition = _snippet(pcr, node.condition)
                items += [
                    Item(
                        kind="branch",
                        name=f"if {condition} → {side}",
                        where=key,
                        outcome=side,
                        exercised=(key, side) in probe.hits,
                        owner=owner,
                    )
                    for side in ("then", "else")
                ]
            elif isinstance(node, m.IsChoice):
                items += [
                    Item(
                        kind="is-test",
                        name=f"{_snippet(pcr, node)} is {outcome}",
                        where=key,
                        outcome=outcome,
                        exercised=(key, outcome) in probe.hits,
                        owner=owner,
                    )
                    for outcome in ("true", "false")
                ]
    return items


def _allocations(pcr: PCR, seen: set[tuple[str, str]]) -> list[Item]:
    items = []
    for allocation in pcr.rule.allocations:
        key = ",".join(allocation.stages)
        where = str(allocation.span)
        items.append(
            Item(
                kind="allocation",
                name=f"allocate {key} by {allocation.method}",
                where=where,
                outcome="reached",
                exercised=(key, "reached") in seen,
            )
        )
        items += [
            Item(
                kind="co-product",
                name=f"{p.name} in allocation of {key}",
                where=where,
                outcome="share",
                exercised=(key, p.name) in seen,
            )
            for p in allocation.products
        ]
    return items


def _assertions(pcr: PCR, seen: set[tuple[str, str]]) -> list[Item]:
    items = []
    for assertion in pcr.rule.assertions:
        where = _key(assertion.span)
        items.append(
            Item(
                kind="assertion",
                name=f"{assertion.level}: {assertion.message}",
                where=where,
                outcome="evaluated",
                exercised=(where, "passed") in seen or (where, "failed") in seen,
            )
        )
    return items


def _choices(inputs: tuple[m.Input, ...], values: dict[str, Any]) -> set[tuple[str, str]]:
    """(input, option) for every choice an inventory makes, a list's items' choices named
    list.field."""
    out: set[tuple[str, str]] = set()
    for inp in inputs:
        value = values.get(inp.name)
        if inp.kind == "choice" and isinstance(value, str):
            out.add((inp.name, value))
        elif inp.kind == "list" and isinstance(value, (list, tuple)):
            for item in value:
                if isinstance(item, dict):
                    found = _choices(inp.fields, item)
                    out.update((f"{inp.name}.{name}", option) for name, option in found)
    return out


def _options(pcr: PCR, chosen: set[tuple[str, str]]) -> list[Item]:
    """One item per option of every choice input: exercised when some case chooses it."""
    named = pcr.choices

    def of(inp: m.Input, prefix: str) -> list[Item]:
        if inp.kind == "list":
            return [i for f in inp.fields for i in of(f, f"{prefix}{inp.name}.")]
        if inp.kind != "choice":
            return []
        name = prefix + inp.name
        return [
            Item(
                kind="option",
                name=f"{name} = {option}",
                where=str(inp.span),
                outcome="chosen",
                exercised=(name, option) in chosen,
                owner=name,
            )
            for option in inp.options or named.get(inp.choice_type or "", ())
        ]

    return [item for inp in pcr.rule.inputs for item in of(inp, "")]
