"""The worked cases of a PCR: what the committee computed by hand, and what the engine gives now.

The cases are run while the page is written, so a page can never show an expected figure that
the engine no longer reproduces without saying so.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from zuji.core.documents import read_utf8
from zuji.interfaces.docsite import cases_chart
from zuji.interfaces.docsite.bilingual import Language, heading
from zuji.interfaces.docsite.cases_chart import CaseBar
from zuji.interfaces.docsite.markdown import details, esc, fenced, number, table
from zuji.runtime.cases import CaseOutcome, case_files, load_case, run_case
from zuji.runtime.pcr import PCR
from zuji.runtime.result import Result


def cases_section(pcr: PCR, lang: Language = "zh") -> str:
    files = case_files(pcr)
    if not files:
        return "This PCR has no worked cases yet.\n"
    unit = pcr.rule.declared_unit
    per = f"kg CO2e per {number(unit.amount)} {unit.unit}" if unit else "kg CO2e"
    bars: list[CaseBar] = []
    sections = [_case(pcr, path, per, bars) for path in files]
    chart = cases_chart.svg(pcr.rule, bars, per)
    if chart:
        sections.insert(
            0, f"### {heading('chart', lang)}\n\n" + f'<div class="zuji-diagram">{chart}</div>\n'
        )
    return "\n".join(sections)


def _case(pcr: PCR, path: Path, per: str, bars: list[CaseBar]) -> str:
    """The case's section; the engine's figures for it are added to `bars` for the chart."""
    try:
        case = load_case(path)
    except Exception as exc:  # an unreadable case is shown, not fatal
        return f"### `{path.stem}`\n\nThis case cannot be read: {esc(str(exc))}\n"
    try:
        outcome = run_case(pcr, path)
    except Exception as exc:  # an engine fault shows on the page, not as a crash
        outcome = CaseOutcome(
            path, path.stem, [(f"the engine could not run it: {type(exc).__name__}: {exc}")]
        )
    if outcome.result is not None:
        name = str(case.get("case", path.stem))
        bars.append(_bar(name, outcome.result, case.get("published_range")))
    status = "passes" if outcome.passed else "**fails**"
    head = [f"### `{case.get('case', path.stem)}`: {esc(str(case.get('title', '')))}\n"]
    if case.get("description"):
        head.append(esc(str(case["description"])) + "\n")
    facts = [f"Tolerance {case.get('tolerance', '0.1 %')}", f"`zuji test`: this case {status}"]
    published = case.get("published_range")
    if published:
        facts.insert(
            1,
            f"published range {published.get('low')}–{published.get('high')} "
            f"({esc(str(published.get('source', '')).strip())})",
        )
    head.append("; ".join(facts) + ".\n")
    head.append(table(["Figure", f"Expected ({per})", "Engine"], _rows(case, outcome)))
    warnings = case.get("expected_warnings") or []
    if warnings:
        head.append("Expected warnings: " + ", ".join(f"`{w}`" for w in warnings) + ".\n")
    for failure in outcome.failures:
        head.append(f"- {esc(failure)}")
    if case.get("calculation"):
        head.append(details("Calculation by hand", fenced(str(case["calculation"]))))
    head.append(details(f"Case file {path.name}", fenced(read_utf8(path), "yaml")))
    return "\n".join(head) + "\n"


def _rows(case: dict[str, Any], outcome: Any) -> list[list[str]]:
    expected = case.get("expected") or {}
    result = outcome.result
    lines = {line.name: line.co2e_kg for line in result.lines} if result else {}
    rows = []
    if "total" in expected:
        rows.append(
            ["**total**", number(float(expected["total"])), number(result.total) if result else "—"]
        )
    for stage, value in (expected.get("by_stage") or {}).items():
        got = result.by_stage.get(stage) if result else None
        rows.append(
            [f"stage `{stage}`", number(float(value)), number(got) if got is not None else "—"]
        )
    for line, value in (expected.get("lines") or {}).items():
        got = lines.get(line)
        rows.append(
            [f"line `{line}`", number(float(value)), number(got) if got is not None else "—"]
        )
    for name in ("credits", "removals"):
        if name in expected:
            got = getattr(result, name, None) if result else None
            rows.append(
                [name, number(float(expected[name])), number(got) if got is not None else "—"]
            )
    return rows


def _bar(name: str, result: Result, published: Any) -> CaseBar:
    bounds = None
    if isinstance(published, dict) and "low" in published and "high" in published:
        bounds = (float(published["low"]), float(published["high"]))
    return CaseBar(name, dict(result.by_stage), result.total, bounds)
