"""The row every speed section gives benchmarks/run.py, and how a list of them is printed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple


class Row(NamedTuple):
    """One measured figure beside its baseline from the same run, and the issue's target."""

    what: str
    zuji: str
    baseline: str
    ratio: str
    target: str
    met: str


HEADER = Row("what", "Zuji", "baseline", "ratio", "target", "met?")


def met(ok: bool) -> str:
    return "yes" if ok else "NO"


def render(rows: Sequence[Row], markdown: bool = False) -> str:
    """The rows as aligned text, or as a Markdown table for the README."""
    if markdown:
        lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join(lines)
    widths = [max(len(row[i]) for row in [HEADER, *rows]) for i in range(len(HEADER))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [HEADER, *rows]
    )
