"""The settings of one run of the HTTP service, shared by every worker process it starts.

`zuji serve` builds them from its options; worker processes started by uvicorn rebuild the app
from the same settings, handed over in an environment variable as JSON.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from zuji.core.access import default_clients_file

MAX_BODY_BYTES = 2_000_000  # an inventory of a large plant with every delivery is ~100 kB
MAX_RULE_BYTES = 200_000  # the longest bundled PCR is under 20 kB
ENVIRONMENT = "ZUJI_SERVE_SETTINGS"
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1", "[::1]")


@dataclass(frozen=True)
class ServiceConfig:
    max_body: int = MAX_BODY_BYTES
    max_rule: int = MAX_RULE_BYTES
    # Seconds one evaluation or check may take before the caller gets 503. A bundled PCR
    # evaluates in milliseconds and checks in well under a second; ten seconds leaves room for
    # a loaded machine without letting one caller hold a worker.
    budget: float = 10.0
    # Seconds a request body may take to arrive: a client trickling a byte a second is cut off.
    body_timeout: float = 10.0
    allowed_hosts: tuple[str, ...] = LOOPBACK_NAMES
    cors_origins: tuple[str, ...] = ()
    clients_file: Path = field(default_factory=default_clients_file)
    # Processes per worker that check rule texts; a check over budget kills its process.
    checkers: int = 1
    # Threads per worker that evaluate inventories (the event loop never does). Evaluation is
    # CPU-bound and holds the interpreter lock, so more threads add no throughput to a worker
    # (more workers do) and only make the event loop wait longer for the lock. On the HTTP
    # benchmark (4 workers, 32 clients, runs alternated on one machine) one thread gave 530-750
    # evaluations/s at 2.6-3.6 ms of CPU each, two threads 510-580/s at 3.3-3.8 ms.
    threads: int = 1
    # The catalogue served (a SQLite file or a postgresql:// URL): its workflow routes and the
    # PACT v3 host; its clients replace the clients file. None: the engine's routes only.
    catalogue: str | None = None
    # The service speaks TLS (zuji serve --tls-cert/--tls-key or --tls-self-signed).
    tls: bool = False
    # Listening beyond this machine (--public with a non-loopback --host).
    exposed: bool = False
    # The PACT actions answer plain HTTP too: only behind a proxy that terminates TLS, or in a
    # test on loopback (serve_pact_transport).
    insecure_pact: bool = False
    # A built documentation site (mkdocs' site/) served at /rules/, where the public product
    # pages link each PCR's rule page; None: they link the PCR's JSON (/pcrs/ID) instead.
    docs_site: str | None = None
    # Requests a minute each carbon-inclusion API key may make, per worker process (a token
    # bucket in each: with W workers up to W×N; web/inclusion_keys.py).
    inclusion_rate: int = 600
    # Megabytes of public pages each worker keeps and serves again while the catalogue is
    # unchanged (web/page_cache.py); 0 writes every page afresh.
    page_cache_mb: int = 96

    def to_environment(self) -> str:
        values = asdict(self)
        values["clients_file"] = str(self.clients_file)
        return json.dumps(values)

    @staticmethod
    def from_environment() -> ServiceConfig:
        """The settings `zuji serve` handed to its worker processes, or the defaults."""
        text = os.environ.get(ENVIRONMENT)
        if not text:
            return ServiceConfig()
        values = json.loads(text)
        values["clients_file"] = Path(values["clients_file"])
        values["allowed_hosts"] = tuple(values["allowed_hosts"])
        values["cors_origins"] = tuple(values["cors_origins"])
        return ServiceConfig(**values)
