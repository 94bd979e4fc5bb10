"""The factors a rule file uses, with the values, units and sources of the datasets behind them."""

from __future__ import annotations

from zuji.data.standards import FactorEntry
from zuji.interfaces.docsite.markdown import esc, number, table
from zuji.lang import exprs
from zuji.lang import model as m
from zuji.semantics.resolve import Resolved


def _values(entry: FactorEntry) -> str:
    """A value, or a dated series, each value marked when its dataset has not confirmed it."""
    out = []
    for value in entry.values:
        text = number(value.value)
        if value.valid_from:
            text += f" from {value.valid_from.isoformat()}"
        if not value.confirmed:
            text += " (unconfirmed)"
        out.append(text)
    return "<br>".join(out)


def _source(entry: FactorEntry) -> str:
    return esc(entry.source)


def factor_rows(rule: m.RuleFile, resolved: Resolved, prefix: str = "") -> list[list[str]]:
    """One row per declared factor (families: one row per member), then the inline ones."""
    rows: list[list[str]] = []
    for factor in rule.factors:
        name = f"`{factor.name}`"
        note = f"<br>converted to {factor.unit}" if factor.unit else ""
        pinned = f"<br>pinned at {factor.pinned.isoformat()}" if factor.pinned else ""
        if factor.family:
            members = resolved.families.get(prefix + factor.name, {})
            rows += [
                _row(f"{name}[`{member}`]", entry) for member, entry in sorted(members.items())
            ]
            continue
        declared = resolved.entries.get(prefix + factor.name)
        if declared is not None:
            rows.append(_row(name + note + pinned, declared))
    for target in inline_targets(rule):
        in_place = resolved.entries.get(target)
        if in_place is not None:
            rows.append(_row(f"`factor {target}` (in place)", in_place))
    return rows


def _row(label: str, entry: FactorEntry) -> list[str]:
    return [label, f"`{entry.reference}`", _values(entry), str(entry.unit), _source(entry)]


def inline_targets(rule: m.RuleFile) -> list[str]:
    targets = [
        n.target
        for e in exprs.expressions(rule)
        for n in exprs.walk(e)
        if isinstance(n, m.FactorRef)
    ]
    targets += [i.default.factor for i in rule.inputs if i.default and i.default.factor]
    return list(dict.fromkeys(targets))


def factors_table(rule: m.RuleFile, resolved: Resolved, prefix: str = "") -> str:
    rows = factor_rows(rule, resolved, prefix)
    if not rows:
        return "This file uses no factors of its own.\n"
    return table(["Factor", "Dataset entry", "Value", "Unit", "Source"], rows)


def datasets_table(rule: m.RuleFile, resolved: Resolved, prefix: str = "") -> str:
    """The datasets behind the factors, with their version and publisher."""
    used: set[str] = set()
    for factor in rule.factors:
        used.add(factor.dataset)
    used |= {t.partition(".")[0] for t in inline_targets(rule)}
    rows = []
    for dataset_id in sorted(used):
        dataset = resolved.standards.datasets.get(dataset_id)
        if dataset is not None:
            rows.append(
                [
                    f"`{dataset.id}`",
                    esc(str(dataset.title)),
                    dataset.version,
                    esc(dataset.publisher),
                    dataset.year or "",
                ]
            )
    if not rows:
        return ""
    return table(["Dataset", "Title", "Version", "Publisher", "Year"], rows)
