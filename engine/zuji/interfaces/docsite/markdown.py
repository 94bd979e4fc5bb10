"""Small Markdown builders shared by the generated pages."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence

from zuji.lang import model as m

_BOUND_SIGNS = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "==": "=", "!=": "≠"}


def cell(text: object) -> str:
    """A table cell: pipes and line breaks would otherwise end the cell or the row."""
    return str(text).replace("|", "\\|").replace("\n", "<br>").strip() or "—"


def table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def math_block(latex: str) -> str:
    # arithmatex (generic mode) leaves $$ ... $$ untouched by Markdown and hands it to MathJax.
    return f"$$\n{latex}\n$$\n"


def math_inline(latex: str) -> str:
    return r"\(" + latex + r"\)"


def code(text: str) -> str:
    return f"`{text}`" if text else ""


def esc(text: str) -> str:
    """Plain text in Markdown: HTML escaped and the characters that would start markup."""
    return html.escape(text, quote=False).replace("*", "\\*").replace("_", "\\_")


def bilingual(text: m.Text) -> str:
    if text.en and text.zh:
        return f"{esc(text.en)}<br>{esc(text.zh)}"
    return esc(text.en or text.zh)


def details(title: str, body: str, kind: str = "note") -> str:
    """A collapsed block (pymdownx.details); its body is indented under the title."""
    indented = "\n".join(("    " + line) if line.strip() else "" for line in body.splitlines())
    return f'??? {kind} "{title}"\n\n{indented}\n'


def fenced(text: str, language: str = "text") -> str:
    fence = "````" if "```" in text else "```"
    return f"{fence}{language}\n{text.rstrip()}\n{fence}\n"


def number(value: float) -> str:
    return f"{value:.6g}"


def bounds(inp: m.Input) -> str:
    unit = f" {inp.unit}" if inp.unit and str(inp.unit) != "1" else ""
    return ", ".join(f"{_BOUND_SIGNS.get(b.op, b.op)} {number(b.value)}{unit}" for b in inp.bounds)
