"""The bundled cement PCR's arithmetic written by hand: the practical limit the engine is measured
against, once as a plain Python function of one inventory and once with numpy on many.

Both follow pcr/cement/cement.pcr and the modules it uses (common/electricity, combustion,
transport, calcination) line by line; the unit conversions are written out where they happen.
The factor values are those of the bundled datasets (standards/factors/, each entry with its
source), read once by `cement_factors`; the GWP values are IPCC AR6 (standards/gwp/AR6). Running
this file checks both functions against the engine on every worked case of the cement PCR.

    python benchmarks/baseline_cement.py
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

import zuji
from zuji.core import library

# IPCC AR6 GWP100 (standards/gwp/AR6.yaml): fossil CH4 29.8, N2O 273.
GWP_CH4_FOSSIL = 29.8
GWP_N2O = 273.0
CO2_PER_C = 44.0 / 12.0  # molar masses, as combustion.co2_of_carbon
FUELS = ("raw_coal", "coke", "crude_oil", "fuel_oil", "gasoline", "kerosene", "diesel", "lpg")
FUELS += ("refinery_dry_gas",)
MODES = ("road_truck_30t", "road_truck_18t", "road_truck_10t", "rail", "waterway", "sea")
OTHER_FUELS = ("petroleum_coke", "waste_oil", "waste_tyres", "plastics_waste")
OTHER_FUELS += ("mixed_industrial_waste", "wood_biomass", "dried_sewage_sludge")
REGIONS = ("national", "north", "northeast", "east", "central", "northwest", "south", "southwest")


@dataclass(frozen=True)
class CementFactors:
    """Factor values in the units the hand-written arithmetic uses (noted on each)."""

    supply_kg_per_t: dict[str, float]  # limestone, clay, sand, gypsum (kg CO2e per t)
    coal_supply_t_per_t: float  # t CO2e per t raw coal
    default_calcination_t_per_t: float  # t CO2 per t clinker (CSI default, given in kg/t)
    cao_t_per_t: float
    mgo_t_per_t: float
    ncv_gj_per_t: dict[str, float]
    carbon_t_per_tj: dict[str, float]
    oxidation_percent: dict[str, float]
    ch4_kg_per_tj: float
    n2o_kg_per_tj: float
    transport_kg_per_tkm: dict[str, float]
    grid_t_per_mwh: dict[str, float]  # kg CO2/kWh is t CO2/MWh
    other_co2_kg_per_gj: dict[str, float]  # petroleum coke, alternative and biomass kiln fuels
    other_biomass_percent: dict[str, float]  # biomass share of their carbon


def cement_factors(on: date) -> CementFactors:
    """The dataset values in force on `on` (the engine's dataset reader, no engine arithmetic)."""
    standards = zuji.load("cement").standards

    def value(reference: str, member: bool = False) -> float:
        entry = standards.entry(reference)
        assert entry is not None, reference
        figure = entry.in_force(on)
        # A family member without a value in force on that date is an error for an inventory
        # that picks it (E610), as in the engine: NaN here.
        assert figure is not None or member, reference
        return float(figure.value) if figure is not None else math.nan

    def family(prefix: str, members: tuple[str, ...]) -> dict[str, float]:
        return {k: value(f"{prefix}.{k}", member=True) for k in members}

    grid = {"national": value("cn_grid.national")}
    grid.update(family("cn_grid.regional", REGIONS[1:]))
    modes = {
        "road_truck_30t": "transport.road.diesel_truck_30t",
        "road_truck_18t": "transport.road.diesel_truck_18t",
        "road_truck_10t": "transport.road.diesel_truck_10t",
        "rail": "transport.rail.china_average",
        "waterway": "transport.waterway.dry_bulk_2500t",
        "sea": "transport.sea.bulk_carrier_35k_60k_dwt_ttw",
    }
    return CementFactors(
        supply_kg_per_t={
            "limestone": value("materials.mineral.crushed_stone"),
            "clay": value("materials.mineral.clay"),
            "sand": value("materials.mineral.sand"),
            "gypsum": value("materials.mineral.natural_gypsum"),
        },
        coal_supply_t_per_t=value("materials.fuel_supply.raw_coal"),
        default_calcination_t_per_t=value("cement_process.calcination.clinker_default_csi") / 1e3,
        cao_t_per_t=value("cement_process.calcination.cao"),
        mgo_t_per_t=value("cement_process.calcination.mgo"),
        ncv_gj_per_t=family("cn_fuels.ncv", FUELS),
        carbon_t_per_tj=family("cn_fuels.carbon_content", FUELS),
        oxidation_percent=family("cn_fuels.oxidation", FUELS),
        ch4_kg_per_tj=value("ipcc2006_fuels.ch4_per_energy_manufacturing.other_bituminous_coal"),
        n2o_kg_per_tj=value("ipcc2006_fuels.n2o_per_energy_manufacturing.other_bituminous_coal"),
        transport_kg_per_tkm={k: value(v) for k, v in modes.items()},
        grid_t_per_mwh=grid,
        other_co2_kg_per_gj=family("cement_process.kiln_fuel_co2", OTHER_FUELS),
        other_biomass_percent=family("cement_process.kiln_fuel_biomass_share", OTHER_FUELS),
    )


def footprint(x: dict[str, Any], f: CementFactors) -> float:
    """kg CO2e per t of cement for one inventory (inputs in the PCR's units, lists as dicts)."""
    share = x["clinker_used"] / x["clinker_produced"]
    if x.get("cao") is not None and x.get("mgo") is not None:
        calcination_factor = x["cao"] / 100 * f.cao_t_per_t + x["mgo"] / 100 * f.mgo_t_per_t
    else:
        calcination_factor = f.default_calcination_t_per_t
    heat_gj = coal_t = fuel_co2_t = 0.0
    for item in x["kiln_fuels"]:
        energy = item["amount"] * f.ncv_gj_per_t[item["fuel"]]
        heat_gj += energy
        coal_t += item["amount"] if item["fuel"] == "raw_coal" else 0.0
        carbon_t = energy / 1e3 * f.carbon_t_per_tj[item["fuel"]]
        fuel_co2_t += carbon_t * f.oxidation_percent[item["fuel"]] / 100 * CO2_PER_C
    # Petroleum coke, alternative and biomass fuels by heat: fossil and biogenic CO2 both count
    # (the biogenic uptake is a removal, reported apart, not netted).
    other_heat_gj = other_co2_kg = 0.0
    for item in x.get("kiln_other_fuels") or ():
        other_heat_gj += item["heat"]
        other_co2_kg += item["heat"] * f.other_co2_kg_per_gj[item["fuel"]]
    heat_gj += other_heat_gj
    supply = f.supply_kg_per_t
    kg = share * (
        x["limestone"] * supply["limestone"]
        + x["clay"] * supply["clay"]
        + x["sand"] * supply["sand"]
    )
    kg += x["gypsum"] * supply["gypsum"]
    kg += share * coal_t * f.coal_supply_t_per_t * 1e3
    kg += share * other_co2_kg
    # GCCA/CSI: bypass dust at the clinker factor; kiln dust by the protocol's formula
    # (EF/(1+EF) x d) / (1 - EF/(1+EF) x d); the raw meal's organic carbon x 44/12.
    if x.get("bypass_dust") is not None:
        kg += share * x["bypass_dust"] * calcination_factor * 1e3
    if x.get("ckd") is not None and x.get("ckd_calcination") is not None:
        lost = calcination_factor / (1 + calcination_factor) * x["ckd_calcination"] / 100
        kg += share * x["ckd"] * lost / (1 - lost) * 1e3
    if x.get("raw_meal_toc") is not None:
        raw_meal = x["limestone"] + x["clay"] + x["sand"]
        kg += share * raw_meal * x["raw_meal_toc"] / 100 * CO2_PER_C * 1e3
    if x.get("bought_clinker_footprint") is not None:
        kg += x["bought_clinker"] * x["bought_clinker_footprint"] * 1e3
    for d in x["deliveries"]:
        kg += d["mass"] * d["distance"] * f.transport_kg_per_tkm[d["mode"]]
    kg += x["clinker_used"] * calcination_factor * 1e3
    kg += share * fuel_co2_t * 1e3
    kg += share * heat_gj / 1e3 * f.ch4_kg_per_tj * GWP_CH4_FOSSIL
    kg += share * heat_gj / 1e3 * f.n2o_kg_per_tj * GWP_N2O
    grid = f.grid_t_per_mwh[x["grid_region"]]
    kg += share * max(x["kiln_electricity"] - x["whr_electricity"], 0.0) * grid * 1e3
    kg += x["grinding_electricity"] * grid * 1e3
    return kg / x["cement"]


def footprint_numpy(c: dict[str, Any], f: CementFactors) -> Any:
    """kg CO2e per t of cement for n inventories: columns of length n; the lists as (n, k)
    matrices padded with zero amounts (`fuel` and `mode` as codes into FUELS and MODES, `grid`
    as codes into REGIONS, `cao`/`mgo` NaN where not measured)."""
    share = c["clinker_used"] / c["clinker_produced"]
    measured = ~(np.isnan(c["cao"]) | np.isnan(c["mgo"]))
    oxide = c["cao"] / 100 * f.cao_t_per_t + c["mgo"] / 100 * f.mgo_t_per_t
    calcination_factor = np.where(measured, oxide, f.default_calcination_t_per_t)
    ncv = np.array([f.ncv_gj_per_t[k] for k in FUELS])[c["fuel"]]
    carbon = np.array([f.carbon_t_per_tj[k] for k in FUELS])[c["fuel"]]
    oxidation = np.array([f.oxidation_percent[k] for k in FUELS])[c["fuel"]]
    energy = c["fuel_amount"] * ncv
    heat_gj = energy.sum(axis=1)
    coal_t = np.where(c["fuel"] == 0, c["fuel_amount"], 0.0).sum(axis=1)
    fuel_co2_t = (energy / 1e3 * carbon * oxidation / 100 * CO2_PER_C).sum(axis=1)
    n = len(share)
    # The kiln-system sources a plant may leave out: computed on zeros when the columns are not
    # given, so the arithmetic costs what the PCR's does.
    other_heat = c.get("other_heat", np.zeros((n, 1)))
    other_co2 = np.array([f.other_co2_kg_per_gj[k] for k in OTHER_FUELS])[
        c.get("other_fuel", np.zeros((n, 1), dtype=np.intp))
    ]
    heat_gj = heat_gj + other_heat.sum(axis=1)
    supply = f.supply_kg_per_t
    kg = share * (
        c["limestone"] * supply["limestone"]
        + c["clay"] * supply["clay"]
        + c["sand"] * supply["sand"]
    )
    kg += c["gypsum"] * supply["gypsum"]
    kg += share * coal_t * f.coal_supply_t_per_t * 1e3
    kg += share * (other_heat * other_co2).sum(axis=1)
    nothing = np.full(n, np.nan)
    bypass = c.get("bypass_dust", nothing)
    kg += np.where(np.isnan(bypass), 0.0, share * bypass * calcination_factor * 1e3)
    lost = calcination_factor / (1 + calcination_factor) * c.get("ckd_calcination", nothing) / 100
    ckd = share * c.get("ckd", nothing) * lost / (1 - lost) * 1e3
    kg += np.where(np.isnan(ckd), 0.0, ckd)
    raw_meal = c["limestone"] + c["clay"] + c["sand"]
    toc = share * raw_meal * c.get("raw_meal_toc", nothing) / 100 * CO2_PER_C * 1e3
    kg += np.where(np.isnan(toc), 0.0, toc)
    bought = c["bought_clinker"] * c["bought_clinker_footprint"] * 1e3
    kg += np.where(np.isnan(c["bought_clinker_footprint"]), 0.0, bought)
    tkm = np.array([f.transport_kg_per_tkm[k] for k in MODES])[c["mode"]]
    kg += (c["mass"] * c["distance"] * tkm).sum(axis=1)
    kg += c["clinker_used"] * calcination_factor * 1e3
    kg += share * fuel_co2_t * 1e3
    kg += share * heat_gj / 1e3 * (f.ch4_kg_per_tj * GWP_CH4_FOSSIL + f.n2o_kg_per_tj * GWP_N2O)
    grid = np.array([f.grid_t_per_mwh[k] for k in REGIONS])[c["grid"]]
    net = np.maximum(c["kiln_electricity"] - c["whr_electricity"], 0.0)
    kg += share * net * grid * 1e3
    kg += c["grinding_electricity"] * grid * 1e3
    return kg / c["cement"]


def as_columns(inventories: list[dict[str, Any]]) -> dict[str, Any]:
    """Inventories (values in the PCR's units) as footprint_numpy's columns."""
    fuels = max(len(x["kiln_fuels"]) for x in inventories)
    trips = max(len(x["deliveries"]) for x in inventories)

    def pad(items: list[dict[str, Any]], key: str, width: int, code: tuple[str, ...] = ()) -> Any:
        row = [code.index(i[key]) if code else i[key] for i in items]
        return row + [0] * (width - len(row))

    def opt(x: dict[str, Any], key: str) -> float:
        return math.nan if x.get(key) is None else float(x[key])

    plain = ("cement", "clinker_produced", "clinker_used", "limestone", "clay", "sand", "gypsum")
    plain += ("bought_clinker", "kiln_electricity", "whr_electricity", "grinding_electricity")
    cols: dict[str, Any] = {k: np.array([float(x[k]) for x in inventories]) for k in plain}
    optional = ("cao", "mgo", "bought_clinker_footprint", "bypass_dust", "ckd")
    for key in (*optional, "ckd_calcination", "raw_meal_toc"):
        cols[key] = np.array([opt(x, key) for x in inventories])
    others = [x.get("kiln_other_fuels") or [] for x in inventories]
    width = max(1, *(len(o) for o in others))
    cols["other_fuel"] = np.array([pad(o, "fuel", width, OTHER_FUELS) for o in others])
    cols["other_heat"] = np.array([pad(o, "heat", width) for o in others], dtype=float)
    cols["grid"] = np.array([REGIONS.index(x["grid_region"]) for x in inventories])
    cols["fuel"] = np.array([pad(x["kiln_fuels"], "fuel", fuels, FUELS) for x in inventories])
    cols["fuel_amount"] = np.array(
        [pad(x["kiln_fuels"], "amount", fuels) for x in inventories], dtype=float
    )
    for key in ("mass", "distance"):
        cols[key] = np.array([pad(x["deliveries"], key, trips) for x in inventories], dtype=float)
    cols["mode"] = np.array([pad(x["deliveries"], "mode", trips, MODES) for x in inventories])
    return cols


def check_against_engine() -> list[tuple[str, float, float, float]]:
    """Each cement worked case: the engine's total, the scalar and the numpy baseline's."""
    from zuji.runtime.cases import case_files, load_case

    pcr = zuji.load("cement")
    out = []
    for path in case_files(pcr):
        case = load_case(path)
        inventory = pcr.inventory(case["inventory"], str(path), Path(path).parent)
        f = cement_factors(inventory.period_start or date.today())
        engine = pcr.evaluate(inventory).total
        scalar = footprint(inventory.values, f)
        vector = float(footprint_numpy(as_columns([inventory.values]), f)[0])
        for mine in (scalar, vector):
            assert math.isclose(mine, engine, rel_tol=1e-12), (path.name, engine, mine)
        out.append((path.stem, engine, scalar, vector))
    return out


if __name__ == "__main__":
    assert library.pcr_root().is_dir()
    for name, engine, scalar, vector in check_against_engine():
        print(f"{name:<22} engine {engine:.10f}  scalar {scalar:.10f}  numpy {vector:.10f}")
    print("both hand-written versions agree with the engine to 1e-12 on every cement case")
