"""The sensitivity section of a result as a table for the terminal."""

from __future__ import annotations

from zuji.core.i18n import _
from zuji.core.text import columns, pad
from zuji.runtime.result import Sensitivity


def sensitivity_table(section: Sensitivity, most: int = 20) -> str:
    """The parameters ranked by elasticity (the first `most`), then each line's share."""
    rows = [(_("rank"), _("input or factor"), _("value"), "d total / d value", _("elasticity"))]
    for rank, figure in enumerate(section.parameters[:most], start=1):
        unit = f" {figure.unit}" if figure.unit else ""
        elasticity = f"{figure.elasticity:+.4f}" if figure.elasticity is not None else "-"
        rows.append(
            (
                str(rank),
                figure.name + (f" ({figure.reference})" if figure.reference else ""),
                f"{figure.value:.6g}{unit}",
                f"{figure.derivative:.6g}",
                elasticity,
            )
        )
    widths = [max(columns(row[i]) for row in rows) for i in range(5)]
    out = [
        "",
        _(
            "Sensitivity (exact derivatives of the total, kg CO2e per declared unit; elasticity ="
            " % change of the total per % change of the value):"
        ),
    ]
    out += ["  " + "  ".join(pad(c, w) for c, w in zip(row, widths, strict=True)) for row in rows]
    left = len(section.parameters) - most
    if left > 0:
        out.append(
            "  " + _("... and {count} more (--format json lists them all)").format(count=left)
        )
    out.append("")
    out.append(_("Contribution by line:"))
    width = max((len(c.line) for c in section.contributions), default=4)
    for c in section.contributions:
        share = f"{100 * c.share:6.2f} %" if c.share is not None else "      -"
        out.append(f"  {c.line.ljust(width)}  {c.co2e_kg:12.4f} kg CO2e  {share}  ({c.stage})")
    return "\n".join(out)
