"""What `zuji run` prints: a result in each format, its trace for people, and CBAM's view.

Kept apart from the command line's definitions (cli.py), and imported only by `zuji run`, so that
`zuji --help` loads none of the reports.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING

from zuji.core import i18n
from zuji.core.i18n import localise_text
from zuji.core.text import json_printable, printable

if TYPE_CHECKING:
    from zuji.runtime.inventory import Inventory
    from zuji.runtime.pcr import PCR
    from zuji.runtime.result import Result, Trace


def outputs(
    formats: list[str], loaded: PCR, read: Inventory, result: Result, trace: bool
) -> list[str]:
    """The text of each format asked for, in order; stages named in Chinese for a Chinese
    reader where the rule names them so."""
    stages = {s.name: s.description.zh for s in loaded.rule.stages if s.description.zh}
    return [
        cbam_text(fmt, loaded, read)
        if fmt.startswith("cbam")
        else rendered(result, fmt, trace, stages)
        for fmt in formats
    ]


def rendered(result: Result, fmt: str, trace: bool, stages: Mapping[str, str] | None = None) -> str:
    """One format's text, as printed: JSON with hidden characters escaped, text for people with
    control and bidi characters shown as U+FFFD; `stages` gives the stages' Chinese names."""
    from zuji.interfaces import report

    if fmt == "json":
        return json_printable(report.to_json(result))
    if fmt == "pact":
        from zuji.exchange.pact import to_pact

        return json_printable(json.dumps(to_pact(result), ensure_ascii=False, indent=2))
    if fmt == "markdown":
        return printable(report.to_markdown(result, stages))
    parts = [report.to_table(result, stages=stages)]
    if trace and result.trace:
        parts.append(trace_text(result.trace))
    if result.sensitivity:
        from zuji.interfaces.sensitivity_report import sensitivity_table

        parts.append(sensitivity_table(result.sensitivity))
    return printable("\n".join(parts))


def cbam_text(fmt: str, loaded: PCR, read: Inventory) -> str:
    """CBAM embedded emissions: JSON for programs (cbam) or a table for people (cbam-table)."""
    from zuji.interfaces.cbam_report import cbam_output

    text = cbam_output(fmt, loaded, read)
    return json_printable(text) if fmt == "cbam" else printable(text)


def trace_text(trace: Trace) -> str:
    """Every traced value and line with the values it read and where each came from; the
    origins and the engine's words about a source in the reader's language, the formulas and
    the datasets' own words as written."""
    lines = []
    for line in trace.values + trace.lines:
        lines.append(f"{line.name} [{line.where}] = {line.formula}")
        for value in line.values:
            origin = i18n.pgettext("origin", value.origin)
            source = localise_text("trace", value.source)
            lines.append(f"    {value.name} = {value.value} {value.unit}  ({origin}: {source})")
        lines.append(f"    -> {line.value:.6g} {line.unit}")
    return "\n".join(lines)
