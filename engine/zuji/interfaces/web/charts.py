"""Charts as inline SVG, drawn on the server: readable without colour and without scripts.

Every bar carries a pattern of its own besides its colour and is labelled by text beside it (its
name and figure), so a reader who cannot tell the colours apart, or prints the page in black and
white, reads the same. Each chart is role="img" with a <title> and a <desc> naming what it
shows; the pages put the same figures in a table beside it. No style attributes: the platform's
pages forbid inline styles (render.PAGE_POLICY), so drawing uses presentation attributes only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

# Fills meeting 3:1 contrast against white (WCAG 1.4.11, graphical objects), each paired with a
# pattern drawn over it in white.
_FILLS = ("#17603a", "#0b57d0", "#7a4a00", "#6b2d8f", "#a1231b", "#1b5e73", "#4a5560")
_PATTERNS = (
    '<path d="M0 8 L8 0" stroke="#fff" stroke-width="1.5"/>',  # diagonal lines
    '<circle cx="4" cy="4" r="1.4" fill="#fff"/>',  # dots
    '<path d="M0 4 H8" stroke="#fff" stroke-width="1.5"/>',  # horizontal lines
    '<path d="M0 0 L8 8 M8 0 L0 8" stroke="#fff" stroke-width="1"/>',  # cross-hatch
    '<path d="M4 0 V8" stroke="#fff" stroke-width="1.5"/>',  # vertical lines
    '<rect x="2" y="2" width="3" height="3" fill="#fff"/>',  # squares
    "",  # plain
)
_WIDTH = 720
_LABEL_WIDTH = 230
_ROW = 34


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    shown: str  # the figure as the page writes it


def _defs(prefix: str, count: int) -> str:
    patterns = []
    for k in range(count):
        fill, drawn = _FILLS[k % len(_FILLS)], _PATTERNS[k % len(_PATTERNS)]
        patterns.append(
            f'<pattern id="{prefix}-p{k}" width="8" height="8" patternUnits="userSpaceOnUse">'
            f'<rect width="8" height="8" fill="{fill}"/>{drawn}</pattern>'
        )
    return f"<defs>{''.join(patterns)}</defs>"


def _frame(prefix: str, title: str, description: str, height: int, body: str) -> Markup:
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {_WIDTH} {height}" width="100%" '
        f'aria-labelledby="{prefix}-title {prefix}-desc">'
        f'<title id="{prefix}-title">{escape(title)}</title>'
        f'<desc id="{prefix}-desc">{escape(description)}</desc>{body}</svg>'
    )


def bars(prefix: str, title: str, description: str, rows: Sequence[Bar]) -> Markup:
    """Horizontal bars, one per row, each with its own pattern and its label and figure as text;
    negative figures (credits) run left of the zero line."""
    height = 16 + _ROW * max(len(rows), 1)
    span = _WIDTH - _LABEL_WIDTH - 130
    low = min([0.0, *(r.value for r in rows)])
    high = max([0.0, *(r.value for r in rows)])
    scale = span / (high - low) if high > low else 0.0
    zero = _LABEL_WIDTH + (0 - low) * scale
    parts = [_defs(prefix, len(rows))]
    for k, row in enumerate(rows):
        y = 8 + k * _ROW
        left = min(zero, zero + row.value * scale)
        width = max(abs(row.value) * scale, 1.0)
        parts.append(
            f'<text x="{_LABEL_WIDTH - 8}" y="{y + 18}" text-anchor="end" font-size="14" '
            f'fill="#1b1f23">{escape(row.label)}</text>'
            f'<rect x="{left:.1f}" y="{y + 2}" width="{width:.1f}" height="22" '
            f'fill="url(#{prefix}-p{k})" stroke="#1b1f23" stroke-width="1"/>'
            f'<text x="{max(zero, left + width) + 6:.1f}" y="{y + 18}" font-size="14" '
            f'fill="#1b1f23">{escape(row.shown)}</text>'
        )
    parts.append(
        f'<line x1="{zero:.1f}" y1="4" x2="{zero:.1f}" y2="{height - 4}" stroke="#4a5560"/>'
    )
    return _frame(prefix, title, description, height, "".join(parts))


@dataclass(frozen=True)
class Mark:
    """A value marked on a distribution: a benchmark level or a chosen product."""

    label: str
    value: float
    kind: str  # level | product


def distribution(
    prefix: str,
    title: str,
    description: str,
    bins: Sequence[tuple[float, float, int]],
    marks: Sequence[Mark],
    axis: str,
) -> Markup:
    """A histogram of (low, high, count) bins, each bar labelled with its count, with benchmark
    levels as dashed lines and chosen products as numbered triangles, each labelled by text."""
    left, right, top, floor = 60, _WIDTH - 20, 20, 230
    values = [b[0] for b in bins] + [b[1] for b in bins] + [m.value for m in marks]
    low, high = (min(values), max(values)) if values else (0.0, 1.0)
    if high - low < 1e-9 * max(abs(low), 1.0):  # one value: a range a tenth either side
        low, high = low - max(abs(low) / 10, 1.0), high + max(abs(high) / 10, 1.0)
    most = max([1, *(b[2] for b in bins)])

    def x(value: float) -> float:
        return left + (value - low) / (high - low) * (right - left)

    parts = [_defs(prefix, 1)]
    for b_low, b_high, count in bins:
        top_y = floor - (floor - top - 20) * count / most
        parts.append(
            f'<rect x="{x(b_low):.1f}" y="{top_y:.1f}" width="{max(x(b_high) - x(b_low), 2):.1f}" '
            f'height="{floor - top_y:.1f}" fill="url(#{prefix}-p0)" stroke="#1b1f23"/>'
            f'<text x="{(x(b_low) + x(b_high)) / 2:.1f}" y="{top_y - 4:.1f}" font-size="12" '
            f'text-anchor="middle" fill="#1b1f23">{count}</text>'
        )
    parts.append(f'<line x1="{left}" y1="{floor}" x2="{right}" y2="{floor}" stroke="#1b1f23"/>')
    parts.append(_ticks(low, high, x, floor, axis))
    parts += [_mark(k, m, x(m.value), floor) for k, m in enumerate(marks)]
    height = floor + 80 + 18 * len(marks)
    parts += [
        f'<text x="{left}" y="{floor + 72 + 18 * k}" font-size="13" fill="#1b1f23">'
        f"{_symbol(k, m)} {escape(m.label)}</text>"
        for k, m in enumerate(marks)
    ]
    return _frame(prefix, title, description, height, "".join(parts))


def _ticks(low: float, high: float, place: Callable[[float], float], floor: int, axis: str) -> str:
    out = []
    decimals = 0 if high - low >= 20 else 1 if high - low >= 2 else 2
    for k in range(5):
        value = low + (high - low) * k / 4
        out.append(
            f'<text x="{place(value):.1f}" y="{floor + 16}" font-size="12" text-anchor="middle" '
            f'fill="#1b1f23">{value:,.{decimals}f}</text>'
        )
    out.append(
        f'<text x="{_WIDTH - 20}" y="{floor + 46}" font-size="12" text-anchor="end" '
        f'fill="#4a5560">{escape(axis)}</text>'
    )
    return "".join(out)


def _symbol(k: int, mark: Mark) -> str:
    return f"▲{k + 1}" if mark.kind == "product" else f"┆{k + 1}"


def _mark(k: int, mark: Mark, at: float, floor: int) -> str:
    if mark.kind == "level":
        return (
            f'<line x1="{at:.1f}" y1="14" x2="{at:.1f}" y2="{floor}" stroke="#7a4a00" '
            f'stroke-width="2" stroke-dasharray="6 4"/>'
            f'<text x="{at + 3:.1f}" y="{12 + 12 * (k % 3)}" font-size="12" fill="#7a4a00">'
            f"┆{k + 1}</text>"
        )
    return (
        f'<path d="M{at:.1f} {floor + 20} l-6 12 h12 z" fill="#0b57d0" stroke="#1b1f23"/>'
        f'<text x="{at:.1f}" y="{floor + 46}" font-size="11" text-anchor="middle" '
        f'fill="#0b57d0">{k + 1}</text>'
    )
