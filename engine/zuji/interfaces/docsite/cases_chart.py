"""The worked cases of a PCR as one chart: each case's footprint by stage, against the range the
case's source publishes.

An inline SVG made while the page is written (no script, no network). Stages are told apart by
hatching as well as by tint, and each is named in the legend in both languages, so the chart
reads in grey print and for readers who do not see colour.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from zuji.lang import model as m

LABEL_W, BAR_W, VALUE_W, ROW_H, BAR_H, PAD = 190, 470, 110, 34, 18, 16
# (pattern body, tint): drawn in near-black strokes on a light tint, one per stage in turn
PATTERNS: tuple[tuple[str, str], ...] = (
    ("", "#cfd8dc"),
    ('<path d="M0,8 L8,0" stroke="#212121" stroke-width="1.2"/>', "#ffe0b2"),
    ('<path d="M0,0 L8,8 M0,8 L8,0" stroke="#212121" stroke-width="1"/>', "#c8e6c9"),
    ('<circle cx="4" cy="4" r="1.6" fill="#212121"/>', "#bbdefb"),
    ('<path d="M0,4 L8,4" stroke="#212121" stroke-width="1.2"/>', "#f8bbd0"),
    ('<path d="M4,0 L4,8" stroke="#212121" stroke-width="1.2"/>', "#fff9c4"),
    ('<path d="M0,0 L8,8" stroke="#212121" stroke-width="1.2"/>', "#d1c4e9"),
    ('<rect x="2" y="2" width="4" height="4" fill="#212121"/>', "#b2dfdb"),
)


@dataclass(frozen=True, slots=True)
class CaseBar:
    """One worked case as the engine computes it, per declared unit."""

    name: str
    by_stage: dict[str, float]
    total: float
    published: tuple[float, float] | None


def svg(rule: m.RuleFile, bars: Sequence[CaseBar], unit: str) -> str:
    """One line of SVG (Markdown passes it through as raw HTML), or "" with nothing to draw."""
    stages = [s for s in rule.stages if any(b.by_stage.get(s.name, 0) > 0 for b in bars)]
    if not bars or not stages:
        return ""
    top = max(
        [sum(max(v, 0.0) for v in b.by_stage.values()) for b in bars]
        + [b.published[1] for b in bars if b.published]
    )
    scale = BAR_W / (top * 1.08 or 1.0)
    legend_rows = (len(stages) + 1) // 2
    width = PAD * 2 + LABEL_W + BAR_W + VALUE_W
    height = PAD * 2 + 24 + len(bars) * ROW_H + 28 + (legend_rows + 1) * 22
    parts = [
        f'<svg class="zuji-cases-chart" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {width} {height}" width="100%" role="img" font-family="sans-serif" '
        f'aria-label="Worked cases of {escape(rule.id)} by stage, {escape(unit)}">',
        f"<title>算例按阶段的碳足迹 · Worked cases by stage ({escape(unit)})</title>",
        _patterns(rule.id, len(stages)),
        f'<text x="{PAD}" y="{PAD + 6}" font-size="13">{escape(unit)}</text>',
    ]
    for row, bar in enumerate(bars):
        parts.append(_row(rule.id, bar, stages, PAD + 24 + row * ROW_H, scale))
    axis_y = PAD + 24 + len(bars) * ROW_H
    parts.append(_axis(axis_y, top * 1.08, scale))
    parts.append(_legend(rule.id, stages, axis_y + 34))
    parts.append("</svg>")
    return "".join(parts)


def _patterns(rule_id: str, count: int) -> str:
    defs = []
    for i in range(count):
        body, tint = PATTERNS[i % len(PATTERNS)]
        defs.append(
            f'<pattern id="zuji-{escape(rule_id)}-s{i}" width="8" height="8" '
            f'patternUnits="userSpaceOnUse"><rect width="8" height="8" fill="{tint}"/>{body}'
            "</pattern>"
        )
    return "<defs>" + "".join(defs) + "</defs>"


def _row(rule_id: str, bar: CaseBar, stages: Sequence[m.Stage], y: float, scale: float) -> str:
    x0 = PAD + LABEL_W
    parts = [
        f'<text x="{x0 - 8}" y="{y + BAR_H / 2}" text-anchor="end" dominant-baseline="middle" '
        f'font-size="13">{escape(bar.name)}</text>'
    ]
    if bar.published:
        low, high = bar.published
        parts.append(
            f'<rect class="published" x="{x0 + low * scale:.1f}" y="{y - 5}" '
            f'width="{max((high - low) * scale, 1):.1f}" height="{BAR_H + 10}" fill="#eeeeee" '
            'stroke="#212121" stroke-width="1.2" stroke-dasharray="4 3"/>'
        )
    x = float(x0)
    for i, stage in enumerate(stages):
        value = max(bar.by_stage.get(stage.name, 0.0), 0.0)
        if value <= 0:
            continue
        w = value * scale
        parts.append(
            f'<rect class="stage" x="{x:.1f}" y="{y}" width="{w:.1f}" height="{BAR_H}" '
            f'fill="url(#zuji-{escape(rule_id)}-s{i})" stroke="#212121" stroke-width="0.8">'
            f"<title>{escape(stage.name)}: {value:.4g}</title></rect>"
        )
        x += w
    parts.append(
        f'<text x="{x + 6:.1f}" y="{y + BAR_H / 2}" dominant-baseline="middle" '
        f'font-size="12" font-weight="bold">{bar.total:.4g}</text>'
    )
    return "".join(parts)


def _axis(y: float, top: float, scale: float) -> str:
    x0 = PAD + LABEL_W
    step = _step(top)
    parts = [f'<line x1="{x0}" y1="{y}" x2="{x0 + BAR_W}" y2="{y}" stroke="#212121"/>']
    tick = 0.0
    while tick <= top:
        x = x0 + tick * scale
        parts.append(
            f'<line x1="{x:.1f}" y1="{y}" x2="{x:.1f}" y2="{y + 4}" stroke="#212121"/>'
            f'<text x="{x:.1f}" y="{y + 16}" text-anchor="middle" font-size="11">{tick:g}</text>'
        )
        tick += step
    return "".join(parts)


def _step(top: float) -> float:
    """A round tick spacing giving four to ten ticks."""
    step = 1.0
    while top / step > 10:
        step *= 10
    while top / step < 4:
        step /= 2
    for factor in (2, 5):
        if top / (step * factor) >= 4:
            return step * factor
    return step


def _legend(rule_id: str, stages: Sequence[m.Stage], y: float) -> str:
    parts = []
    half = (LABEL_W + BAR_W + VALUE_W) / 2
    for i, stage in enumerate(stages):
        x = PAD + (i % 2) * half
        row_y = y + (i // 2) * 22
        name = " · ".join(t for t in (stage.description.zh, stage.name) if t)
        parts.append(
            f'<rect x="{x}" y="{row_y - 7}" width="22" height="14" '
            f'fill="url(#zuji-{escape(rule_id)}-s{i})" stroke="#212121" stroke-width="0.8"/>'
            f'<text x="{x + 28}" y="{row_y}" dominant-baseline="middle" font-size="12">'
            f"{escape(name[: int(half / 7)])}</text>"
        )
    last = y + ((len(stages) + 1) // 2) * 22
    parts.append(
        f'<rect x="{PAD}" y="{last - 7}" width="22" height="14" fill="#eeeeee" stroke="#212121" '
        'stroke-dasharray="4 3"/>'
        f'<text x="{PAD + 28}" y="{last}" dominant-baseline="middle" font-size="12">'
        "公布范围 · published range</text>"
    )
    return "".join(parts)
