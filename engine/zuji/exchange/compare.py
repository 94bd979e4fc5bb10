"""Two results compared field by field: numbers within a tolerance, everything else exactly.

Every leaf of the JSON is compared, text included (the PCR's status, the GWP set, the declared
unit, the company...), as are the keys of every object and the length of every list. Fields that
say where something was read on this machine (a `file`, the labels inside `where` and `source`
texts) are compared after putting the recorded labels in place of this run's, since the same
files may lie elsewhere for a verifier; the hashes beside them pin their content.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

REL_TOLERANCE = 1e-9  # replay runs the same float operations; only the JSON round trip differs
ABS_TOLERANCE = 1e-12

# Parts of a result that replay does not recompute: the signature is over the rest and checked
# on its own; sensitivities are an analysis added on request, not figures of the footprint.
NOT_COMPARED = frozenset({"signature", "sensitivity"})
HEADLINE = ("total", "total_including_removals", "removals", "credits")


@dataclass(frozen=True)
class Difference:
    """One field that differs: its JSON path, and the values in the file and recomputed."""

    path: str
    recorded: Any
    recomputed: Any
    note: str = ""

    @property
    def section(self) -> str:
        """The top-level part of the result the field lies in (total, by_stage, trace ...)."""
        head = self.path.split(".", 1)[0]
        return head.split("[", 1)[0]

    def describe(self) -> str:
        if self.note:
            return f"{self.path}: {self.note}"
        return f"{self.path}: file {_show(self.recorded)}, recomputed {_show(self.recomputed)}"


@dataclass
class Comparison:
    differences: list[Difference]
    compared: int = 0


def compare(recorded: Any, recomputed: Any) -> Comparison:
    """Every field of the recorded result (a JSON document) against the recomputed one."""
    out = Comparison([])
    _compare(recorded, recomputed, "", out)
    return out


def relabel(document: Any, labels: Mapping[str, str]) -> Any:
    """The document with each file label of this run (a key of `labels`) replaced, wherever a
    text starts with it, by the label the recorded result used for the same file."""
    labels = {mine: theirs for mine, theirs in labels.items() if mine != theirs}
    return _relabel(document, labels) if labels else document


def _relabel(document: Any, labels: Mapping[str, str]) -> Any:
    if isinstance(document, dict):
        return {k: _relabel(v, labels) for k, v in document.items()}
    if isinstance(document, list):
        return [_relabel(v, labels) for v in document]
    if isinstance(document, str):
        for mine, theirs in labels.items():
            if document.startswith(mine):
                return theirs + document[len(mine) :]
    return document


def _compare(left: Any, right: Any, path: str, out: Comparison) -> None:
    out.compared += 1
    if _is_number(left) and _is_number(right):
        if not close(float(left), float(right)):
            out.differences.append(Difference(path, left, right))
        return
    if isinstance(left, dict) and isinstance(right, dict):
        _compare_mappings(left, right, path, out)
        return
    if isinstance(left, list) and isinstance(right, list):
        _compare_lists(left, right, path, out)
        return
    if type(left) is not type(right) or left != right:
        out.differences.append(Difference(path, left, right))


def _compare_mappings(
    left: dict[str, Any], right: dict[str, Any], path: str, out: Comparison
) -> None:
    for key in sorted(set(left) | set(right)):
        if not path and key in NOT_COMPARED:
            continue
        where = f"{path}.{key}" if path else key
        if key not in right:
            out.differences.append(
                Difference(where, left[key], None, "in the file, not in the recomputed result")
            )
        elif key not in left:
            out.differences.append(Difference(where, None, right[key], "missing from the file"))
        else:
            _compare(left[key], right[key], where, out)


def _compare_lists(left: list[Any], right: list[Any], path: str, out: Comparison) -> None:
    """Item by item, as far as the shorter goes; differing lengths are a difference too."""
    if len(left) != len(right):
        out.differences.append(
            Difference(
                path,
                len(left),
                len(right),
                f"{len(left)} items in the file, {len(right)} recomputed",
            )
        )
    for i, (a, b) in enumerate(zip(left, right, strict=False)):
        _compare(a, b, f"{path}[{i}]", out)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def close(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= max(ABS_TOLERANCE, REL_TOLERANCE * max(abs(a), abs(b)))


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def summary(differences: list[Difference], examples: int = 3) -> list[str]:
    """Differences grouped by the part of the result they lie in, a few named in each: how the
    consequences of one cause are told, rather than one line per figure."""
    sections: dict[str, list[Difference]] = {}
    for difference in differences:
        sections.setdefault(difference.section, []).append(difference)
    lines = []
    # The headline figures first, the trace (the detail behind them) last.
    order = sorted(sections, key=lambda name: (name not in HEADLINE, name == "trace"))
    for name in order:
        group = sections[name]
        if len(group) == 1:
            lines.append(group[0].describe())
            continue
        shown = ", ".join(d.path for d in group[:examples])
        more = f", and {len(group) - examples} more" if len(group) > examples else ""
        lines.append(f"{name} ({len(group)} fields): {shown}{more}")
    return lines


__all__ = ["Comparison", "Difference", "close", "compare", "relabel", "summary"]
