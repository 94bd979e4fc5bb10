"""Every speed section in one table: what, Zuji's figure, its baseline from the same run, the
ratio, the target of the issue "Speed at every scale", and whether it is met; then the machine.

Sections: speed_single (one evaluation, command-line starts), speed_batch (evaluate_many and
`zuji batch` on N plants), speed_mc (Monte Carlo), bench_http (the service under load),
catalogue_scale (the catalogue's listing, pages and re-evaluation on SQLite and PostgreSQL).
Each is a script of its own too; this one calls their `rows()`. On a shared machine absolute
times are inflated by the others' load: the ratios against baselines measured in the same run
are what count, and the load average printed below says how loaded it was.

    python benchmarks/run.py [--quick] [--only single,batch,mc,http,catalogue] [--markdown]

`--quick` uses 100 000 plants and samples instead of 1 000 000, fewer rounds and 3 s of HTTP
load; `make bench` runs the full table.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from table import Row, render

FULL, QUICK = 1_000_000, 100_000


def _single(quick: bool, seconds: float) -> list[Row]:
    import speed_single

    return speed_single.rows(quick)


def _batch(quick: bool, seconds: float) -> list[Row]:
    import speed_batch

    return speed_batch.rows(QUICK if quick else FULL)


def _mc(quick: bool, seconds: float) -> list[Row]:
    import speed_mc

    return speed_mc.rows(QUICK if quick else FULL)


def _http(quick: bool, seconds: float) -> list[Row]:
    import bench_http

    return bench_http.rows(seconds)


def _catalogue(quick: bool, seconds: float) -> list[Row]:
    import catalogue_scale

    return catalogue_scale.rows(catalogue_scale.QUICK if quick else catalogue_scale.FULL)


SECTIONS: dict[str, Callable[[bool, float], list[Row]]] = {
    "single": _single,
    "batch": _batch,
    "mc": _mc,
    "http": _http,
    "catalogue": _catalogue,
}


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> str:
    import numpy

    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{cpu_model()}, {os.cpu_count()} cores, load average {load} (1, 5, 15 min); "
        f"{platform.system()} {platform.release()}; Python {platform.python_version()}, "
        f"numpy {numpy.__version__}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer rounds")
    parser.add_argument("--only", default=",".join(SECTIONS), help="sections, comma-separated")
    parser.add_argument("--http-seconds", type=float, default=None, help="HTTP load duration")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args()
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in SECTIONS]
    if unknown:
        parser.error(f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    seconds = args.http_seconds or (3.0 if args.quick else 10.0)
    before = machine()
    started = time.perf_counter()
    table: list[Row] = []
    for name in chosen:
        print(f"[{name}] measuring ...", file=sys.stderr, flush=True)
        table += SECTIONS[name](args.quick, seconds)
    print(render(table, markdown=args.markdown))
    print()
    print(f"machine at the start: {before}")
    print(f"machine at the end:   {machine()}")
    print(
        f"{time.perf_counter() - started:.0f} s in all; command: python benchmarks/run.py"
        + (" --quick" if args.quick else "")
    )


if __name__ == "__main__":
    main()
