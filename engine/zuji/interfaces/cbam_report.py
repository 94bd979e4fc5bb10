"""`zuji run --format cbam` (JSON) and `--format cbam-table` (for people): the CBAM embedded
emissions of a good, the line-by-line differences from its footprint and the communication
template's fields."""

from __future__ import annotations

import json

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
    out = [
        f"CBAM embedded emissions: {report.aggregated_goods} (CN {', '.join(report.cn_codes)}), "
        f"PCR {report.pcr} {report.pcr_version}, mapping {report.mapping}",
        f"production route: {report.production_route}",
        *(f"method choice for CBAM: {k} = {v}" for k, v in report.method_choices.items()),
        "",
        "kg CO2e per t of good",
        f"  direct                 {report.direct_kg:12.4f}",
        f"  indirect (electricity) {report.indirect_kg:12.4f}",
        f"  precursors             {report.precursors_kg:12.4f}",
        f"  embedded, all          {report.embedded_kg:12.4f}",
        f"  embedded, definitive   {report.embedded_definitive_kg:12.4f}"
        + ("" if report.indirect_counted_in_definitive_period else "   (direct only)"),
        f"  ISO 14067 footprint    {report.footprint_kg:12.4f}",
        "",
        f"electricity {_figure(report.electricity.consumed_mwh_per_t)} MWh/t at "
        f"{_figure(report.electricity.factor_t_co2_per_mwh)} t CO2/MWh",
        *(f"  factor: {s}" for s in report.electricity.factor_sources),
    ]
    for p in report.precursors:
        here = " made in the installation, already counted above" if p.made_here else ""
        out.append(
            f"precursor {p.name} (CN {p.cn_code}){here}: {_figure(p.mass_t_per_t)} t/t, "
            f"{_figure(p.embedded_t_per_t_precursor)} t CO2e/t precursor, "
            f"{p.embedded_kg_per_t_good:.4f} kg per t of good"
        )
    out += ["", f"{'line':28} {'stage':22} {'footprint':>11} {'CBAM':>11}  counted"]
    for line in report.lines:
        out.append(
            f"{line.name:28} {line.stage:22} {line.footprint_kg:11.4f} {line.cbam_kg:11.4f}  "
            f"{line.cbam}{'' if line.kind == 'emission' else f' ({line.kind})'}: {line.why}"
        )
    for d in report.comparison_defaults:
        note = "" if d.confirmed else "  (unconfirmed)"
        out.append(
            f"CBAM default for comparison: {d.value_t_per_t:.4g} t/t {d.scope}, {d.id}{note}"
        )
    price = report.template.get("carbon_price_due")
    out.append(f"carbon price due: {price if price else '(not given)'}")
    return "\n".join(out)
