"""Time and peak memory of the engine's answer to hostile input, each at or past a limit.

    .venv/bin/python benchmarks/bench_hostile.py

Every input below is refused (or, for the largest accepted ones, read) in bounded time and
memory; the figures show how far from a hang or a blow-up each limit keeps the engine.
"""

from __future__ import annotations

import copy
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import zuji  # noqa: E402
from zuji.core.errors import ZujiError  # noqa: E402

RULE = (ROOT / "tests" / "fuzz" / "seeds" / "widget.pcr").read_text(encoding="utf-8")


def measure(name: str, action: Callable[[], object]) -> None:
    """Time without tracing (tracemalloc slows Python several-fold), then peak memory with it."""
    started = time.perf_counter()
    outcome = _answer(action)
    elapsed = time.perf_counter() - started
    tracemalloc.start()
    _answer(action)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"{name:58} {outcome:9} {elapsed * 1000:10.1f} ms {peak / 2**20:9.1f} MiB", flush=True)


def _answer(action: Callable[[], object]) -> str:
    from zuji.lang import load
    from zuji.runtime import pcr

    load._BUILT.clear()  # each run reads the rule afresh, as a new process would
    pcr._PLANS.clear()
    try:
        answer = action()
    except ZujiError as exc:
        return exc.code
    errors = getattr(answer, "errors", None)
    return errors[0].code if errors else "accepted"


def rule_with(old: str, new: str) -> Callable[[], object]:
    text = RULE.replace(old, new)
    return lambda: zuji.load_text(text, "hostile.pcr")


def formula_bomb() -> Callable[[], object]:
    chain = "".join(f"  formula f{i}(x: t) : t = f{i - 1}(x) + f{i - 1}(x)\n" for i in range(1, 41))
    text = RULE.replace(
        "  let heat",
        "  formula f0(x: t) : t = x\n" + chain + "  let bomb : t = f40(coal)\n  let heat",
    )
    return lambda: zuji.load_text(text, "bomb.pcr")


def inventory_file(text: str, suffix: str = ".yaml") -> Callable[[], object]:
    folder = Path(tempfile.mkdtemp())
    path = folder / f"inventory{suffix}"
    path.write_text(text, encoding="utf-8")
    pcr = zuji.load("cement")
    return lambda: pcr.evaluate(path)


def main() -> None:
    from conftest import CEMENT_INVENTORY

    zuji.load("cement")  # standards and the library loaded once, outside the figures
    print(f"{'input':58} {'answer':9} {'time':>13} {'peak memory':>13}")
    measure(
        "rule: 10 000 terms in one sum (nesting limit)",
        rule_with("coal * ncv", "coal" + " + coal" * 10_000),
    )
    measure(
        "rule: 100 000 nested parentheses (200 KB)",
        rule_with("coal * ncv", "(" * 100_000 + "coal" + ")" * 100_000 + " * ncv"),
    )
    measure("rule: formulas doubling 40 times (2^40 calls inlined)", formula_bomb())
    measure(
        "rule: 240 KB of comments (below the size limit)",
        rule_with("pcr widget {", "# " + "x" * 240_000 + "\npcr widget {"),
    )
    measure(
        "rule: 2 MB of comments (past the size limit)",
        rule_with("pcr widget {", "# " + "x" * 2_000_000 + "\npcr widget {"),
    )
    levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"] + [
        f"{b}: &{b} [{', '.join(['*' + a] * 10)}]"
        for a, b in zip("abcdefgh", "bcdefghi", strict=True)
    ]
    measure(
        "inventory: billion laughs (10^9 values through aliases)",
        inventory_file("\n".join(levels) + "\n"),
    )
    measure("inventory: 100 000 nested lists", inventory_file("[" * 100_000 + "]" * 100_000))
    measure(
        "inventory: 100 000 nested JSON lists",
        inventory_file("[" * 100_000 + "]" * 100_000, ".json"),
    )
    many = copy.deepcopy(CEMENT_INVENTORY)
    many["inputs"]["kiln_fuels"] = [{"fuel": "raw_coal", "amount": "1 t"}] * 10_000
    import json

    measure(
        "inventory: 10 000 fuel items (at the list limit), JSON",
        inventory_file(json.dumps(many), ".json"),
    )
    many["inputs"]["kiln_fuels"] = many["inputs"]["kiln_fuels"] * 10
    measure(
        "inventory: 100 000 fuel items (past the list limit), JSON",
        inventory_file(json.dumps(many), ".json"),
    )
    unknown = "pcr: cement\ninputs:\n" + "".join(f"  k{i}: {i} t\n" for i in range(100_000))
    measure("inventory: 100 000 unknown inputs, YAML", inventory_file(unknown))


if __name__ == "__main__":
    main()
