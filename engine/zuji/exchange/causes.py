"""The first causes among a result's differences, named before their consequences.

A changed input shows up in dozens of figures; a rule, dataset or engine other than the pinned
one can move every figure. Among the differences between a result file and its recomputation
these are found and told in words ("input soda_ash changed: 1200 -> 1300"), and the fields they
account for are taken out, so that what is left is told as their consequences.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from zuji.exchange.compare import Difference, close
from zuji.runtime.result import Result

_DATASET = re.compile(r"^(provenance\.)?datasets\[(\d+)\]\.(version|sha256|id|file)$")
_MODULE = re.compile(r"^provenance\.modules\[(\d+)\]\.(sha256|id|file|version)$")


def provenance_causes(
    recorded: Result, again: Result, differences: list[Difference]
) -> tuple[list[str], set[str]]:
    """Causes in what the result pins (inventory, PCR, modules, datasets, GWP set, engine) and
    the paths of the differences they account for."""
    causes: list[str] = []
    explained: set[str] = set()
    for difference in differences:
        message = _provenance_cause(recorded, again, difference)
        if message is None:
            continue
        explained.add(difference.path)
        if message not in causes:
            causes.append(message)
    return causes, explained


def _provenance_cause(recorded: Result, again: Result, difference: Difference) -> str | None:
    path = difference.path
    for prefix, describe in _CAUSES:
        if path == prefix or path.startswith(prefix + "."):
            return describe(recorded, again, difference)
    if match := _DATASET.match(path):
        return _dataset_cause(recorded, int(match[2]), match[3], difference)
    if match := _MODULE.match(path):
        return _module_cause(recorded, int(match[1]), difference)
    return None


def _engine(recorded: Result, again: Result, difference: Difference) -> str:
    return (
        f"the engine differs: the result was computed by {recorded.engine}, this is "
        f"{again.engine}; the differences below may come from it"
    )


def _pcr(recorded: Result, again: Result, difference: Difference) -> str:
    loaded = again.provenance.pcr.file if again.provenance else again.pcr.id
    return (
        f"the PCR differs: the result pins {recorded.pcr.id} {recorded.pcr.version} with sha256 "
        f"{_short(difference.recorded)}, the rule replayed ({loaded}, version "
        f"{again.pcr.version}) has {_short(difference.recomputed)}; give the rule the result "
        "was computed with: --pcr FILE"
    )


def _inventory(recorded: Result, again: Result, difference: Difference) -> str:
    return (
        f"the inventory differs: the result pins sha256 {_short(difference.recorded)}, "
        f"the inventory given has {_short(difference.recomputed)}"
    )


def _gwp(recorded: Result, again: Result, difference: Difference) -> str:
    return (
        f"the GWP set {recorded.pcr.gwp} differs: the result pins "
        f"{_short(difference.recorded)}, the library holds {_short(difference.recomputed)}"
    )


_CAUSES: tuple[tuple[str, Callable[[Result, Result, Difference], str]], ...] = (
    ("engine", _engine),
    ("provenance.engine_version", _engine),
    ("pcr.source_hash", _pcr),
    ("provenance.pcr.sha256", _pcr),
    ("provenance.inventory", _inventory),
    ("provenance.gwp", _gwp),
)


def _dataset_cause(recorded: Result, index: int, what: str, difference: Difference) -> str:
    listed = recorded.datasets if difference.path.startswith("datasets") else None
    pinned = recorded.provenance.datasets if recorded.provenance else []
    items = listed if listed is not None else pinned
    name = items[index].id if index < len(items) else f"#{index}"
    return (
        f"dataset {name}: the result pins {what} {_short(difference.recorded)}, "
        f"the library holds {_short(difference.recomputed)}"
    )


def _module_cause(recorded: Result, index: int, difference: Difference) -> str:
    pinned = recorded.provenance.modules if recorded.provenance else []
    name = pinned[index].id if index < len(pinned) else f"#{index}"
    return (
        f"module {name} differs: the result pins {_short(difference.recorded)}, "
        f"the library holds {_short(difference.recomputed)}"
    )


def _short(value: Any) -> str:
    text = str(value)
    return text[:16] + "..." if len(text) == 64 else repr(value)


def input_causes(
    document: dict[str, Any], differences: list[Difference]
) -> tuple[list[str], set[str]]:
    """Inputs whose recorded value (or origin, source, written form) is not the one the file's
    figures were computed with: every line of the file's trace that reads the input shows one
    value, and the recorded input another. Returns the causes and the paths they account for."""
    inputs = _recorded_inputs(document)
    used = _uses(document, set(inputs))
    causes: list[str] = []
    explained: set[str] = set()
    for name, item in inputs.items():
        values = [value for _, value in used.get(name, [])]
        if values and _all_same(values) and not _same(values[0], item.get("value")):
            unit = f" {item.get('unit')}" if item.get("unit") else ""
            causes.append(
                f"input {name} changed: the figures were computed with {values[0]!r}{unit}, "
                f"the trace's inputs record {item.get('value')!r}{unit}"
            )
            explained |= {path for path, _ in used[name]}
        causes += _quality_causes(document, name, item)
    return causes, explained & {d.path for d in differences}


_TRACE_INPUT = re.compile(r"^trace\.inputs\[(\d+)\]\.value$")


def given_input_causes(
    document: dict[str, Any], differences: list[Difference]
) -> tuple[list[str], set[str]]:
    """Inputs whose value in the inventory given differs from the one the result records (when
    the result is recomputed from an inventory file rather than from its own trace)."""
    inputs = (document.get("trace") or {}).get("inputs") or []
    causes, explained = [], set()
    for difference in differences:
        match = _TRACE_INPUT.match(difference.path)
        if match and int(match[1]) < len(inputs):
            item = inputs[int(match[1])]
            unit = f" {item.get('unit')}" if item.get("unit") else ""
            causes.append(
                f"input {item.get('name')} changed: the result records "
                f"{difference.recorded!r}{unit}, "
                f"the inventory gives {difference.recomputed!r}{unit}"
            )
            explained.add(difference.path)
    return causes, explained


def _quality_causes(document: dict[str, Any], name: str, item: dict[str, Any]) -> list[str]:
    """What data_quality.inputs records of an input, against what its trace entry records."""
    quality = document.get("data_quality", {}).get("inputs", {})
    entry = quality.get(name) if isinstance(quality, dict) else None
    if not isinstance(entry, dict):
        return []
    return [
        f"input {name} changed: its {key} is {entry.get(key)!r} in data_quality.inputs, "
        f"{item.get(key)!r} in the trace's inputs"
        for key in ("origin", "source", "written")
        if key in entry and entry.get(key) != item.get(key)
    ]


def _recorded_inputs(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    trace = document.get("trace") or {}
    return {
        i["name"]: i
        for i in trace.get("inputs") or []
        if isinstance(i, dict) and isinstance(i.get("name"), str)
    }


def _uses(document: dict[str, Any], names: set[str]) -> dict[str, list[tuple[str, Any]]]:
    """Where the file's trace substitutes each input into a value or line: (path, value)."""
    trace = document.get("trace") or {}
    used: dict[str, list[tuple[str, Any]]] = {}
    for part in ("values", "lines"):
        for i, line in enumerate(trace.get(part) or []):
            for j, value in enumerate(line.get("values") or []):
                if value.get("name") in names:
                    path = f"trace.{part}[{i}].values[{j}].value"
                    used.setdefault(value["name"], []).append((path, value.get("value")))
    return used


def _same(a: Any, b: Any) -> bool:
    numbers = (int, float)
    if isinstance(a, numbers) and isinstance(b, numbers):
        if isinstance(a, bool) or isinstance(b, bool):
            return a is b
        return close(float(a), float(b))
    return bool(a == b)


def _all_same(values: list[Any]) -> bool:
    return all(_same(values[0], v) for v in values[1:])


__all__ = ["given_input_causes", "input_causes", "provenance_causes"]
