"""The precursors of a CBAM good: bought ones, with the embedded emissions their supplier
communicated or, failing those, the cradle-to-gate footprint the PCR takes for them; and those
made in the same installation, reported apart from the lines that make them.

A complex good's specific embedded emissions are SEE_g = (AttrEm_g + EE_InpMat) / AL_g with
EE_InpMat = sum of M_i x SEE_i over its precursors, direct and indirect apart (Regulation (EU)
2023/956 Annex IV point 3). Each figure here says what its precursor adds, per t of good, to the
good's direct and to its indirect figure. A bought precursor adds its mass times the specific
embedded emissions its producer communicated. A footprint input (`ammonia_pcf`, the steel PCR's
pig-iron factor) is no such figure: it holds the supplier's supply chains and transport and
cannot be split, so it is used only when the inventory leaves the supplier's figures out, the
report then says so (W763), and it is added whole to the direct figure. A precursor made in the
same installation adds nothing: only precursors not covered by the good's own production process
are added, and its lines are already in the good's attributed emissions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from zuji.core.errors import Diagnostic, Severity
from zuji.exchange.cbam_mapping import CbamMapping, LineMapping
from zuji.runtime.result import Finding, Result, TraceLine


class CbamModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LineComparison(CbamModel):
    name: str
    stage: str
    kind: str = Field(description="emission, credit, removal or memo, as in the footprint")
    gas: str
    footprint_kg: float = Field(description="kg CO2e per t in the ISO 14067 footprint")
    cbam_kg: float = Field(description="kg CO2e per t counted by CBAM (0 when left out)")
    cbam: str = Field(description="direct, indirect, precursor or excluded")
    why: str


class PrecursorFigure(CbamModel):
    name: str
    cn_code: str
    made_here: bool = Field(
        default=False,
        description="Made in the same installation: already in the direct and indirect figures",
    )
    from_supplier: bool = Field(
        default=False,
        description="Bought, at the CBAM specific embedded emissions its supplier communicated "
        "(otherwise, if bought, at the cradle-to-gate footprint the PCR takes for it)",
    )
    mass_t_per_t: float = Field(description="t of precursor per t of good")
    embedded_t_per_t_precursor: float | None
    direct_t_per_t_precursor: float | None = None
    indirect_t_per_t_precursor: float | None = None
    embedded_kg_per_t_good: float
    added_direct_kg_per_t_good: float = Field(
        default=0.0,
        description="What the precursor adds to the good's specific direct embedded emissions: "
        "mass x its specific direct embedded emissions; its whole footprint when no split is "
        "given; nothing when made in the installation",
    )
    added_indirect_kg_per_t_good: float = Field(
        default=0.0,
        description="What the precursor adds to the good's specific indirect embedded emissions: "
        "mass x its specific indirect embedded emissions; nothing when no split is given or when "
        "made in the installation",
    )
    basis: str


@dataclass(frozen=True, slots=True)
class ComplexGood:
    """The good's specific embedded emissions in kg CO2e per t, as those of a complex good:
    SEE_g = (AttrEm_g + sum of M_i x SEE_i) / AL_g, direct and indirect apart."""

    attributed_direct: float
    attributed_indirect: float
    added_direct: float
    added_indirect: float

    @classmethod
    def of(cls, lines: list[LineComparison], precursors: list[PrecursorFigure]) -> ComplexGood:
        """From the mapped lines and every precursor's figure (one made in the installation
        adds nothing: its lines are already among the direct and indirect ones)."""
        return cls(
            attributed_direct=math.fsum(c.cbam_kg for c in lines if c.cbam == "direct"),
            attributed_indirect=math.fsum(c.cbam_kg for c in lines if c.cbam == "indirect"),
            added_direct=math.fsum(p.added_direct_kg_per_t_good for p in precursors),
            added_indirect=math.fsum(p.added_indirect_kg_per_t_good for p in precursors),
        )

    @property
    def direct(self) -> float:
        return self.attributed_direct + self.added_direct

    @property
    def indirect(self) -> float:
        return self.attributed_indirect + self.added_indirect

    def definitive(self, indirect_counted: bool) -> float:
        """What the definitive period counts: the indirect figure only for goods not listed in
        Annex II of Regulation (EU) 2023/956 (cement, fertilisers)."""
        return self.direct + (self.indirect if indirect_counted else 0.0)


def trace_lines(result: Result) -> dict[str, TraceLine]:
    assert result.trace is not None  # evaluated with trace=True
    return {line.name: line for line in result.trace.lines}


def given(result: Result, name: str) -> float | None:
    """An input's value, None when the inventory leaves it out; `list.field` sums that field
    over the items of a list input. A name no input has is read as a derived value (`let`) of
    the PCR, which the mapping may name for a precursor's mass (the steel PCR's bought pig iron
    is summed from a list and shared with other products)."""
    assert result.trace is not None
    name, _, item_field = name.partition(".")
    for value in result.trace.inputs:
        if value.name != name:
            continue
        if item_field and isinstance(value.value, list):
            return math.fsum(float(item.get(item_field, 0.0)) for item in value.value)
        if isinstance(value.value, (int, float)):
            return float(value.value)
        return None
    derived = next((v.value for v in result.trace.values if v.name == name), None)
    return float(derived) if not item_field and isinstance(derived, (int, float)) else None


def bought_precursors(
    mapping: CbamMapping, counted: Result, lines: list[LineComparison]
) -> tuple[list[LineComparison], list[PrecursorFigure], list[Finding]]:
    """The lines with each bought precursor's CBAM figure in place, the precursors, and a W763
    for each one still at its footprint."""
    flow = counted.declared_unit.reference_flow
    traced = trace_lines(counted)
    out, found, warnings = [], [], []
    for line in lines:
        where = mapping.lines[line.name]
        if where.cbam != "precursor":
            out.append(line)
            continue
        # The good's share of the precursor follows the line's allocation to co-products.
        share = traced[line.name].allocation_share
        mass = (given(counted, where.mass_input) or 0.0) * share / flow if flow else 0.0
        direct = given(counted, where.supplier_direct)
        indirect = given(counted, where.supplier_indirect)
        if direct is None or indirect is None:
            if mass:  # a precursor not bought in the period needs no figures
                warnings.append(_at_footprint(mapping, line.name, where))
            found.append(_footprint_figure(where, line, mass))
            out.append(line)
            continue
        figure = _supplier_figure(where, mass, direct, indirect)
        found.append(figure)
        out.append(line.model_copy(update={"cbam_kg": figure.embedded_kg_per_t_good}))
    return out, found, warnings


def _footprint_figure(where: LineMapping, line: LineComparison, mass: float) -> PrecursorFigure:
    return PrecursorFigure(
        name=where.precursor,
        cn_code=where.precursor_cn,
        mass_t_per_t=mass,
        embedded_t_per_t_precursor=line.cbam_kg / 1000 / mass if mass else None,
        embedded_kg_per_t_good=line.cbam_kg,
        # A footprint cannot be split: it is added whole to the direct figure, so that a good
        # counted on direct emissions only still counts it (the larger, never the smaller).
        added_direct_kg_per_t_good=line.cbam_kg,
        basis="The PCR's cradle-to-gate footprint of the precursor (line "
        f"{line.name}), added whole to the direct figure: the supplier's CBAM figures "
        f"({where.supplier_direct}, {where.supplier_indirect}) are not given",
    )


def _supplier_figure(
    where: LineMapping, mass: float, direct: float, indirect: float
) -> PrecursorFigure:
    return PrecursorFigure(
        name=where.precursor,
        cn_code=where.precursor_cn,
        from_supplier=True,
        mass_t_per_t=mass,
        embedded_t_per_t_precursor=direct + indirect,
        direct_t_per_t_precursor=direct,
        indirect_t_per_t_precursor=indirect,
        embedded_kg_per_t_good=mass * (direct + indirect) * 1000,
        added_direct_kg_per_t_good=mass * direct * 1000,
        added_indirect_kg_per_t_good=mass * indirect * 1000,
        basis="The CBAM specific embedded emissions the supplier communicated "
        f"({where.supplier_direct}, {where.supplier_indirect})",
    )


def _at_footprint(mapping: CbamMapping, line: str, where: LineMapping) -> Finding:
    diagnostic = Diagnostic(
        "W763",
        f"{mapping.path}: precursor '{where.precursor}' (line {line}) enters at the "
        "cradle-to-gate footprint the PCR takes for it, not at CBAM specific embedded "
        "emissions: ask the supplier for its CBAM specific direct and indirect embedded "
        f"emissions (t CO2e per t) and give them as '{where.supplier_direct}' and "
        f"'{where.supplier_indirect}'",
        severity=Severity.WARNING,
    )
    return Finding(
        code=diagnostic.code, level="warning", message=diagnostic.message, where=mapping.path
    )


def own_precursors(
    mapping: CbamMapping, counted: Result, lines: list[LineComparison]
) -> list[PrecursorFigure]:
    """Precursors made in the installation: their specific embedded emissions, from the lines
    that make them, per t of precursor (their figures are already in the good's own)."""
    flow = counted.declared_unit.reference_flow
    by_name = {line.name: line for line in lines}
    found = []
    for own in mapping.own_precursors:
        mass = (given(counted, own.mass_input) or 0.0) / flow if flow else 0.0
        parts = [by_name[name] for name in own.lines]
        direct = math.fsum(p.cbam_kg for p in parts if p.cbam == "direct")
        indirect = math.fsum(p.cbam_kg for p in parts if p.cbam == "indirect")
        found.append(
            PrecursorFigure(
                name=own.precursor,
                cn_code=own.precursor_cn,
                made_here=True,
                mass_t_per_t=mass,
                embedded_t_per_t_precursor=(direct + indirect) / 1000 / mass if mass else None,
                direct_t_per_t_precursor=direct / 1000 / mass if mass else None,
                indirect_t_per_t_precursor=indirect / 1000 / mass if mass else None,
                embedded_kg_per_t_good=direct + indirect,
                basis="Made in the same installation, from the lines "
                + ", ".join(own.lines)
                + ": already in the good's attributed emissions, nothing added",
            )
        )
    return found
