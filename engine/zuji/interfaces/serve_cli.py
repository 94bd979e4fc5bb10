"""`zuji serve`: the HTTP service on uvicorn, with its workers, limits and exposure.

Several workers are uvicorn's own worker processes (`--workers N`): uvicorn supervises them,
restarts one that dies and, on SIGTERM or Ctrl-C, lets each finish the requests it is serving
before it exits. A pre-fork of our own would repeat that. Each worker process has its own
evaluation threads, checker processes and compiled PCRs.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Annotated

import typer

from zuji.core.errors import Diagnostic, UsageError

_GRACE = 5.0  # seconds past the time budget an in-flight request gets at shutdown


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def serve_command(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes")] = 1,
    public: Annotated[
        bool, typer.Option("--public", help="Allow listening beyond this machine (loopback)")
    ] = False,
    allow_host: Annotated[
        list[str] | None,
        typer.Option("--allow-host", help="A Host name to answer for (repeat; * for any)"),
    ] = None,
    cors_origin: Annotated[
        list[str] | None,
        typer.Option("--cors-origin", help="A web origin allowed to call the API (repeat)"),
    ] = None,
    budget: Annotated[
        float, typer.Option(min=0.1, help="Seconds one evaluation or check may take (then 503)")
    ] = 10.0,
    body_timeout: Annotated[
        float, typer.Option(min=0.1, help="Seconds a request body may take to arrive (then 408)")
    ] = 10.0,
    checkers: Annotated[
        int, typer.Option(min=1, max=16, help="Rule-checking processes per worker")
    ] = 1,
    clients: Annotated[
        Path | None, typer.Option(help="The clients file (default: $ZUJI_CLIENTS or ~/.config)")
    ] = None,
) -> None:
    """The HTTP API (OpenAPI at /openapi.json, interactive docs at /docs)."""
    import uvicorn

    from zuji.core.access import default_clients_file
    from zuji.interfaces.serve_config import ENVIRONMENT, LOOPBACK_NAMES, ServiceConfig

    if not is_loopback(host) and not public:
        raise UsageError(
            Diagnostic(
                "E912",
                f"--host {host} listens beyond this machine",
                hint="add --public to mean it (and serve it behind an HTTPS proxy)",
            )
        )
    hosts = tuple(allow_host or ())
    if not hosts:
        wildcard = host in ("0.0.0.0", "::", "")
        hosts = LOOPBACK_NAMES if wildcard or is_loopback(host) else (*LOOPBACK_NAMES, host)
    if public and not is_loopback(host):
        typer.echo(
            f"warning: zuji serve listens on {host}:{port}, reachable from other machines. It "
            "speaks plain HTTP: put it behind an HTTPS proxy. Host names answered: "
            + ", ".join(hosts)
            + " (--allow-host to add).",
            err=True,
        )
    config = ServiceConfig(
        budget=budget,
        body_timeout=body_timeout,
        allowed_hosts=hosts,
        cors_origins=tuple(cors_origin or ()),
        clients_file=(clients or default_clients_file()).resolve(),
        checkers=checkers,
    )
    # uvicorn's workers are new processes: they rebuild the app from these settings.
    os.environ[ENVIRONMENT] = config.to_environment()
    uvicorn.run(
        "zuji.interfaces.serve:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        server_header=False,
        timeout_graceful_shutdown=int(budget + _GRACE),
        timeout_keep_alive=5,
        log_level="info",
    )


def register(app: typer.Typer) -> None:
    app.command("serve")(serve_command)
