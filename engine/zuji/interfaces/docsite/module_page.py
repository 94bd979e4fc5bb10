"""The page of a shared module (pcr/common/*.pcr): its choices, factors and formulas."""

from __future__ import annotations

from pathlib import Path

from zuji.interfaces.docsite.bilingual import Language, heading, lines, option
from zuji.interfaces.docsite.factors import datasets_table, factors_table
from zuji.interfaces.docsite.markdown import bilingual, details, esc, fenced, math_block, table
from zuji.lang import model as m
from zuji.review.symbolic import latex_name, to_latex, unit_latex
from zuji.runtime.pcr import PCR


def title(name: str, rule: m.RuleFile) -> str:
    names = " · ".join(t for t in (rule.name.zh, rule.name.en) if t)
    return f"{names} (`{name}`)" if names else f"`{name}`"


def render(name: str, module: PCR, users: list[tuple[str, str]], lang: Language = "zh") -> str:
    """users: (PCR id, page path relative to this page) of the PCRs that use the module. The
    page is in `lang` with the other language beside it."""
    rule = module.rule
    parts = [
        f"# {esc(title(name, rule).replace('`', ''))}\n",
        (
            f"Shared module `{name}`, version {rule.version or 'not set'}. A PCR brings it in "
            f"with `use {name}` and writes its names as `{name.rpartition('.')[2]}.<name>`.\n"
        ),
        lines(rule.description, lang) + "\n" if str(rule.description) else "",
        f"## {heading('used_by', lang)}\n",
        _users(users),
        f"## {heading('choices', lang)}\n",
        _choices(rule, lang),
        f"## {heading('factors', lang)}\n",
        factors_table(rule, module.resolved),
        datasets_table(rule, module.resolved),
        f"## {heading('formulas', lang)}\n",
        _formulas(rule),
        _values(rule),
        f"## {heading('rule_text', lang)}\n",
        details(
            f"{Path(rule.path).name}, as the engine reads it",
            fenced(module.resolved.sources.get(rule.path, ""), "text"),
        ),
    ]
    return "\n".join(p for p in parts if p)


def _users(users: list[tuple[str, str]]) -> str:
    if not users:
        return "No published PCR uses this module yet.\n"
    return "\n".join(f"- [{esc(label)}]({page})" for label, page in users) + "\n"


def _choices(rule: m.RuleFile, lang: Language) -> str:
    if not rule.choices:
        return "None.\n"
    rows = [
        [
            f"`{c.name}`",
            ", ".join(option(o, dict(c.labels).get(o), lang) for o in c.options),
            lines(c.description, lang),
        ]
        for c in rule.choices
    ]
    return table(["Choice", "Options", "Description"], rows)


def _signature(formula: m.Formula) -> str:
    params = []
    for p in formula.params:
        kind = (
            r"\text{one of }" + latex_name(p.choice_type)
            if p.choice_type
            else unit_latex(str(p.unit))
            if p.unit
            else ""
        )
        params.append(latex_name(p.name) + (r"\,[" + kind + "]" if kind else ""))
    return (
        r"\operatorname{"
        + formula.name.replace("_", r"\_")
        + r"}\left("
        + ", ".join(params)
        + r"\right)"
    )


def _formulas(rule: m.RuleFile) -> str:
    if not rule.formulas:
        return "None.\n"
    out = []
    for formula in rule.formulas:
        description = f" — {bilingual(formula.description)}" if str(formula.description) else ""
        out.append(f"**`{formula.name}`** · result in {formula.unit}{description}\n")
        out.append(math_block(f"{_signature(formula)} = {to_latex(formula.expr, rule)}"))
    return "\n".join(out)


def _values(rule: m.RuleFile) -> str:
    if not rule.lets:
        return ""
    out = ["## Values\n"]
    for let in rule.lets:
        out.append(f"**`{let.name}`**\n")
        out.append(math_block(f"{latex_name(let.name)} = {to_latex(let.expr, rule)}"))
    return "\n".join(out)
