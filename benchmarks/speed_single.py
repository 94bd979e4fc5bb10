"""Speed of one footprint and of starting the command line, against baselines in the same run.

- One `pcr.evaluate(inventory_dict)` of the cement worked case `typical_plant`, end to end
  (validation, amounts and units, the result object; no trace), against the hand-written scalar
  function of the same arithmetic (benchmarks/baseline_cement.py) on the same inventory's values:
  target at most 50 times the hand-written function.
- The same evaluation with its trace against without: target at most 3 times.
- The CPU time (user + system, resource.getrusage of the children) of fresh processes:
  `zuji --help` (target < 0.2 s), `zuji run cement -i ... --format json` (< 0.6 s) and
  `zuji check pcr/` (< 1.0 s), beside a bare interpreter start (`python -c pass`) for --help and
  the import of the libraries any command that loads a rule needs (typer, pydantic, pint, lark,
  yaml, with pint's array integrations as a program importing it gets them) for run and check.
  One untimed run of each comes first, so Zuji's cache folder (parser tables, unit definitions)
  is filled as on any machine after its first start.

Timings alternate between Zuji and its baseline and keep the best of several rounds, so that
both see the same load; on a shared machine absolute times are inflated, the ratios are what
count. Prints its table; asserts nothing.

    python benchmarks/speed_single.py
"""

from __future__ import annotations

import copy
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

import baseline_cement  # noqa: E402  (the benchmarks folder, put on the path above)
from table import Row, met, render  # noqa: E402

import zuji  # noqa: E402
from zuji.runtime.cases import load_case  # noqa: E402

CASE = ROOT / "pcr" / "cement" / "cases" / "typical_plant.yaml"
ROUNDS = 7
QUICK_ROUNDS = 3


def _best_per_call(fn: Callable[[], object], calls: int) -> float:
    """Seconds per call, the best of one round of `calls` calls."""
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls


def _alternating(
    first: Callable[[], object],
    second: Callable[[], object],
    calls: tuple[int, int],
    rounds: int,
) -> tuple[float, float]:
    """The best seconds per call of each, their rounds taken in turn."""
    a, b = [], []
    for _ in range(rounds):
        a.append(_best_per_call(first, calls[0]))
        b.append(_best_per_call(second, calls[1]))
    return min(a), min(b)


def single_evaluation(rounds: int = ROUNDS) -> tuple[float, float, float, float]:
    """Seconds per call: evaluate end to end; again beside its traced run, and that traced run;
    the hand-written function."""
    pcr = zuji.load("cement")
    document = load_case(CASE)["inventory"]
    inventory = pcr.inventory(copy.deepcopy(document))
    assert inventory.period_start is not None
    factors = baseline_cement.cement_factors(inventory.period_start)
    values = inventory.values
    expected = pcr.evaluate(document).total
    by_hand = baseline_cement.footprint(values, factors)
    assert abs(by_hand - expected) <= 1e-9 * expected, (by_hand, expected)
    for _ in range(200):  # warm: the plan, the factor values of the period, the amounts read
        pcr.evaluate(document)
        pcr.evaluate(document, trace=True)
    engine, scalar = _alternating(
        lambda: pcr.evaluate(document),
        lambda: baseline_cement.footprint(values, factors),
        (300, 30_000),
        rounds,
    )
    traced, plain = _alternating(
        lambda: pcr.evaluate(document, trace=True),
        lambda: pcr.evaluate(document),
        (200, 200),
        rounds,
    )
    return engine, plain, traced, scalar


def _cpu_of(command: list[str]) -> float:
    """CPU seconds (user + system) a fresh process spent on the command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(
        command,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT / "engine")},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=300,
        check=False,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def start_times(repeat: int = 3) -> dict[str, float]:
    """The best CPU seconds of each command in fresh processes, and of a bare interpreter."""
    zuji_command = [sys.executable, "-m", "zuji"]
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        # What any command that loads a rule must import: the floor of run and check.
        "import floor": [sys.executable, "-c", "import typer, pydantic, pint, lark, yaml"],
        "zuji --help": [*zuji_command, "--help"],
        "zuji run cement --format json": [
            *zuji_command,
            "run",
            "cement",
            "-i",
            str(CASE.relative_to(ROOT)),
            "--format",
            "json",
        ],
        "zuji check pcr/": [*zuji_command, "check", "pcr/"],
    }
    for command in commands.values():
        _cpu_of(command)  # fills the cache folder, as any first start does
    best = {name: float("inf") for name in commands}
    for _ in range(repeat):
        for name, command in commands.items():
            best[name] = min(best[name], _cpu_of(command))
    return best


def rows(quick: bool = False) -> list[Row]:
    """Zuji's figures beside their baselines from the same run, with the targets."""
    engine, plain, traced, scalar = single_evaluation(QUICK_ROUNDS if quick else ROUNDS)
    starts = start_times(1 if quick else 3)
    out = [
        Row(
            "evaluate(inventory dict), cement, end to end, no trace",
            f"{engine * 1e6:,.1f} us",
            f"{scalar * 1e6:,.2f} us hand-written scalar",
            f"{engine / scalar:,.1f}x",
            "<= 50x",
            met(engine / scalar <= 50),
        ),
        Row(
            "evaluate with trace vs without",
            f"{traced * 1e6:,.1f} us",
            f"{plain * 1e6:,.1f} us without trace",
            f"{traced / plain:,.2f}x",
            "<= 3x",
            met(traced / plain <= 3),
        ),
    ]
    for name, target, base, shown in (
        ("zuji --help", 0.2, "python -c pass", "python -c pass"),
        ("zuji run cement --format json", 0.6, "import floor", "import typer, pydantic, pint..."),
        ("zuji check pcr/", 1.0, "import floor", "import typer, pydantic, pint..."),
    ):
        out.append(
            Row(
                f"{name}, CPU of a fresh process",
                f"{starts[name]:.3f} s",
                f"{starts[base]:.3f} s {shown}",
                f"{starts[name] / starts[base]:.1f}x",
                f"< {target:g} s CPU",
                met(starts[name] < target),
            )
        )
    return out


def main() -> None:
    print(render(rows()))
    print(f"\n{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} (shared machine)")


if __name__ == "__main__":
    main()
