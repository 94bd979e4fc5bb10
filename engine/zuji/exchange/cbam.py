"""CBAM embedded emissions of a good, from the same inventory as its footprint.

The EU CBAM (Regulation (EU) 2023/956; Implementing Regulation (EU) 2023/1773 Annex III) counts
the emissions of a good differently from an ISO 14067 footprint: only the installation's own
direct emissions and the electricity it consumes (indirect), plus the embedded emissions of the
relevant precursors; no upstream supply chains or transport; only CO2, N2O and PFCs, weighed with
the GWPs the EU uses; choices of method the regulation fixes (exported waste gases). The PCR's
CBAM mapping (pcr/<id>/cbam.yaml) says where each line goes; this module evaluates the inventory
(once more with the CBAM method choices, if the mapping sets any), puts every line where the
mapping says and lists each line's footprint and CBAM figures side by side.

The good's specific direct and indirect embedded emissions are those of a complex good
(Regulation (EU) 2023/956 Annex IV point 3): its installation's attributed emissions plus what
each bought precursor adds (cbam_precursors). Every total of the report is made from these two,
so the template, the embedded figure and the definitive-period figure cannot disagree.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from pydantic import Field

from zuji.core import library
from zuji.data.benchmarks import load_benchmarks
from zuji.data.standards import GwpSet, load_gwp
from zuji.exchange.cbam_mapping import CbamMapping, load_mapping
from zuji.exchange.cbam_precursors import (
    CbamModel,
    ComplexGood,
    LineComparison,
    PrecursorFigure,
    bought_precursors,
    given,
    own_precursors,
    trace_lines,
)
from zuji.runtime.inventory import Inventory
from zuji.runtime.pcr import PCR
from zuji.runtime.result import Finding, Result, TraceLine

__all__ = ["CbamReport", "LineComparison", "PrecursorFigure", "cbam_report"]

# Gases of Annex I of Regulation (EU) 2023/956 for these goods: CO2, N2O (nitric acid and
# fertilisers) and PFCs (aluminium). Methane is none of them.
COVERED_GASES = frozenset({"CO2", "CO2e", "N2O", "CF4", "C2F6"})


class ElectricityFigure(CbamModel):
    consumed_mwh_per_t: float
    factor_t_co2_per_mwh: float | None
    factor_sources: list[str]


class ComparisonDefault(CbamModel):
    id: str
    scope: str
    value_t_per_t: float
    valid_from: str
    valid_to: str | None
    source: str
    confirmed: bool


class CbamReport(CbamModel):
    """Specific embedded emissions of one good, in kg CO2e per t, with the line-by-line
    differences from its footprint and the fields of the communication template."""

    pcr: str
    pcr_version: str
    mapping: str
    goods_category: str
    aggregated_goods: str
    cn_codes: list[str]
    production_route: str
    gwp: str
    method_choices: dict[str, str]
    direct_kg: float = Field(
        description="Attributed direct emissions of the installation's own production process"
    )
    indirect_kg: float = Field(
        description="Attributed indirect emissions (electricity) of the installation's own process"
    )
    precursors_kg: float = Field(description="What the bought precursors add, direct and indirect")
    specific_direct_kg: float = Field(
        description="Specific direct embedded emissions of the good: attributed direct emissions "
        "plus what each bought precursor adds to them (Annex IV point 3)"
    )
    specific_indirect_kg: float = Field(
        description="Specific indirect embedded emissions of the good: attributed indirect "
        "emissions plus what each bought precursor adds to them (Annex IV point 3)"
    )
    embedded_kg: float = Field(description="specific direct + specific indirect")
    indirect_counted_in_definitive_period: bool
    embedded_definitive_kg: float = Field(
        description="What the definitive period counts: specific direct, plus specific indirect "
        "only for cement and fertilisers"
    )
    footprint_kg: float
    electricity: ElectricityFigure
    precursors: list[PrecursorFigure]
    lines: list[LineComparison]
    comparison_defaults: list[ComparisonDefault]
    template: dict[str, Any]
    sources: list[str]
    warnings: list[Finding] = Field(
        default_factory=list, description="W763 for each bought precursor still at its footprint"
    )


def cbam_report(
    pcr: PCR, inventory: Inventory, carbon_price: dict[str, Any] | None = None
) -> CbamReport:
    """The CBAM figures of an inventory. `carbon_price` fills the template's carbon price due
    (amount, currency, instrument), left empty otherwise."""
    mapping = load_mapping(pcr)
    footprint = pcr.evaluate(inventory, trace=True)
    cbam_inventory = _with_cbam_methods(inventory, mapping)
    counted = (
        pcr.evaluate(cbam_inventory, trace=True) if cbam_inventory is not inventory else footprint
    )
    gwp = load_gwp(library.gwp_root() / f"{mapping.gwp}.yaml")
    lines, precursors, warnings = bought_precursors(
        mapping, counted, _compare(mapping, footprint, counted, gwp)
    )
    precursors += own_precursors(mapping, counted, lines)
    good = ComplexGood.of(lines, precursors)
    electricity = _electricity(mapping, counted, good.attributed_indirect)
    route = _route(mapping, cbam_inventory)
    return CbamReport(
        pcr=pcr.id,
        pcr_version=pcr.version,
        mapping=mapping.path,
        goods_category=mapping.goods_category,
        aggregated_goods=mapping.aggregated_goods,
        cn_codes=list(mapping.cn_codes),
        production_route=route,
        gwp=mapping.gwp,
        method_choices={k: v for k, (v, _) in mapping.method_inputs.items()},
        direct_kg=good.attributed_direct,
        indirect_kg=good.attributed_indirect,
        precursors_kg=good.added_direct + good.added_indirect,
        specific_direct_kg=good.direct,
        specific_indirect_kg=good.indirect,
        embedded_kg=good.direct + good.indirect,
        indirect_counted_in_definitive_period=mapping.indirect_counted,
        embedded_definitive_kg=good.definitive(mapping.indirect_counted),
        footprint_kg=footprint.total,
        electricity=electricity,
        precursors=precursors,
        lines=lines,
        comparison_defaults=_defaults(pcr.id),
        template=_template(footprint, route, mapping, good, electricity, precursors, carbon_price),
        sources=list(mapping.sources),
        warnings=warnings,
    )


def _with_cbam_methods(inventory: Inventory, mapping: CbamMapping) -> Inventory:
    changed = {k: v for k, (v, _) in mapping.method_inputs.items() if inventory.values.get(k) != v}
    if not changed:
        return inventory
    return dataclasses.replace(inventory, values={**inventory.values, **changed})


def _compare(
    mapping: CbamMapping, footprint: Result, counted: Result, gwp: GwpSet
) -> list[LineComparison]:
    gases = {f.name: (f.gas, f.origin) for f in footprint.lines}
    before, after = trace_lines(footprint), trace_lines(counted)
    compared = []
    for name, line in before.items():
        where = mapping.lines[name]
        gas, origin = gases.get(name, ("CO2e", "fossil"))
        value = 0.0
        if where.cbam != "excluded" and line.kind == "emission" and gas in COVERED_GASES:
            value = _reweighed(after[name], gas, origin, gwp)
        compared.append(
            LineComparison(
                name=name,
                stage=line.stage,
                kind=line.kind,
                gas=gas,
                footprint_kg=line.co2e_per_declared_unit,
                cbam_kg=value,
                cbam=where.cbam if value or where.cbam != "excluded" else "excluded",
                why=where.why or _default_why(where.cbam),
            )
        )
    return compared


def _reweighed(line: TraceLine, gas: str, origin: str, gwp: GwpSet) -> float:
    """The line in CO2e by the GWP set CBAM uses (its mass of gas per t is the same)."""
    if gas in ("CO2", "CO2e") or not line.gwp:
        return line.co2e_per_declared_unit
    return line.co2e_per_declared_unit / line.gwp * gwp.factor(gas, origin)


def _default_why(cbam: str) -> str:
    return {
        "direct": "Emitted within the installation's boundary: a direct emission (Annex III)",
        "indirect": "Electricity consumed: an indirect emission (Annex III)",
    }.get(cbam, "")


def _electricity(mapping: CbamMapping, counted: Result, indirect_kg: float) -> ElectricityFigure:
    flow = counted.declared_unit.reference_flow
    mwh = math.fsum(given(counted, n) or 0.0 for n in mapping.electricity_consumed) - math.fsum(
        given(counted, n) or 0.0 for n in mapping.electricity_less
    )
    per_t = mwh / flow if flow else 0.0
    return ElectricityFigure(
        consumed_mwh_per_t=per_t,
        factor_t_co2_per_mwh=indirect_kg / 1000 / per_t if per_t else None,
        factor_sources=_factor_sources(mapping, counted),
    )


def _factor_sources(mapping: CbamMapping, counted: Result) -> list[str]:
    """The dataset values the indirect lines read for electricity, narrowed to the grid the
    inventory names when it names one."""
    assert counted.trace is not None
    region = next((str(i.value) for i in counted.trace.inputs if i.name == "grid_region"), "")
    sources: dict[str, str] = {}
    for line in counted.trace.lines:
        if mapping.lines[line.name].cbam != "indirect":
            continue
        for value in line.values:
            if not value.unit.endswith(("/kWh", "/MWh")):
                continue
            if isinstance(value.value, dict):
                if region in value.value:
                    sources[f"{value.name}[{region}]"] = f"{value.value[region]} {value.unit}"
            elif not region or region in value.name or not value.name.startswith("electricity."):
                sources[value.name] = f"{value.value} {value.unit}: {value.source}"
    return [f"{name} = {text}" for name, text in sorted(sources.items())]


def _route(mapping: CbamMapping, inventory: Inventory) -> str:
    if mapping.route_fixed:
        return mapping.route_fixed
    chosen = str(inventory.values.get(mapping.route_input, ""))
    return mapping.route_names.get(chosen, chosen)


def _defaults(product: str) -> list[ComparisonDefault]:
    found: list[ComparisonDefault] = []
    for benchmarks in load_benchmarks().values():
        for b in benchmarks.for_product(product):
            if b.scheme != "cbam_default_value":
                continue
            found.extend(
                ComparisonDefault(
                    id=f"{b.id}.{level.level}",
                    scope=b.scope,
                    value_t_per_t=level.kg_co2e_per_t / 1000,
                    valid_from=b.valid_from.isoformat(),
                    valid_to=b.valid_to.isoformat() if b.valid_to else None,
                    source=b.source,
                    confirmed=b.confirmed,
                )
                for level in b.levels
            )
    return found


def _template(
    footprint: Result,
    route: str,
    mapping: CbamMapping,
    good: ComplexGood,
    electricity: ElectricityFigure,
    precursors: list[PrecursorFigure],
    carbon_price: dict[str, Any] | None,
) -> dict[str, Any]:
    """The fields of the Commission's communication template for installation operators, in
    its units (t CO2e per t of good, MWh per t). The good's specific direct and indirect
    embedded emissions are those of a complex good, its bought precursors added; the
    installation's own attributed emissions are beside them, and each precursor says what it
    added, so that specific = attributed + the sum of what the precursors added."""
    inventory = footprint.inventory
    return {
        "installation": {"operator": inventory.company, "site": inventory.site},
        "reporting_period": {"start": inventory.period_start, "end": inventory.period_end},
        "aggregated_goods_category": mapping.aggregated_goods,
        "cn_codes": list(mapping.cn_codes),
        "production_route": route,
        "determination": "actual data of the installation (the inventory), by the mapping "
        + mapping.path,
        "specific_direct_embedded_emissions_t_per_t": good.direct / 1000,
        "specific_indirect_embedded_emissions_t_per_t": good.indirect / 1000,
        "attributed_direct_emissions_t_per_t": good.attributed_direct / 1000,
        "attributed_indirect_emissions_t_per_t": good.attributed_indirect / 1000,
        "electricity_consumed_mwh_per_t": electricity.consumed_mwh_per_t,
        "electricity_emission_factor_t_per_mwh": electricity.factor_t_co2_per_mwh,
        "electricity_emission_factor_source": electricity.factor_sources,
        "precursors": [
            {
                "precursor": p.name,
                "cn_code": p.cn_code,
                "mass_t_per_t": p.mass_t_per_t,
                "made_in_the_installation": p.made_here,
                "specific_embedded_emissions_t_per_t": p.embedded_t_per_t_precursor,
                "specific_direct_embedded_emissions_t_per_t": p.direct_t_per_t_precursor,
                "specific_indirect_embedded_emissions_t_per_t": p.indirect_t_per_t_precursor,
                "communicated_by_the_supplier": p.from_supplier,
                "added_to_specific_direct_t_per_t": p.added_direct_kg_per_t_good / 1000,
                "added_to_specific_indirect_t_per_t": p.added_indirect_kg_per_t_good / 1000,
                "basis": p.basis,
            }
            for p in precursors
        ],
        "carbon_price_due": carbon_price,
    }
