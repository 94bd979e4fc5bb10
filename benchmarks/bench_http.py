"""The HTTP service under load: evaluations per second and p99 latency with 4 worker processes
and 32 concurrent clients on loopback, and /health latency while long /check requests run.
The evaluations are driven by wrk (benchmarks/wrk_kit.py), the /health and /check clients by
httpx.

    .venv/bin/python benchmarks/bench_http.py [--seconds 10] [--workers 4] [--clients 32]

Targets (issue "Speed at every scale"): >= 1 000 evaluations/s, p99 < 100 ms, /health < 50 ms
while a long check runs. The baselines, measured in the same run: `pcr.evaluate` called
in-process on one thread (what one worker could do with no HTTP at all), and /health on the
idle server. The load generator runs on the same machine and takes its share of the CPU: on a
shared 2-core machine absolute figures are far below a server's, and the ratios are what
compare. The CPU the server's processes spent per evaluation, against what parsing,
evaluating and writing the result cost in-process, moves far less with the machine's load than
the rate does. `rows()` gives the figures to benchmarks/run.py.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path

import wrk_kit
from http_kit import Tally, checker, inventory, prober, served, tree_cpu
from table import Row, met

import zuji


def in_process_cpu(calls: int = 500) -> float:
    """CPU seconds of what the evaluate route does with a request's body, without HTTP: parse
    the JSON, read the inventory, evaluate, write the result's JSON (best of three rounds)."""
    pcr = zuji.load("cement")
    body = json.dumps(inventory()).encode()

    def served_once() -> str:
        read = pcr.inventory(json.loads(body), received=body)
        return pcr.evaluate(read).model_dump_json()

    for _ in range(100):
        served_once()
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        for _ in range(calls):
            served_once()
        best = min(best, (time.process_time() - started) / calls)
    return best


def in_process_rate(seconds: float = 2.0) -> float:
    """Evaluations per second of the public `pcr.evaluate` on one thread, no HTTP."""
    pcr, document = zuji.load("cement"), inventory()
    pcr.evaluate(document)
    count, stop = 0, time.perf_counter() + seconds
    started = time.perf_counter()
    while time.perf_counter() < stop:
        pcr.evaluate(document)
        count += 1
    return count / (time.perf_counter() - started)


# Each of wrk's connections posts the cement case's inventory, again and again.
_LUA = """
local file = io.open(os.getenv("ZUJI_BODY"), "rb")
wrk.method = "POST"
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = os.getenv("ZUJI_AUTH")
"""


def _evaluations(url: str, auth: dict[str, str], seconds: float, clients: int) -> wrk_kit.Load:
    """`clients` connections evaluating the cement inventory for `seconds`, driven by wrk."""
    with tempfile.TemporaryDirectory() as folder:
        body, script = Path(folder) / "inventory.json", Path(folder) / "evaluate.lua"
        body.write_text(json.dumps(inventory()), encoding="utf-8")
        script.write_text(_LUA, encoding="utf-8")
        settings = {"ZUJI_BODY": str(body), "ZUJI_AUTH": auth["Authorization"]}
        return wrk_kit.run(url + "/pcrs/cement/evaluate", script, clients, seconds, settings)


async def _health(url: str, auth: dict[str, str], seconds: float) -> dict[str, float]:
    idle = Tally()
    await prober(url, 2.0, idle)
    busy, checks = Tally(), Tally()
    await asyncio.gather(prober(url, seconds, busy), checker(url, auth, seconds, checks))
    return {
        "health_idle_p99": idle.percentile(0.99),
        "health_busy_p50": busy.percentile(0.50),
        "health_busy_p99": busy.percentile(0.99),
        "health_busy_max": max(busy.latencies, default=float("nan")),
        "checks": float(len(checks.latencies)),
        "check_p50": checks.percentile(0.50),
    }


def measure(seconds: float = 10.0, workers: int = 4, clients: int = 32) -> dict[str, float]:
    baseline = in_process_rate()
    with served("--workers", str(workers), "--budget", "60") as (service, auth):
        _evaluations(service.url, auth, 2.0, clients)  # every worker compiles and warms up
        spent = tree_cpu(service.process.pid)
        load = _evaluations(service.url, auth, seconds, clients)
        spent = tree_cpu(service.process.pid) - spent
        figures = asyncio.run(_health(service.url, auth, seconds))
    figures.update(evals_per_s=load.rate, p50=load.p50, p99=load.p99, errors=float(load.bad))
    figures["in_process_per_s"] = baseline
    # CPU per request counts what the service spends whatever else shares the machine, where
    # the rate and latencies move with the load of the box.
    figures["server_cpu"] = spent / max(load.requests, 1)
    figures["in_process_cpu"] = in_process_cpu()
    return figures


def rows(seconds: float = 10.0, workers: int = 4, clients: int = 32) -> list[Row]:
    """Zuji's figures beside their baselines from the same run, for benchmarks/run.py."""
    f = measure(seconds, workers, clients)
    rate, in_process = f["evals_per_s"], f["in_process_per_s"]
    busy, idle = f["health_busy_p99"] * 1e3, f["health_idle_p99"] * 1e3
    return [
        Row(
            f"HTTP evaluations/s, {workers} workers, {clients} clients, {seconds:g} s",
            f"{rate:,.0f}/s ({f['errors']:.0f} non-200)",
            f"{in_process:,.0f}/s in-process, 1 thread",
            f"{rate / in_process:.2f}x",
            ">= 1000/s",
            met(rate >= 1000 and f["errors"] == 0),
        ),
        Row(
            "HTTP evaluate latency p99 vs p50",
            f"{f['p99'] * 1e3:.1f} ms",
            f"{f['p50'] * 1e3:.1f} ms p50",
            f"{f['p99'] / f['p50']:.1f}x",
            "p99 < 100 ms",
            met(f["p99"] * 1e3 < 100),
        ),
        Row(
            "  server CPU per HTTP evaluation, all workers",
            f"{f['server_cpu'] * 1e3:.2f} ms",
            f"{f['in_process_cpu'] * 1e3:.2f} ms in-process (parse, evaluate, write)",
            f"{f['server_cpu'] / f['in_process_cpu']:.1f}x",
            "-",
            "-",
        ),
        Row(
            "/health p99 while /check runs vs idle",
            f"{busy:.1f} ms",
            f"{idle:.1f} ms idle",
            f"{busy / idle:.1f}x",
            "< 50 ms",
            met(busy < 50),
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--clients", type=int, default=32)
    options = parser.parse_args()
    f = measure(options.seconds, options.workers, options.clients)
    print(f"in-process pcr.evaluate, 1 thread  {f['in_process_per_s']:10.0f} /s  (baseline)")
    print(
        f"HTTP evaluate, {options.workers} workers, {options.clients} clients "
        f"{f['evals_per_s']:8.0f} /s  = {f['evals_per_s'] / f['in_process_per_s']:.2f}x "
        "baseline  (target >= 1000/s)"
    )
    print(
        f"  latency p50 {f['p50'] * 1e3:7.1f} ms   p99 {f['p99'] * 1e3:7.1f} ms  "
        f"(target p99 < 100 ms)   non-200: {f['errors']:.0f}"
    )
    print(
        f"  server CPU per request {f['server_cpu'] * 1e3:6.2f} ms, all workers  = "
        f"{f['server_cpu'] / f['in_process_cpu']:.1f}x the {f['in_process_cpu'] * 1e3:.2f} ms "
        "of parsing, evaluating and writing in-process (baseline)"
    )
    print(f"/health idle        p99 {f['health_idle_p99'] * 1e3:7.1f} ms  (baseline)")
    print(
        f"/health during /check  p50 {f['health_busy_p50'] * 1e3:7.1f} ms   "
        f"p99 {f['health_busy_p99'] * 1e3:7.1f} ms   max {f['health_busy_max'] * 1e3:7.1f} ms"
        f"  (target < 50 ms)   [{f['checks']:.0f} checks of ~190 KB, "
        f"p50 {f['check_p50']:.1f} s each]"
    )
    print("(load generator on the same machine; shared 2-core box: compare ratios, not absolutes)")


if __name__ == "__main__":
    main()
