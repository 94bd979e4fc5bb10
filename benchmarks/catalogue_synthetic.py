"""Synthetic inventories for the catalogue's scale benchmark, derived from the worked cases.

Each PCR's worked cases (pcr/<id>/cases/*.yaml) are the templates; a case whose inventory the
engine refuses on its own (one that names a supplier's PACT file beside it) is left out. Inputs
are written in the plain "<value> <unit>" form (data-quality scores and sources dropped, so every
synthetic inventory stays on the batch engine's vectorised path). Inventory k of a template is
the template with
  - every amount in a unit of mass or volume (t, kg, Mt, m3, Nm3 ...) multiplied by a plant
    size s_k, drawn uniformly in [0.5, 2], and
  - every amount in a unit of energy (MWh, kWh, GJ, TJ ...) multiplied by s_k * e_k, e_k drawn
    uniformly in [0.8, 1.2]: plants of other sizes and energy efficiencies;
shares, percentages, distances and choices are kept. So the footprints per declared unit differ
from plant to plant through their energy use, and every inventory stays a valid one (the same
ratios between the products and their raw materials). The draws come from a seeded generator:
the same catalogue each run.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

import zuji
from zuji.core import library
from zuji.core.documents import load_path

MASS = {"t", "kg", "kt", "Mt", "g", "m3", "Nm3", "L", "l", "kNm3", "dam3"}
ENERGY = {"MWh", "kWh", "GWh", "GJ", "TJ", "MJ", "kgce", "tce"}


@dataclass(frozen=True)
class Template:
    pcr: str
    case: str
    document: dict[str, Any]


def templates() -> list[Template]:
    """Every worked case of the library that evaluates on its own, as a plain inventory."""
    found = []
    for rule in library.rule_files():
        if rule.parent.name != rule.stem or rule.parent.name == "common":
            continue
        pcr = zuji.load(rule.stem)
        for case in sorted((rule.parent / "cases").glob("*.yaml")):
            document = load_path(case)
            inventory = document.get("inventory", document)
            plain = _plain(inventory)
            try:
                pcr.evaluate(pcr.inventory(plain, case.name))
            except zuji.ZujiError:
                continue
            found.append(Template(rule.stem, case.stem, plain))
    return found


def _plain(inventory: dict[str, Any]) -> dict[str, Any]:
    kept = {k: inventory[k] for k in ("pcr", "company", "product") if k in inventory}
    kept["reference_period"] = {k: str(v) for k, v in inventory["reference_period"].items()}
    kept["inputs"] = {k: _value(v) for k, v in inventory["inputs"].items()}
    return kept


def _value(value: Any) -> Any:
    if isinstance(value, list):
        return [{k: _value(v) for k, v in item.items()} for item in value]
    if isinstance(value, dict) and "value" in value:
        unit = value.get("unit")
        return f"{value['value']} {unit}" if unit else value["value"]
    return value


def varied(template: Template, size: float, efficiency: float) -> dict[str, Any]:
    """The template's inventory for a plant of another size and energy efficiency."""
    inputs = {k: _scaled(v, size, efficiency) for k, v in template.document["inputs"].items()}
    return {**template.document, "inputs": inputs}


def _scaled(value: Any, size: float, efficiency: float) -> Any:
    if isinstance(value, list):
        return [{k: _scaled(v, size, efficiency) for k, v in item.items()} for item in value]
    if not isinstance(value, str):
        return value
    number, _, unit = value.strip().partition(" ")
    try:
        amount = float(number.replace("_", ""))
    except ValueError:
        return value
    unit = unit.strip()
    if unit in MASS:
        return f"{amount * size:.6g} {unit}"
    if unit in ENERGY:
        return f"{amount * size * efficiency:.6g} {unit}"
    return value


def inventories(n: int, seed: int = 2026) -> Iterator[tuple[Template, dict[str, Any]]]:
    """n synthetic inventories, the templates taken in turn."""
    found = templates()
    rng = np.random.default_rng(seed)
    sizes = rng.uniform(0.5, 2.0, n)
    efficiencies = rng.uniform(0.8, 1.2, n)
    for k in range(n):
        template = found[k % len(found)]
        yield template, varied(template, float(sizes[k]), float(efficiencies[k]))


def as_bytes(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


if __name__ == "__main__":
    import time

    found = templates()
    print(len(found), "templates:", ", ".join(f"{t.pcr}/{t.case}" for t in found))
    by_pcr: dict[str, list[dict[str, Any]]] = {}
    for template, document in inventories(20_000):
        by_pcr.setdefault(template.pcr, []).append(document)
    for pcr_id, documents in by_pcr.items():
        start = time.perf_counter()
        frame = zuji.load(pcr_id).evaluate_many(documents)
        took = time.perf_counter() - start
        failed = int((frame["status"] == "failed").sum())
        print(f"{pcr_id:22} {len(documents):6} rows {took:6.2f} s  failed {failed}")
