"""A real `zuji serve` on a free 127.0.0.1 port, in its own process, for tests and benchmarks;
and the large rule text that keeps a check busy for seconds."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
_ZUJI = (sys.executable, "-m", "zuji")
WIDGET = ROOT / "tests" / "fuzz" / "seeds" / "widget.pcr"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def huge_rule(lets: int = 4900, salt: str = "") -> str:
    """A rule within every limit that takes seconds to check: a chain of `lets` derived
    quantities, each built on the one before (4 900 of them make ~190 KB). `salt` makes each
    text new, so no cache of compiled plans answers for it."""
    chain = "".join(
        f"  let h{i} : GJ = coal * ncv + h{i - 1}\n" if i else "  let h0 : GJ = coal * ncv\n"
        for i in range(lets)
    )
    text = WIDGET.read_text(encoding="utf-8").replace("  let heat", chain + "  let heat")
    return f"# {salt}\n{text}"


@dataclass
class Service:
    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def stop(self, timeout: float = 60) -> int:
        """SIGTERM, as a process manager sends it, then wait for the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        return int(self.process.returncode)

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def start(
    clients: Path, folder: Path, *options: str, wait: float = 180, cwd: Path | None = None
) -> Service:
    """`zuji serve` with these options, started in its own process and answering /health."""
    port = free_port()
    log = folder / f"serve-{port}.log"
    environment = {**os.environ, "PYTHONPATH": str(ROOT / "engine")}
    environment.pop("ZUJI_SERVE_SETTINGS", None)
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*_ZUJI, "serve", "--port", str(port), "--clients", str(clients), *options],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=cwd or folder,
            env=environment,
        )
    service = Service(process, f"http://127.0.0.1:{port}", log)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"zuji serve exited: {service.output()}")
        try:
            if httpx.get(service.url + "/health", timeout=2).status_code == 200:
                return service
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    service.stop()
    raise RuntimeError(f"zuji serve did not answer within {wait} s: {service.output()}")
