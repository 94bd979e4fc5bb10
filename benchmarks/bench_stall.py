"""Load and stall: can callers stall the service? (issue "Trust", Proof)

    .venv/bin/python benchmarks/bench_stall.py [--seconds 30] [--workers 4]

For `--seconds`, on loopback: 32 clients evaluate inventories, one more posts a ~190 KB rule to
/check in a loop (each text new, so no cache answers it), another sends an inventory's body a
byte a second (again each time the server cuts it off), and a prober asks /health every 50 ms.
Prints requests/s, server errors (5xx) by kind, /health latency (target p99 < 50 ms), what the
trickling client got, and the server's resident memory (all its processes) before and after.

The baseline is the same server idle, in the same run: /health before the load, and the RSS
before. A 503 on /check is the time budget doing its work (a check over `--budget` is stopped,
its process replaced); it is counted apart from other 5xx. Shared 2-core machine: the load
generator takes CPU from the server, so compare ratios, not absolutes.
"""

from __future__ import annotations

import argparse
import asyncio
import time

from http_kit import Tally, checker, evaluators, prober, served, tree_rss, trickler


async def _load(
    url: str, auth: dict[str, str], seconds: float
) -> tuple[Tally, Tally, Tally, Tally, float]:
    evaluations, health, checks, slow = Tally(), Tally(), Tally(), Tally()
    started = time.perf_counter()
    await asyncio.gather(
        evaluators(url, auth, 32, seconds, evaluations),
        prober(url, seconds, health),
        checker(url, auth, seconds, checks),
        trickler(url, auth, seconds, slow),
    )
    return evaluations, health, checks, slow, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--budget", type=float, default=10.0)
    options = parser.parse_args()
    with served("--workers", str(options.workers), "--budget", str(options.budget)) as (
        service,
        auth,
    ):
        pid = service.process.pid
        idle = Tally()
        asyncio.run(prober(service.url, 3.0, idle))
        rss_before = tree_rss(pid)
        evaluations, health, checks, slow, elapsed = asyncio.run(
            _load(service.url, auth, options.seconds)
        )
        rss_after = tree_rss(pid)
    mib = 2**20
    total = len(evaluations.latencies) + len(checks.latencies) + len(slow.latencies)
    print(f"{options.seconds:g} s, {options.workers} workers, budget {options.budget:g} s")
    print(
        f"requests/s (all)            {total / elapsed:8.1f}   evaluations/s "
        f"{evaluations.statuses.get(200, 0) / elapsed:8.1f}  "
        f"(p99 {evaluations.percentile(0.99) * 1e3:.0f} ms)"
    )
    print(
        f"5xx: evaluate {evaluations.server_errors()}   /health {health.server_errors()}   "
        f"/check {checks.server_errors()} (of {len(checks.latencies)} checks; 503 = over "
        f"budget: {checks.statuses.get(503, 0)})   no answer: {evaluations.failures}"
    )
    print(
        f"/health p50 {health.percentile(0.5) * 1e3:6.1f} ms  p99 "
        f"{health.percentile(0.99) * 1e3:6.1f} ms  max {max(health.latencies) * 1e3:6.1f} ms"
        f"  ({len(health.latencies)} probes; idle p99 "
        f"{idle.percentile(0.99) * 1e3:.1f} ms = baseline; ratio "
        f"{health.percentile(0.99) / idle.percentile(0.99):.1f}x; target < 50 ms)"
    )
    print(
        f"byte-a-second client: {len(slow.latencies)} attempts, statuses {slow.statuses} "
        f"(0 = cut off before an answer), each held {slow.percentile(0.5):.1f} s (median)"
    )
    print(
        f"server RSS: before {rss_before / mib:7.1f} MiB   after {rss_after / mib:7.1f} MiB"
        f"   ({rss_after / rss_before:.2f}x)"
    )


if __name__ == "__main__":
    main()
