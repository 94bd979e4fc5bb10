"""A catalogue seeded from the library's worked cases, and a real `zuji serve --catalogue` over
TLS on a free 127.0.0.1 port, started and stopped by the caller; shared by the PACT host tests
and benchmarks/pact_conformance.py."""

from __future__ import annotations

import os
import re
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml
from serve_kit import Service, free_port

import zuji
from zuji.catalogue import store, workflow

ROOT = Path(__file__).resolve().parent.parent
STAFF = workflow.programme_staff("seed")


def case_inventory(pcr_id: str, case: str, **changes: Any) -> bytes:
    """A worked case's inventory as YAML bytes, with fields replaced (product_ids ...)."""
    path = ROOT / "pcr" / pcr_id / "cases" / f"{case}.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))["inventory"]
    document.update(changes)
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False).encode()


def publish(db: store.Store, pcr_id: str, case: str, **changes: Any) -> str:
    """Submit, accept and publish a worked case; the footprint's id."""
    raw = case_inventory(pcr_id, case, **changes)
    submitted = workflow.submit(db, zuji.load(pcr_id), raw, f"{case}.yaml", STAFF)
    workflow.verify(db, submitted.submission_id, STAFF, accept=True)
    return workflow.publish(db, submitted.submission_id, STAFF)


def all_cases() -> list[tuple[str, str]]:
    """Every worked case of the bundled library, as (PCR id, case name)."""
    return sorted(
        (path.parent.parent.name, path.stem)
        for path in (ROOT / "pcr").glob("*/cases/*.yaml")
        if path.parent.parent.name != "common"
    )


def tls_context(cert: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(cert))


@dataclass
class Host:
    """A running PACT host: its service, base URL and the certificate clients trust."""

    service: Service
    url: str
    cert: Path
    pair: tuple[Path, Path] | None = None  # certificate and key, to start it again as it was

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, verify=tls_context(self.cert), timeout=30)

    def token(self, client_id: str, secret: str) -> str:
        with self.client() as http:
            answer = http.post(
                "/auth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
            )
        answer.raise_for_status()
        return str(answer.json()["access_token"])

    def stop(self) -> int:
        return self.service.stop()


def start_host(
    catalogue: str,
    folder: Path,
    *options: str,
    self_signed: bool = False,
    port: int | None = None,
    pair: tuple[Path, Path] | None = None,
    wait: float = 180,
) -> Host:
    """`zuji serve --catalogue` speaking TLS on `port` (a free one by default), with the
    certificate and key `pair`, else ones made here (or, with `self_signed`, the one
    --tls-self-signed makes and names on stderr)."""
    from zuji.interfaces.serve_tls import self_signed as make_pair

    port = port or free_port()
    log = folder / f"serve-{port}-{time.monotonic_ns()}.log"
    tls: list[str] = ["--tls-self-signed"]
    cert: Path | None = None
    if not self_signed:
        cert, key = pair or make_pair(folder / f"tls-{port}")
        tls = ["--tls-cert", str(cert), "--tls-key", str(key)]
    environment = {**os.environ, "PYTHONPATH": str(ROOT / "engine"), "ZUJI_LANG": "en"}
    environment.pop("ZUJI_SERVE_SETTINGS", None)
    command = [sys.executable, "-m", "zuji", "serve", "--port", str(port), "--catalogue"]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*command, catalogue, *tls, *options],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=folder,
            env=environment,
        )
    service = Service(process, f"https://127.0.0.1:{port}", log)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"zuji serve exited: {service.output()}")
        if cert is None:
            named = re.search(r"is at (\S+?);", service.output())
            cert = Path(named.group(1)) if named else None
        if cert is not None and _answers(service.url, cert):
            return Host(
                service,
                service.url,
                cert,
                None if self_signed else (cert, Path(tls[-1])),
            )
        time.sleep(0.2)
    service.stop()
    raise RuntimeError(f"zuji serve did not answer within {wait} s: {service.output()}")


def _answers(url: str, cert: Path) -> bool:
    try:
        return httpx.get(url + "/health", verify=tls_context(cert), timeout=2).status_code == 200
    except httpx.TransportError:
        return False
