"""`zuji check`: what checking rule files and their cases' inventories reports (the command
itself, and the report it keeps, are in cli.py and check_report.py)."""

from __future__ import annotations

import json
from pathlib import Path

from zuji.core.errors import Diagnostic
from zuji.core.i18n import _
from zuji.core.text import json_printable, printable
from zuji.interfaces.check_report import Report
from zuji.runtime.pcr import PCR, checked_rules


def checked(targets: list[Path], output: str, strict: bool, base: str | None) -> Report:
    """The report of checking `targets`: what it prints, and its exit code."""
    results = checked_rules(targets)
    diagnostics, case_problems = _check_findings(results, base)
    errors = [d for d in diagnostics if d.is_error]
    warnings = [d for d in diagnostics if not d.is_error]
    if output == "json":
        document = {
            "files": len(results),
            "diagnostics": [d.as_dict() for d in diagnostics],
            "cases": case_problems,
        }
        text = json_printable(json.dumps(document, ensure_ascii=False, indent=2)) + "\n"
    else:
        text = "".join(
            printable(line) + "\n" for line in _check_text(len(results), diagnostics, case_problems)
        )
    return Report(text, 1 if errors or case_problems or (strict and warnings) else 0)


def _check_findings(
    results: list[tuple[Path, list[Diagnostic], PCR | None]], base: str | None
) -> tuple[list[Diagnostic], list[str]]:
    """Every file's diagnostics (with its version discipline against `base`, when given) and
    the problems of its cases' inventories; a file with errors is not checked further."""
    from zuji.interfaces.review_cli import discipline_findings

    diagnostics: list[Diagnostic] = []
    case_problems: list[str] = []
    for path, found, pcr in results:
        if base is not None and not any(d.is_error for d in found):
            found = found + discipline_findings(path, base)
        diagnostics.extend(found)
        if pcr is not None and not any(d.is_error for d in found):
            case_problems += _case_inventory_problems(pcr)
    return diagnostics, case_problems


def _check_text(files: int, diagnostics: list[Diagnostic], case_problems: list[str]) -> list[str]:
    errors = sum(1 for d in diagnostics if d.is_error)
    summary = _("checked {files} rule files: {errors} errors, {warnings} warnings")
    misfits = _(", {count} case inventories that do not fit") if case_problems else ""
    return [
        *(diag.render() for diag in diagnostics),
        *case_problems,
        summary.format(files=files, errors=errors, warnings=len(diagnostics) - errors)
        + misfits.format(count=len(case_problems)),
    ]


def _case_inventory_problems(pcr: PCR) -> list[str]:
    from zuji.runtime.cases import case_files, check_case_inventory

    if pcr.rule.kind != "pcr":
        return []
    return [problem for case in case_files(pcr) for problem in check_case_inventory(pcr, case)]
