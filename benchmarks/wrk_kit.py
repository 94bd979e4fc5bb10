"""wrk, the C load generator, driven from the benchmarks: it takes a few per cent of a core
where a Python client (httpx) took as much CPU per request as the server it loaded, on the
same two cores. Installed from Debian's packages when missing and this runs as root."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Load:
    """What one wrk run measured."""

    rate: float  # requests/s
    p50: float  # s
    p99: float  # s
    bad: int  # non-2xx/3xx answers and socket errors
    requests: int


def wrk() -> str:
    found = shutil.which("wrk")
    if found is None and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "wrk"],
            check=True,
            env=env,
            stdout=subprocess.DEVNULL,
        )
        found = shutil.which("wrk")
    if found is None:
        raise SystemExit("wrk is missing: run 'sudo apt-get install wrk' first")
    return found


def run(url: str, script: Path, connections: int, seconds: float, env: dict[str, str]) -> Load:
    """wrk with two threads and `connections` open connections for `seconds`, with a Lua script
    (its settings in `env`)."""
    ran = subprocess.run(
        [wrk(), "-t2", f"-c{connections}", f"-d{seconds:g}s", "--latency", "-s", str(script), url],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=seconds + 60,
    )
    if ran.returncode != 0:
        raise SystemExit(f"wrk failed: {ran.stderr or ran.stdout}")
    out = ran.stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _seconds(re.search(r"50%\s+([\d.]+\w+)", out).group(1))  # type: ignore[union-attr]
    p99 = _seconds(re.search(r"99%\s+([\d.]+\w+)", out).group(1))  # type: ignore[union-attr]
    count = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    failed = sum(int(n) for n in errors.groups()) if errors else 0
    return Load(rate, p50, p99, (int(bad.group(1)) if bad else 0) + failed, count)


def _seconds(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[unit]
