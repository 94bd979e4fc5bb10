"""What a semantic diff reports: one `Change` per difference, gathered in a `RuleDiff`.

The comparisons that produce the changes live beside this module, one per part of a rule file
(diff_header, diff_inputs, diff_factors, diff_formulas, diff_allocation); `diff.diff` runs them.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

GROUPS = (
    "header",
    "boundary",
    "inputs",
    "factors",
    "formulas",
    "allocation",
    "assertions",
    "changelog",
)
# Header fields that cannot move a result: the record of the rule, not its content.
_BOOKKEEPING = {"version", "status", "changelog"}


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class MathDiff(_Model):
    """A formula before and after, as algebra (sympy text and LaTeX), and new minus old."""

    old: str | None = None
    new: str | None = None
    old_latex: str | None = None
    new_latex: str | None = None
    difference: str | None = None


class ValuePoint(_Model):
    """One dated value of a dataset entry, with its source."""

    member: str = ""
    valid_from: str | None = None
    value: float
    unit: str
    source: str
    confirmed: bool = True


class Change(_Model):
    """One difference between the versions (or, for formulas, one verdict on an item)."""

    group: str
    kind: str  # added, removed, changed, equivalent, wording, unchanged
    item: str  # line, let, formula, input, factor, stage, exclusion, ... or the header field
    name: str
    substantive: bool
    summary: str
    old: str | None = None
    new: str | None = None
    where: str | None = None
    math: MathDiff | None = None
    old_values: list[ValuePoint] = []
    new_values: list[ValuePoint] = []
    reads: list[str] = []  # changed names that an unchanged formula reads


class RuleDiff(_Model):
    id: str
    kind: str  # pcr / module
    old_label: str
    new_label: str
    old_version: str
    new_version: str
    old_status: str
    new_status: str
    changes: list[Change]
    notes: list[str] = []

    def group(self, name: str) -> list[Change]:
        return [c for c in self.changes if c.group == name]

    @property
    def substantive(self) -> list[Change]:
        return [c for c in self.changes if c.substantive]

    @property
    def cosmetic(self) -> list[Change]:
        return [
            c
            for c in self.changes
            if not c.substantive
            and c.kind != "unchanged"
            and c.name not in _BOOKKEEPING
            and c.group != "changelog"
        ]

    @property
    def changed(self) -> list[Change]:
        return [c for c in self.changes if c.kind != "unchanged"]
