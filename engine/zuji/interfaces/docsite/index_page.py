"""The index of the rules: every PCR of the library, grouped by industry, and the modules."""

from __future__ import annotations

import os
from pathlib import Path

from zuji.interfaces.docsite import pcr_page
from zuji.interfaces.docsite.collect import Library, Skipped, industry, industry_order
from zuji.interfaces.docsite.markdown import esc, number, table
from zuji.lang.model import RuleFile


def _rel(target: Path, page: Path) -> str:
    return Path(os.path.relpath(target, page.parent)).as_posix()


def render(
    library: Library, pcr_files: dict[str, Path], module_files: dict[str, Path], index: Path
) -> str:
    out = [
        "# Product Category Rules · 产品种类规则\n",
        (
            "Every rule of the library, as the engine executes it. Each page is generated from "
            "the rule file itself: its boundary, inputs, formulas, factors, allocation, worked "
            "cases and changelog.\n"
        ),
    ]
    groups: dict[tuple[str, str], list[list[str]]] = {}
    for pcr in library.pcrs:
        link = f"[{esc(pcr_page.short_name(pcr.rule))}]({_rel(pcr_files[pcr.id], index)})"
        groups.setdefault(industry(pcr.rule), []).append(_published_row(pcr.rule, link))
    skipped = [s for s in library.skipped if s.kind == "pcr"]
    for s in skipped:
        key = industry(s.rule) if s.rule else ("Other products", "其他产品")
        groups.setdefault(key, []).append(_unpublished_row(s))
    headers = ["PCR", "名称", "Id", "Version", "Status", "Effective", "Declared unit"]
    for key in sorted(groups, key=industry_order):
        out.append(f"## {key[0]} · {key[1]}\n")
        out.append(table(headers, groups[key]))
    if not groups:
        out.append("The library holds no PCR yet.\n")
    if skipped:
        out.append(
            "PCRs marked *not published* do not pass `zuji check` yet; their pages "
            "appear once they do.\n"
        )
    if module_files:
        out.append(_modules_section(library, module_files, index))
    return "\n".join(out)


def _published_row(rule: RuleFile, link: str) -> list[str]:
    unit = rule.declared_unit
    declared = f"{number(unit.amount)} {unit.unit}" if unit else ""
    return [
        link,
        esc(rule.name.zh),
        f"`{rule.id}`",
        rule.version,
        rule.status,
        rule.effective.isoformat() if rule.effective else "",
        declared,
    ]


def _unpublished_row(s: Skipped) -> list[str]:
    # A PCR that fails its checks is listed, without a page, so the index shows the whole library.
    rule = s.rule
    return [
        esc(rule.name.en if rule and rule.name.en else s.id) + " (not published)",
        esc(rule.name.zh) if rule else "",
        f"`{s.id}`",
        rule.version if rule else "",
        "does not pass `zuji check`",
        "",
        "",
    ]


def _modules_section(library: Library, module_files: dict[str, Path], index: Path) -> str:
    rows = [
        [
            f"[`{name}`]({_rel(path, index)})",
            esc(library.modules[name].rule.name.zh),
            esc(library.modules[name].rule.name.en),
            library.modules[name].rule.version,
        ]
        for name, path in module_files.items()
    ]
    return "## Shared modules · 共享模块\n\n" + table(["Module", "名称", "Name", "Version"], rows)
