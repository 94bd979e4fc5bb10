"""Load on a real `zuji serve` over loopback, with httpx's async client: evaluating clients, a
/health prober, a client posting a large rule to /check in a loop, and one that sends its body
a byte a second. Shared by bench_http.py and bench_stall.py; everything is bounded in time."""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from serve_kit import Service, huge_rule, start  # noqa: E402

from zuji.core.access import add_client  # noqa: E402

CASE = ROOT / "pcr" / "cement" / "cases" / "typical_plant.yaml"


def inventory() -> dict[str, Any]:
    document = yaml.safe_load(CASE.read_text(encoding="utf-8"))["inventory"]
    return dict(json.loads(json.dumps(document, default=str)))


@dataclass
class Tally:
    """Latencies (s) and status codes of one kind of request."""

    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    failures: int = 0  # no HTTP answer at all (connection refused, timeout)

    def add(self, seconds: float, status: int) -> None:
        self.latencies.append(seconds)
        self.statuses[status] = self.statuses.get(status, 0) + 1

    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)

    def percentile(self, share: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


@contextmanager
def served(*options: str) -> Iterator[tuple[Service, dict[str, str]]]:
    """A running `zuji serve` and the Authorization header of a client with every scope."""
    with tempfile.TemporaryDirectory() as folder:
        clients = Path(folder) / "clients.json"
        secret = add_client(clients, "bench", ())
        service = start(clients, Path(folder), *options)
        try:
            answer = httpx.post(
                service.url + "/auth/token",
                data={"grant_type": "client_credentials"},
                auth=("bench", secret),
            )
            settle(service.process.pid)
            yield service, {"Authorization": "Bearer " + answer.json()["access_token"]}
        finally:
            service.stop()


async def evaluators(
    url: str, auth: dict[str, str], clients: int, seconds: float, tally: Tally
) -> None:
    """`clients` callers, each evaluating one inventory after another until time is up."""
    body = json.dumps(inventory()).encode()
    headers = {**auth, "content-type": "application/json"}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:
        stop = time.monotonic() + seconds

        async def caller() -> None:
            while time.monotonic() < stop:
                started = time.perf_counter()
                try:
                    response = await client.post(
                        "/pcrs/cement/evaluate", content=body, headers=headers
                    )
                except httpx.TransportError:
                    tally.failures += 1
                    continue
                tally.add(time.perf_counter() - started, response.status_code)

        await asyncio.gather(*(caller() for _ in range(clients)))


async def prober(url: str, seconds: float, tally: Tally, every: float = 0.05) -> None:
    """/health every `every` seconds, on a connection of its own."""
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        stop = time.monotonic() + seconds
        while time.monotonic() < stop:
            started = time.perf_counter()
            try:
                response = await client.get("/health")
                tally.add(time.perf_counter() - started, response.status_code)
            except httpx.TransportError:
                tally.failures += 1
            await asyncio.sleep(every)


async def checker(url: str, auth: dict[str, str], seconds: float, tally: Tally) -> None:
    """A ~190 KB rule posted to /check, again and again, each text new (no cache answers)."""
    headers = {**auth, "content-type": "text/plain"}
    async with httpx.AsyncClient(base_url=url, timeout=120) as client:
        stop, round_ = time.monotonic() + seconds, 0
        while time.monotonic() < stop:
            round_ += 1
            text = huge_rule(salt=f"round {round_} {time.time()}").encode()
            started = time.perf_counter()
            try:
                response = await client.post("/check", content=text, headers=headers)
                tally.add(time.perf_counter() - started, response.status_code)
            except httpx.TransportError:
                tally.failures += 1


async def trickler(url: str, auth: dict[str, str], seconds: float, tally: Tally) -> None:
    """An inventory sent a byte a second, again whenever the server cuts it off."""
    async with httpx.AsyncClient(base_url=url, timeout=120) as client:
        stop = time.monotonic() + seconds

        async def slowly() -> AsyncIterator[bytes]:
            for byte in json.dumps(inventory()).encode():
                if time.monotonic() > stop:
                    return
                yield bytes([byte])
                await asyncio.sleep(1.0)

        while time.monotonic() < stop:
            started = time.perf_counter()
            try:
                response = await client.post(
                    "/pcrs/cement/evaluate",
                    content=slowly(),
                    headers={**auth, "content-type": "application/json"},
                )
                tally.add(time.perf_counter() - started, response.status_code)
            except httpx.TransportError:  # cut off before the answer could be read: status 0
                tally.add(time.perf_counter() - started, 0)
                await asyncio.sleep(0.5)


def settle(pid: int, most: float = 180.0) -> None:
    """Wait until the server's processes have finished starting (importing the engine in every
    worker and checker, compiling the library): under a tenth of a core over a second."""
    stop = time.monotonic() + most
    while time.monotonic() < stop:
        tree = _tree(pid)
        before = sum(sum(p.cpu_times()[:2]) for p in tree)
        time.sleep(1.0)
        after = sum(sum(p.cpu_times()[:2]) for p in tree if p.is_running())
        if after - before < 0.1:
            return


def _tree(pid: int) -> list[Any]:
    """A process and all its descendants (workers, checkers), as psutil processes."""
    import psutil

    root = psutil.Process(pid)
    return [root, *root.children(recursive=True)]


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process and all its descendants have spent so far."""
    import psutil

    total = 0.0
    for process in _tree(pid):
        with suppress(psutil.NoSuchProcess):  # a checker being replaced
            total += sum(process.cpu_times()[:2])
    return total


def tree_rss(pid: int) -> int:
    """Resident memory (bytes) of a process and all its descendants (workers, checkers)."""
    import psutil

    total = 0
    for process in _tree(pid):
        with suppress(psutil.NoSuchProcess):  # a checker being replaced
            total += process.memory_info().rss
    return total
