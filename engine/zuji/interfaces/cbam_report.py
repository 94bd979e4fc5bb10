"""`zuji run --format cbam` (JSON) and `--format cbam-table` (for people): the CBAM embedded
emissions of a good, the line-by-line differences from its footprint and the communication
template's fields."""

from __future__ import annotations

import json
from typing import Any

from zuji.core.i18n import _, localise, localise_text, pgettext
from zuji.core.text import pad
from zuji.exchange.cbam import CbamReport, cbam_report
from zuji.runtime.inventory import Inventory
from zuji.runtime.pcr import PCR

FORMATS = ("cbam", "cbam-table")


def cbam_output(fmt: str, pcr: PCR, inventory: Inventory) -> str:
    report = cbam_report(pcr, inventory)
    if fmt == "cbam":
        return json.dumps(report.model_dump(mode="json"), ensure_ascii=False, indent=2)
    return cbam_table(report)


def _figure(value: float | None, digits: int = 4) -> str:
    return "-" if value is None else f"{value:.{digits}g}"


def cbam_table(report: CbamReport) -> str:
    """The report for people: the embedded emissions, the electricity, the precursors and each
    line's treatment, in the reader's language (each line's reason is the mapping's own)."""
    out = [
        _(
            "CBAM embedded emissions: {goods} (CN {codes}), PCR {pcr} {version}, mapping {mapping}"
        ).format(
            goods=report.aggregated_goods,
            codes=", ".join(report.cn_codes),
            pcr=report.pcr,
            version=report.pcr_version,
            mapping=report.mapping,
        ),
        _("production route: {route}").format(route=report.production_route),
        *(
            _("method choice for CBAM: {choice} = {option}").format(choice=k, option=v)
            for k, v in report.method_choices.items()
        ),
        "",
        *_embedded(report),
        "",
        _("electricity {mwh} MWh/t at {factor} t CO2/MWh").format(
            mwh=_figure(report.electricity.consumed_mwh_per_t),
            factor=_figure(report.electricity.factor_t_co2_per_mwh),
        ),
        *(
            "  " + _("factor: {source}").format(source=localise_text("trace", s))
            for s in report.electricity.factor_sources
        ),
    ]
    out += [_precursor(p) for p in report.precursors]
    heads = (_("line"), _("stage"), _("footprint"), "CBAM", _("counted"))
    out += [
        "",
        f"{pad(heads[0], 28)} {pad(heads[1], 22)} {heads[2]:>11} {heads[3]:>11}  {heads[4]}",
    ]
    for line in report.lines:
        kind = "" if line.kind == "emission" else f" ({pgettext('line', line.kind)})"
        out.append(
            f"{line.name:28} {line.stage:22} {line.footprint_kg:11.4f} {line.cbam_kg:11.4f}  "
            f"{pgettext('cbam', line.cbam)}{kind}: {localise_text('cbam', line.why)}"
        )
    for d in report.comparison_defaults:
        note = "  " + _("(unconfirmed)") if not d.confirmed else ""
        out.append(
            _("CBAM default for comparison: {value} t/t {scope}, {id}").format(
                value=f"{d.value_t_per_t:.4g}", scope=d.scope, id=d.id
            )
            + note
        )
    price = report.template.get("carbon_price_due")
    out.append(_("carbon price due: {price}").format(price=price if price else _("(not given)")))
    out += [f"warning[{w.code}]: {localise(w.code, w.message)}" for w in report.warnings]
    return "\n".join(out)


def _embedded(report: CbamReport) -> list[str]:
    """The installation's attributed emissions, what the bought precursors add, and the good's
    specific direct and indirect embedded emissions made of them (a complex good's)."""
    definitive = "" if report.indirect_counted_in_definitive_period else "   " + _("(direct only)")
    rows = (
        (_("attributed direct"), report.direct_kg, ""),
        (_("attributed indirect"), report.indirect_kg, ""),
        (_("precursors added"), report.precursors_kg, ""),
        (_("specific direct"), report.specific_direct_kg, ""),
        (_("specific indirect"), report.specific_indirect_kg, ""),
        (_("embedded, all"), report.embedded_kg, ""),
        (_("embedded, definitive"), report.embedded_definitive_kg, definitive),
        (_("ISO 14067 footprint"), report.footprint_kg, ""),
    )
    out = [_("kg CO2e per t of good")]
    out += [f"  {pad(label, 22)} {value:12.4f}{note}" for label, value, note in rows]
    return out


def _precursor(p: Any) -> str:
    here = _(" at the footprint the PCR takes for it, added whole to the specific direct figure")
    if p.made_here:
        here = _(" made in the installation, already counted above")
    elif p.from_supplier:
        here = _(" at the CBAM figures its supplier communicated")
    return _(
        "precursor {name} (CN {code}){here}: {mass} t/t, {embedded} t CO2e/t precursor, "
        "{per_good} kg per t of good"
    ).format(
        name=p.name,
        code=p.cn_code,
        here=here,
        mass=_figure(p.mass_t_per_t),
        embedded=_figure(p.embedded_t_per_t_precursor),
        per_good=f"{p.embedded_kg_per_t_good:.4f}",
    )
