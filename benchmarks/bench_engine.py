"""Speed of the engine on the cement PCR: parse and check, compile, evaluate one inventory.

Prints its figures; it asserts nothing, because timings on a shared machine are not a test.
Run with `make bench` (or .venv/bin/python benchmarks/bench_engine.py).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path

import zuji
from zuji.core import library
from zuji.core.documents import load_path
from zuji.data.standards import load as load_standards
from zuji.lang.build import build
from zuji.lang.parse import parse
from zuji.runtime import pcr as pcr_api
from zuji.runtime.evaluate import evaluate
from zuji.runtime.inventory import read_inventory
from zuji.semantics.check import check
from zuji.semantics.compile import compile_plan
from zuji.semantics.resolve import resolve

CASE = library.pcr_root() / "cement" / "cases" / "typical_plant.yaml"


def timed(label: str, fn: Callable[[], object], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    median = statistics.median(samples)
    print(
        f"{label:<44} median {median * 1e3:9.3f} ms   min {min(samples) * 1e3:9.3f} ms"
        f"   ({repeat} runs)"
    )
    return median


def main() -> None:
    path = library.pcr_root() / "cement" / "cement.pcr"
    text = path.read_text(encoding="utf-8")
    standards = load_standards()
    zuji.load("cement")  # warm the parser and the unit registry once

    def parse_and_check() -> None:
        # build() directly: load_text would hand back the model it built before
        rule, _ = build(parse(text, "pcr/cement/cement.pcr"), "pcr/cement/cement.pcr", text)
        resolved = resolve(rule, standards).with_source(rule.path, text)
        check(resolved, compile_plan(resolved))

    timed("parse+build cement.pcr, resolve, check, compile", parse_and_check, 30)
    timed("zuji.load('cement') again (model and plan cached)", lambda: zuji.load("cement"), 30)
    pcr = zuji.load("cement")
    document = load_path(Path(CASE))["inventory"]
    inventory = read_inventory(document, pcr.rule, standards, "typical_plant")
    timed(
        "read + check one inventory",
        lambda: read_inventory(document, pcr.rule, standards, "x"),
        200,
    )
    per_eval = timed("evaluate one loaded inventory", lambda: evaluate(pcr.plan, inventory), 500)
    timed(
        "evaluate one loaded inventory with trace",
        lambda: evaluate(pcr.plan, inventory, trace=True),
        200,
    )
    print(f"{'evaluations per second (no trace)':<44} {1 / per_eval:12.0f}")
    print(f"compiled plans cached: {len(pcr_api._PLANS)}")


if __name__ == "__main__":
    main()
