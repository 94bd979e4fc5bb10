"""The two languages of the published pages: Chinese first for the programme's readers, English
beside it for foreign customers and verifiers.

Every generated page is written twice, `<page>.md` (Chinese, the default language) and
`<page>.en.md` (English); each shows the reader's language first and the other after it, so a
committee member and a foreign verifier can point at the same heading.
"""

from __future__ import annotations

from typing import Literal

from zuji.interfaces.docsite.markdown import esc
from zuji.lang import model as m
from zuji.runtime.pcr import PCR

Language = Literal["zh", "en"]
LANGUAGES: tuple[Language, ...] = ("zh", "en")

# The section headings of a rule page, in the terms of GB/T 24067 (ISO 14067) and GB/T 24025.
HEADINGS: dict[str, tuple[str, str]] = {
    "about": ("关于本 PCR", "About this PCR"),
    "boundary": ("系统边界", "System boundary"),
    "inputs": ("输入数据", "Inputs"),
    "inputs_lead": ("企业在清单中填报的数据。", "What the enterprise reports in its inventory."),
    "factors": ("排放因子", "Factors"),
    "calculation": ("计算", "Calculation"),
    "values": ("中间量", "Values"),
    "stage": ("阶段", "Stage"),
    "allocation": ("分配", "Allocation"),
    "assertions": ("核查条件", "Assertions"),
    "cases": ("算例", "Worked cases"),
    "changelog": ("修订记录", "Changelog"),
    "rule_text": ("规则原文", "Rule text"),
    "modules": ("引用的共享模块", "Shared modules used"),
    "chart": ("各算例按阶段的碳足迹", "Footprint of each worked case by stage"),
    "used_by": ("引用本模块的 PCR", "Used by"),
    "choices": ("选项", "Choices"),
    "formulas": ("公式", "Formulas"),
}


def suffix(lang: Language) -> str:
    """The file suffix mkdocs-static-i18n reads: none for the default language."""
    return "" if lang == "zh" else f".{lang}"


def pair(zh: str, en: str, lang: Language) -> str:
    """The reader's language first, the other beside it; either may be missing."""
    first, second = (zh, en) if lang == "zh" else (en, zh)
    return " · ".join(t for t in (first, second) if t)


def text(value: m.Text, lang: Language) -> str:
    return esc(pair(value.zh, value.en, lang))


def heading(key: str, lang: Language) -> str:
    zh, en = HEADINGS[key]
    return pair(zh, en, lang)


def option_labels(pcr: PCR) -> dict[str, m.Text]:
    """The label of every labelled option, by `choice type.option`, from the PCR and its
    modules."""
    labels: dict[str, m.Text] = {}
    for name, symbol in pcr.resolved.symbols.items():
        if isinstance(symbol.decl, m.ChoiceType):
            for option, label in symbol.decl.labels:
                labels[f"{name}.{option}"] = label
    return labels


def option(name: str, label: m.Text | None, lang: Language) -> str:
    """`high_calcium` 高钙石灰: the identifier an inventory uses, then its label."""
    shown = f"`{name}`"
    return f"{shown} {text(label, lang)}" if label and (label.zh or label.en) else shown


def lines(value: m.Text, lang: Language) -> str:
    """A description in a table cell: the reader's language, the other on the next line."""
    first, second = (value.zh, value.en) if lang == "zh" else (value.en, value.zh)
    return "<br>".join(esc(t) for t in (first, second) if t)
