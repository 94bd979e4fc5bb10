"""The system boundary as an inline SVG: stages inside the boundary, what is left out outside.

Drawn in Python rather than with Mermaid because Mermaid's script would have to come from a CDN,
and the site must render with no network.
"""

from __future__ import annotations

import itertools
import textwrap
from html import escape

from zuji.lang import model as m

BOX_W, BOX_H, GAP, PAD, PER_ROW = 200, 84, 36, 24, 4

# Life-cycle phases that each kind of boundary leaves outside, in life-cycle order.
OUTSIDE = {
    "cradle_to_gate": ((), ("distribution", "use", "end of life")),
    "gate_to_gate": (("raw material acquisition",), ("distribution", "use", "end of life")),
    "cradle_to_grave": ((), ()),
}

KIND_TITLES = {
    "cradle_to_gate": "cradle to gate",
    "cradle_to_grave": "cradle to grave",
    "gate_to_gate": "gate to gate",
}
# The terms of GB/T 24067 (ISO 14067) in Chinese, so that the diagram reads in both languages.
KIND_TITLES_ZH = {
    "cradle_to_gate": "从摇篮到大门",
    "cradle_to_grave": "从摇篮到坟墓",
    "gate_to_gate": "从大门到大门",
}
PHASES_ZH = {
    "raw material acquisition": "原材料获取",
    "distribution": "分销",
    "use": "使用",
    "end of life": "寿命终止",
}
OUTSIDE_ZH, EXCLUDED_ZH = "边界之外", "排除"
# Han characters are about twice as wide as Latin letters of the same font size.
ZH_WIDTH = 12


def _box(x: float, y: float, title: str, subtitle: m.Text, included: bool) -> str:
    style = (
        'class="stage" fill="#e8f5e9" stroke="#2e7d32"'
        if included
        else 'class="outside" fill="#f5f5f5" stroke="#9e9e9e" stroke-dasharray="6 4"'
    )
    parts = [
        (
            f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="8" {style} '
            'stroke-width="1.5"/>'
        )
    ]
    # Long names break after an underscore rather than in the middle of a word.
    heading = textwrap.wrap(title.replace("_", "_ "), 20)[:2]
    lines = [(t.replace("_ ", "_"), True) for t in heading]
    zh = subtitle.zh
    if zh:
        lines.append((zh if len(zh) <= ZH_WIDTH else zh[: ZH_WIDTH - 1] + "…", False))
    room = 4 - len(lines)
    below = textwrap.wrap(subtitle.en, 28) if room > 0 else []
    if room > 0 and len(below) > room:
        below = [
            *below[: room - 1],
            textwrap.shorten(" ".join(below[room - 1 :]), 28, placeholder=" …"),
        ]
    lines += [(t, False) for t in below]
    top = y + BOX_H / 2 - (len(lines) - 1) * 9
    for i, (text, bold) in enumerate(lines):
        weight = ' font-weight="bold"' if bold else ""
        size = 15 if bold else 13
        parts.append(
            f'<text x="{x + BOX_W / 2}" y="{top + i * 18}" text-anchor="middle" '
            f'dominant-baseline="middle" font-size="{size}"{weight} '
            f'fill="{"#1b1b1b" if included else "#616161"}">{escape(text)}</text>'
        )
    return "".join(parts)


def _arrow(x1: float, y1: float, x2: float, y2: float) -> str:
    return (
        f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="#455a64" '
        'stroke-width="1.5" marker-end="url(#zuji-arrow)"/>'
    )


def svg(rule: m.RuleFile) -> str:
    """One line of SVG (no blank lines, so Markdown passes it through as raw HTML).

    Bands from top to bottom: the phases before the boundary, the boundary with its stages in
    rows, the phases after it, and the items the PCR excludes.
    """
    boundary = rule.boundary or m.Boundary("cradle_to_gate", ())
    before, after = OUTSIDE.get(boundary.kind, ((), ()))
    titles = {s.name: s.description for s in rule.stages}
    bands: list[list[tuple[str, m.Text, bool]]] = []
    bands += _rows([(p, _phase(p), False) for p in before])
    bands += _rows([(s, titles.get(s, m.Text()), True) for s in boundary.stages])
    bands += _rows([(p, _phase(p), False) for p in after])
    chained = len(bands)
    bands += _rows([(e.name, _excluded(e), False) for e in rule.exclusions])
    width = PAD * 2 + PER_ROW * BOX_W + (PER_ROW - 1) * GAP
    row_h = BOX_H + GAP
    height = PAD * 2 + 24 + len(bands) * row_h
    parts = [
        (
            f'<svg class="zuji-boundary" xmlns="http://www.w3.org/2000/svg" '
            f'viewBox="0 0 {width} {height}" width="100%" role="img" '
            f'aria-label="System boundary of {escape(rule.id)}" font-family="sans-serif">'
        ),
        (
            '<defs><marker id="zuji-arrow" viewBox="0 0 10 10" refX="9" refY="5" '
            'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
            '<path d="M0,0 L10,5 L0,10 z" fill="#455a64"/></marker></defs>'
        ),
        (
            f'<text x="{PAD}" y="{PAD + 6}" font-size="14" font-weight="bold">系统边界：'
            f"{escape(KIND_TITLES_ZH.get(boundary.kind, boundary.kind))} · System boundary: "
            f"{escape(KIND_TITLES.get(boundary.kind, boundary.kind))}</text>"
        ),
    ]
    positions: list[tuple[float, float, bool]] = []
    for r, row in enumerate(bands):
        y = PAD + 24 + r * row_h + GAP / 2
        for c, (name, subtitle, included) in enumerate(row):
            x = PAD + c * (BOX_W + GAP)
            if r < chained:
                positions.append((x, y, included))
            parts.append(_box(x, y, name, subtitle, included))
    inside = [p for p in positions if p[2]]
    if inside:
        parts.insert(3, _frame(inside))
    for (x1, y1, _), (x2, y2, _) in itertools.pairwise(positions):
        if y1 == y2:
            parts.append(_arrow(x1 + BOX_W, y1 + BOX_H / 2, x2 - 2, y2 + BOX_H / 2))
        else:
            parts.append(_arrow(x1 + BOX_W / 2, y1 + BOX_H, x2 + BOX_W / 2, y2 - 2))
    parts.append("</svg>")
    return "".join(parts)


def _excluded(exclusion: m.Exclusion) -> m.Text:
    reason = exclusion.reason
    return m.Text(
        f"excluded: {reason.en}" if reason.en else "excluded",
        f"{EXCLUDED_ZH}：{reason.zh}" if reason.zh else EXCLUDED_ZH,
    )


def _phase(phase: str) -> m.Text:
    """A life-cycle phase outside the boundary, named in both languages."""
    return m.Text("outside the boundary", f"{PHASES_ZH.get(phase, phase)}，{OUTSIDE_ZH}")


def _rows(items: list[tuple[str, m.Text, bool]]) -> list[list[tuple[str, m.Text, bool]]]:
    return [items[i : i + PER_ROW] for i in range(0, len(items), PER_ROW)]


def _frame(inside: list[tuple[float, float, bool]]) -> str:
    """The dashed line of the boundary around the stages it includes."""
    left = min(x for x, _, _ in inside) - 12
    right = max(x for x, _, _ in inside) + BOX_W + 12
    top = min(y for _, y, _ in inside) - 12
    bottom = max(y for _, y, _ in inside) + BOX_H + 12
    return (
        f'<rect class="boundary" x="{left}" y="{top}" width="{right - left}" '
        f'height="{bottom - top}" rx="12" fill="none" stroke="#2e7d32" stroke-width="2" '
        'stroke-dasharray="10 5"/>'
    )
