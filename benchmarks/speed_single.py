"""Speed of one footprint and of starting the command line, against baselines in the same run.

- One `pcr.evaluate(inventory_dict)` of the cement worked case `typical_plant`, end to end
  (validation, amounts and units, the result object; no trace), against the hand-written scalar
  function of the same arithmetic (benchmarks/baseline_cement.py) on the same inventory's values:
  target at most 50 times the hand-written function. The evaluation runs the PCR's generated
  function; the result presents its figures (by stage, gas and line, data quality, warnings,
  provenance, trace) at its first read, so a row beside it gives the evaluation with the whole
  result read (`model_dump_json()`), which a caller sending the result on pays.
- The same evaluation with its trace against without: target at most 3 times; and again with
  the whole result read.
- The CPU time (user + system, resource.getrusage of the children) of fresh processes:
  `zuji --help` (target < 0.2 s), `zuji run cement -i ... --format json` (< 0.6 s) and
  `zuji check pcr/` (< 1.0 s; a library checked again unchanged gets the report its last check
  kept, interfaces/check_report.py) and `zuji check pcr/ --no-cache` (every rule compiled and every
  case read afresh), beside a bare interpreter start (`python -c pass`) for --help and
  the import of the libraries any command that loads a rule needs (typer, pydantic, pint, lark,
  yaml, with pint's array integrations as a program importing it gets them) for run and check.
  One untimed run of each comes first, so Zuji's cache folder (parser tables, unit definitions)
  and Python's bytecode are written as on any machine after its first start.

Timings alternate between Zuji and its baseline and keep the best of several rounds, so that
both see the same load; one evaluation is timed in CPU seconds of this process (as the starts
are), which other processes on a shared machine inflate far less than the clock. The ratios are
what count. Prints its table; asserts nothing.

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
from typing import NamedTuple

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
    """CPU seconds per call, over one round of `calls` calls."""
    start = time.process_time()
    for _ in range(calls):
        fn()
    return (time.process_time() - start) / calls


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


class Single(NamedTuple):
    """Seconds per call of one evaluation, and of its baselines."""

    engine: float  # evaluate end to end, no trace
    plain: float  # the same, timed beside the traced evaluation
    traced: float
    scalar: float  # the hand-written function
    read: float  # evaluate, then model_dump_json() of the whole result
    read_traced: float  # the same with the trace


def single_evaluation(rounds: int = ROUNDS) -> Single:
    """Seconds per call: evaluate end to end; again beside its traced run, and that traced run;
    the hand-written function; each evaluation with its whole result read."""
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
    read_traced, read = _alternating(
        lambda: pcr.evaluate(document, trace=True).model_dump_json(),
        lambda: pcr.evaluate(document).model_dump_json(),
        (100, 100),
        rounds,
    )
    return Single(engine, plain, traced, scalar, read, read_traced)


def _cpu_of(command: list[str]) -> float:
    """CPU seconds (user + system) a fresh process spent on the command. Python may write its
    bytecode, as it does by default (and an installed wheel has it): a setting that forbids it
    (PYTHONDONTWRITEBYTECODE) would have every start compile the engine's sources afresh."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT / "engine")}
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(
        command,
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=300,
        check=False,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def start_times(repeat: int = 7) -> dict[str, float]:
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
        "zuji check pcr/ --no-cache": [*zuji_command, "check", "pcr/", "--no-cache"],
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
    single = single_evaluation(QUICK_ROUNDS if quick else ROUNDS)
    scalar = single.scalar
    starts = start_times(1 if quick else 7)
    out = [
        Row(
            "evaluate(inventory dict), cement, end to end, no trace",
            f"{single.engine * 1e6:,.1f} us",
            f"{scalar * 1e6:,.2f} us hand-written scalar",
            f"{single.engine / scalar:,.1f}x",
            "<= 50x",
            met(single.engine / scalar <= 50),
        ),
        Row(
            "  the same, then the whole result read (model_dump_json)",
            f"{single.read * 1e6:,.1f} us",
            f"{scalar * 1e6:,.2f} us hand-written scalar",
            f"{single.read / scalar:,.1f}x",
            "-",
            "-",
        ),
        Row(
            "evaluate with trace vs without",
            f"{single.traced * 1e6:,.1f} us",
            f"{single.plain * 1e6:,.1f} us without trace",
            f"{single.traced / single.plain:,.2f}x",
            "<= 3x",
            met(single.traced / single.plain <= 3),
        ),
        Row(
            "  the same, each result read whole",
            f"{single.read_traced * 1e6:,.1f} us",
            f"{single.read * 1e6:,.1f} us without trace",
            f"{single.read_traced / single.read:,.2f}x",
            "<= 3x",
            met(single.read_traced / single.read <= 3),
        ),
    ]
    for name, target, base, shown in (
        ("zuji --help", 0.2, "python -c pass", "python -c pass"),
        ("zuji run cement --format json", 0.6, "import floor", "import typer, pydantic, pint..."),
        ("zuji check pcr/", 1.0, "import floor", "import typer, pydantic, pint..."),
        ("zuji check pcr/ --no-cache", 1.0, "import floor", "import typer, pydantic, pint..."),
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
