"""The page of one PCR, written from the parsed and checked rule, never from its text by hand."""

from __future__ import annotations

from pathlib import Path

from zuji.data.standards import GwpSet
from zuji.interfaces.docsite import boundary
from zuji.interfaces.docsite.bilingual import (
    Language,
    heading,
    lines,
    option,
    option_labels,
    pair,
    text,
)
from zuji.interfaces.docsite.cases_section import cases_section
from zuji.interfaces.docsite.factors import datasets_table, factors_table
from zuji.interfaces.docsite.markdown import (
    bounds,
    details,
    esc,
    fenced,
    math_block,
    math_inline,
    number,
    table,
)
from zuji.lang import model as m
from zuji.review.symbolic import latex_name, to_latex
from zuji.runtime.pcr import PCR

GAS_TITLES = {
    "CO2": "CO₂",
    "CH4": "CH₄",
    "N2O": "N₂O",
    "CO2e": "CO₂e",
    "CF4": "CF₄",
    "C2F6": "C₂F₆",
    "SF6": "SF₆",
    "NF3": "NF₃",
}


def short_name(rule: m.RuleFile) -> str:
    """Cement for 'Cement (common Portland cement), at the plant gate': the nav label."""
    en = rule.name.en or rule.id
    for stop in (" (", ",", ";"):
        en = en.split(stop)[0]
    return en.strip()


def title(rule: m.RuleFile) -> str:
    return " · ".join(t for t in (rule.name.zh, rule.name.en) if t) or rule.id


def render(pcr: PCR, module_pages: dict[str, str], lang: Language = "zh") -> str:
    """module_pages: dotted module name -> page path relative to this page. The page is in
    `lang` with the other language beside it."""
    rule = pcr.rule
    parts = [
        f"# {esc(pair(rule.name.zh, rule.name.en, lang) or rule.id)}\n",
        _header(rule, pcr, lang),
        f"## {heading('boundary', lang)}\n",
        _boundary(rule, lang),
        _modules(rule, module_pages, lang),
        f"## {heading('inputs', lang)}\n",
        heading("inputs_lead", lang) + "\n",
        _inputs(rule, pcr, lang),
        f"## {heading('factors', lang)}\n",
        factors_table(rule, pcr.resolved),
        datasets_table(rule, pcr.resolved),
        f"## {heading('calculation', lang)}\n",
        _values(rule, lang),
        _stages(rule, pcr, lang),
        f"## {heading('allocation', lang)}\n",
        _allocation(rule),
        f"## {heading('assertions', lang)}\n",
        _assertions(rule, lang),
        f"## {heading('cases', lang)}\n",
        cases_section(pcr, lang),
        f"## {heading('changelog', lang)}\n",
        _changelog(rule),
        f"## {heading('rule_text', lang)}\n",
        details(
            f"{Path(rule.path).name}, as the engine reads it",
            fenced(pcr.resolved.sources.get(rule.path, ""), "text"),
        ),
    ]
    return "\n".join(p for p in parts if p)


def _header(rule: m.RuleFile, pcr: PCR, lang: Language) -> str:
    unit = rule.declared_unit
    declared = (
        (
            f"{number(unit.amount)} {unit.unit} of `{unit.product}`"
            + (f" — {text(unit.description, lang)}" if str(unit.description) else "")
        )
        if unit
        else ""
    )
    rows = [
        ["Identifier", f"`{rule.id}`"],
        ["Name (English)", esc(rule.name.en)],
        ["名称 (中文)", esc(rule.name.zh)],
        ["Version", rule.version],
        ["Status", rule.status],
        ["Effective from", rule.effective.isoformat() if rule.effective else "not set"],
        ["Standards followed", "<br>".join(esc(s) for s in rule.standards)],
        ["GWP set", _gwp(rule, pcr)],
        ["Declared unit", declared],
        ["Classification", ", ".join(esc(c) for c in rule.classification)],
        ["Geography", ", ".join(esc(g) for g in rule.geography)],
    ]
    description = lines(rule.description, lang)
    return (f"{description}\n\n" if description else "") + table([heading("about", lang), ""], rows)


def _gwp(rule: m.RuleFile, pcr: PCR) -> str:
    gwp = pcr.standards.gwp_sets.get(rule.gwp)
    return f"{rule.gwp} — {esc(gwp.title)}" if gwp and gwp.title else rule.gwp


def _boundary(rule: m.RuleFile, lang: Language) -> str:
    out = [f'<div class="zuji-diagram">{boundary.svg(rule)}</div>\n']
    b = rule.boundary
    if b:
        stages = {s.name: s for s in rule.stages}
        rows = [
            [f"`{name}`", lines(stages[name].description, lang) if name in stages else ""]
            for name in b.stages
        ]
        out.append(
            f"**{boundary.KIND_TITLES.get(b.kind, b.kind).capitalize()}**, "
            f"with these stages:\n\n" + table(["Stage", "Description"], rows)
        )
    if rule.exclusions:
        out.append(
            "**Excluded:**\n\n"
            + table(
                ["Item", "Why"], [[f"`{e.name}`", lines(e.reason, lang)] for e in rule.exclusions]
            )
        )
    if rule.cutoff:
        limits = []
        if rule.cutoff.per_flow is not None:
            limits.append(f"{number(rule.cutoff.per_flow)} % of the footprint per flow")
        if rule.cutoff.total is not None:
            limits.append(f"{number(rule.cutoff.total)} % in total")
        out.append("**Cut-off:** at most " + " and ".join(limits) + ".\n")
    return "\n".join(out)


def _modules(rule: m.RuleFile, module_pages: dict[str, str], lang: Language) -> str:
    if not rule.uses:
        return ""
    items = []
    for use in rule.uses:
        alias = f" (as `{use.alias}`)" if use.alias != use.module.rpartition(".")[2] else ""
        page = module_pages.get(use.module)
        name = f"[`{use.module}`]({page})" if page else f"`{use.module}`"
        items.append(f"- {name}{alias}")
    return f"## {heading('modules', lang)}\n\n" + "\n".join(items) + "\n"


def choice_options(inp: m.Input | m.Param, pcr: PCR) -> tuple[str, ...]:
    if isinstance(inp, m.Input) and inp.options:
        return inp.options
    return pcr.choices.get(inp.choice_type or "", ())


def _input_row(inp: m.Input, pcr: PCR, name: str, lang: Language) -> list[str]:
    if inp.kind == "choice":
        labels = option_labels(pcr)
        kind = "one of: " + ", ".join(
            option(o, labels.get(f"{inp.choice_type}.{o}"), lang) for o in choice_options(inp, pcr)
        )
    elif inp.kind == "list":
        kind = "list of items"
    else:
        kind = inp.unit_text or "number"
    default = ""
    if inp.default:
        d = inp.default
        default = (
            f"{number(d.number)} {inp.unit or ''}".strip()
            if d.number is not None
            else f"`{d.choice}`"
            if d.choice
            else f"`factor {d.factor}`"
        )
    need = "optional" if inp.optional else "required" if inp.required else "default applies"
    if inp.required_when is not None:
        need = f"required when {esc(_written(inp.required_when, pcr))}"
    quality = f"**{inp.quality}**, {need}" if inp.quality else need
    return [name, kind, lines(inp.description, lang), bounds(inp), default, quality]


def _written(node: m.Expr, pcr: PCR) -> str:
    """An expression as the committee wrote it (one line of its rule file)."""
    span = node.span
    source = pcr.resolved.sources.get(span.file, "") if span else ""
    if span is None or not source or span.line != span.end_line:
        return "a condition"
    return source.split("\n")[span.line - 1][span.column - 1 : span.end_column - 1]


def _inputs(rule: m.RuleFile, pcr: PCR, lang: Language) -> str:
    rows = []
    for inp in rule.inputs:
        rows.append(_input_row(inp, pcr, f"`{inp.name}`", lang))
        listed = pcr.plan.item_units.get(inp.name)
        for fld in inp.fields:
            row = _input_row(fld, pcr, f"`{inp.name}[].{fld.name}`", lang)
            if fld.units is not None and listed is not None:  # each option's unit, spelt out
                row[1] = f"`{fld.unit_text}`: {esc(listed.describe(fld.name))}"
            rows.append(row)
    headers = ["Input", "Unit or options", "Description", "Range", "Default", "Data quality"]
    return table(headers, rows) if rows else "This PCR asks for no inputs.\n"


def _values(rule: m.RuleFile, lang: Language) -> str:
    if not rule.lets:
        return ""
    out = [f"### {heading('values', lang)}\n"]
    for let in rule.lets:
        unit = f" · {let.unit}" if let.unit else ""
        out.append(
            f"**`{let.name}`**{unit}"
            + (f" — {lines(let.description, lang)}" if str(let.description) else "")
            + "\n"
        )
        out.append(math_block(f"{latex_name(let.name)} = {to_latex(let.expr, rule)}"))
    return "\n".join(out)


def _stages(rule: m.RuleFile, pcr: PCR, lang: Language) -> str:
    gwp = pcr.standards.gwp_sets.get(rule.gwp)
    out = []
    for stage in rule.stages:
        described = pair(stage.description.zh, stage.description.en, lang)
        out.append(
            f"### {heading('stage', lang)} `{stage.name}`"
            + (f": {esc(described)}" if described else "")
            + "\n"
        )
        for line in stage.lines:
            gas = GAS_TITLES.get(line.gas, line.gas)
            kind = "" if line.kind == "emission" else f"{line.kind} · "
            factor = _gwp_factor(gwp, line)
            description = f" — {lines(line.description, lang)}" if str(line.description) else ""
            out.append(f"**`{line.name}`** · {kind}{gas} {line.origin}{factor}{description}\n")
            out.append(math_block(latex_name(line.name) + " = " + to_latex(line.expr, rule)))
    return "\n".join(out)


def _gwp_factor(gwp: GwpSet | None, line: m.Line) -> str:
    try:
        return f" · GWP {number(gwp.factor(line.gas, line.origin))}" if gwp else ""
    except KeyError:
        return ""


def _allocation(rule: m.RuleFile) -> str:
    if not rule.allocations:
        return "No allocation: each stage keeps all its emissions.\n"
    reference = rule.declared_unit.product if rule.declared_unit else ""
    out = []
    for allocation in rule.allocations:
        stages = ", ".join(f"`{s}`" for s in allocation.stages)
        rows = []
        for product in allocation.products:
            weight = (
                math_inline(to_latex(product.weight, rule))
                if product.weight is not None
                else "its mass"
                if allocation.method == "mass"
                else ""
            )
            role = "reference product" if product.name == reference else "co-product"
            rows.append([f"`{product.name}`", role, product.property or "", weight])
        out.append(
            f"Stages {stages}, by **{allocation.method}**:\n\n"
            + table(["Product", "Role", "Property", "Weight"], rows)
        )
    return "\n".join(out)


def _assertions(rule: m.RuleFile, lang: Language) -> str:
    if not rule.assertions:
        return "None.\n"
    rows = [
        [a.level, _message(a, lang), math_inline(to_latex(a.expr, rule))] for a in rule.assertions
    ]
    return table(["Level", "Message", "Condition"], rows)


def _message(assertion: m.Assertion, lang: Language) -> str:
    """The reader's language first, the other on the next line."""
    first, second = (
        (assertion.message_zh, assertion.message)
        if lang == "zh"
        else (assertion.message, assertion.message_zh)
    )
    return "<br>".join(esc(t) for t in (first, second) if t)


def _changelog(rule: m.RuleFile) -> str:
    if not rule.changelog:
        return "No changelog.\n"
    rows = [
        [
            entry.version,
            entry.date.isoformat(),
            esc(entry.summary),
            "<br>".join(f"{k}: {esc(v)}" for k, v in entry.fields),
        ]
        for entry in rule.changelog
    ]
    return table(["Version", "Date", "Summary", "Record"], rows)
