"""`zuji serve`: the HTTP service on uvicorn, with its workers, limits and exposure.

Several workers are uvicorn's own worker processes (`--workers N`): uvicorn supervises them,
restarts one that dies and, on SIGTERM or Ctrl-C, lets each finish the requests it is serving
before it exits. A pre-fork of our own would repeat that. Each worker process has its own
evaluation threads, checker processes and compiled PCRs.
"""

# Annotations not postponed: typer reads them at every start (see cli.py).

import ipaddress
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from zuji.core.errors import Diagnostic, UsageError
from zuji.core.i18n import N_, _
from zuji.interfaces.cli_words import ZujiCommand

if TYPE_CHECKING:
    from zuji.interfaces.serve_config import ServiceConfig

_GRACE = 5.0  # seconds past the time budget an in-flight request gets at shutdown


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


Catalogue = Annotated[
    str | None,
    typer.Option(
        help=N_(
            "Serve this catalogue (a SQLite file or postgresql:// URL): its workflow and "
            "the PACT v3 host; its clients replace the clients file"
        )
    ),
]
# The options of HTTPS (serve_tls) and of the PACT host's transport (serve_pact_transport).
TlsCert = Annotated[
    Path | None, typer.Option("--tls-cert", help=N_("Speak HTTPS with this PEM certificate"))
]
TlsKey = Annotated[
    Path | None, typer.Option("--tls-key", help=N_("The PEM private key of --tls-cert"))
]
TlsSelfSigned = Annotated[
    bool,
    typer.Option(
        "--tls-self-signed",
        help=N_("Speak HTTPS with a new self-signed certificate for this machine (testing)"),
    ),
]
DocsSite = Annotated[
    Path | None,
    typer.Option(
        "--docs-site",
        help=N_(
            "Serve this built documentation site (make docs: site/) at /rules/; product "
            "pages link their rule pages there"
        ),
    ),
]
InsecurePact = Annotated[
    bool,
    typer.Option(
        "--insecure-pact",
        help=N_("Let the PACT actions answer plain HTTP (only behind an HTTPS proxy)"),
    ),
]

# The carbon-inclusion API's limit per key (web/inclusion_keys.py).
InclusionRate = Annotated[
    int,
    typer.Option(
        "--inclusion-rate",
        min=1,
        help=N_(
            "Requests a minute each carbon-inclusion API key may make, in each worker "
            "process (with W workers up to W times as many)"
        ),
    ),
]
Budget = Annotated[
    float,
    typer.Option(min=0.001, help=N_("Seconds one evaluation or check may take (then 503)")),
]
BodyTimeout = Annotated[
    float,
    typer.Option(min=0.1, help=N_("Seconds a request body may take to arrive (then 408)")),
]
# The public pages each worker keeps (web/page_cache.py) and the workers share (page_files.py).
PageCacheSize = Annotated[
    int,
    typer.Option(
        "--page-cache",
        min=0,
        max=65536,
        help=N_(
            "Megabytes of public pages each worker keeps, and the machine's workers share in "
            "the user's cache folder, sent again while the catalogue is unchanged (0: write "
            "every page afresh)"
        ),
    ),
]


def serve_command(
    host: Annotated[str, typer.Option(help=N_("Address to listen on"))] = "127.0.0.1",
    port: Annotated[int, typer.Option(help=N_("Port to listen on"))] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help=N_("Worker processes"))] = 1,
    public: Annotated[
        bool, typer.Option("--public", help=N_("Allow listening beyond this machine (loopback)"))
    ] = False,
    allow_host: Annotated[
        list[str] | None,
        typer.Option("--allow-host", help=N_("A Host name to answer for (repeat; * for any)")),
    ] = None,
    cors_origin: Annotated[
        list[str] | None,
        typer.Option("--cors-origin", help=N_("A web origin allowed to call the API (repeat)")),
    ] = None,
    budget: Budget = 10.0,
    body_timeout: BodyTimeout = 10.0,
    checkers: Annotated[
        int, typer.Option(min=1, max=16, help=N_("Rule-checking processes per worker"))
    ] = 1,
    clients: Annotated[
        Path | None, typer.Option(help=N_("The clients file (default: $ZUJI_CLIENTS or ~/.config)"))
    ] = None,
    catalogue: Catalogue = None,
    tls_cert: TlsCert = None,
    tls_key: TlsKey = None,
    tls_self_signed: TlsSelfSigned = False,
    insecure_pact: InsecurePact = False,
    docs_site: DocsSite = None,
    inclusion_rate: InclusionRate = 600,
    page_cache: PageCacheSize = 96,
) -> None:
    """The HTTP API (OpenAPI at /openapi.json, interactive docs at /docs)."""
    from zuji.core.access import default_clients_file
    from zuji.interfaces.serve_config import ServiceConfig

    _refuse_beyond_loopback(host, public)
    tls = _tls(tls_cert, tls_key, tls_self_signed)
    config = ServiceConfig(
        budget=budget,
        body_timeout=body_timeout,
        allowed_hosts=_host_names(host, tuple(allow_host or ())),
        cors_origins=tuple(cors_origin or ()),
        clients_file=(clients or default_clients_file()).resolve(),
        checkers=checkers,
        catalogue=_catalogue_url(catalogue),
        tls=tls is not None,
        exposed=public and not is_loopback(host),
        insecure_pact=insecure_pact,
        docs_site=_docs_site(docs_site),
        inclusion_rate=inclusion_rate,
        page_cache_mb=page_cache,
    )
    _warnings(config, host, port, public)
    _launch(config, host, port, workers, tls)


def _tls(cert: Path | None, key: Path | None, self_signed: bool) -> tuple[Path, Path] | None:
    """The certificate and key to speak TLS with, checked, or None for plain HTTP."""
    from zuji.interfaces.serve_tls import checked_pair
    from zuji.interfaces.serve_tls import self_signed as make_self_signed

    if self_signed and (cert or key):
        raise UsageError(
            Diagnostic("E958", "--tls-self-signed makes its own certificate: drop --tls-cert/key")
        )
    if self_signed:
        made_cert, made_key = make_self_signed()
        typer.echo(
            _(
                "TLS: a self-signed certificate for 127.0.0.1 and localhost is at {path}; "
                "clients trust it as their CA (curl --cacert, NODE_EXTRA_CA_CERTS)"
            ).format(path=made_cert),
            err=True,
        )
        return made_cert, made_key
    if (cert is None) != (key is None):
        raise UsageError(
            Diagnostic("E958", "--tls-cert and --tls-key are given together", hint="give both")
        )
    return checked_pair(cert, key) if cert is not None and key is not None else None


def _refuse_beyond_loopback(host: str, public: bool) -> None:
    if not is_loopback(host) and not public:
        raise UsageError(
            Diagnostic(
                "E912",
                f"--host {host} listens beyond this machine",
                hint="add --public to mean it (and serve it behind an HTTPS proxy)",
            )
        )


def _catalogue_url(given: str | None) -> str | None:
    """The catalogue as every worker process opens it: an absolute file path or a URL. It is
    opened here first, so a wrong one stops the command before a worker starts."""
    if given is None:
        return None
    from zuji.catalogue.store import database_url, open_store

    open_store(given, create=False).close()
    return database_url(given).render_as_string(hide_password=False)


def _docs_site(given: Path | None) -> str | None:
    """The built documentation site's folder, absolute, checked to hold a site."""
    if given is None:
        return None
    if not (given / "index.html").is_file():
        raise UsageError(
            Diagnostic(
                "E970",
                f"--docs-site {given} holds no built documentation site (no index.html)",
                hint="build it with `make docs` and give its output folder (site/)",
            )
        )
    return str(given.resolve())


def _warnings(config: "ServiceConfig", host: str, port: int, public: bool) -> None:
    from zuji.core.access import read_registry

    if (
        config.catalogue is None and not read_registry(config.clients_file).clients
    ):  # a damaged file stops here, exit 2
        typer.echo(
            _(
                "warning: no clients yet: evaluating and checking will answer 401 until "
                "`zuji clients add NAME` adds one."
            ),
            err=True,
        )
    if public and not is_loopback(host) and not config.tls:
        typer.echo(
            _(
                "warning: zuji serve listens on {host}:{port}, reachable from other machines. "
                "It speaks plain HTTP: put it behind an HTTPS proxy. Host names answered: "
                "{hosts} (--allow-host to add)."
            ).format(host=host, port=port, hosts=", ".join(config.allowed_hosts)),
            err=True,
        )


def _launch(
    config: "ServiceConfig", host: str, port: int, workers: int, tls: tuple[Path, Path] | None
) -> None:
    import uvicorn

    from zuji.interfaces.serve_config import ENVIRONMENT

    # uvicorn's workers are new processes: they rebuild the app from these settings.
    os.environ[ENVIRONMENT] = config.to_environment()
    uvicorn.run(
        "zuji.interfaces.serve:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        server_header=False,
        timeout_graceful_shutdown=int(config.budget + _GRACE),
        timeout_keep_alive=5,
        http="zuji.interfaces.serve_protocol:HeadDeadline",
        log_level="info",
        ssl_certfile=str(tls[0]) if tls else None,
        ssl_keyfile=str(tls[1]) if tls else None,
    )


def _host_names(host: str, given: tuple[str, ...]) -> tuple[str, ...]:
    """The Host names answered: those given, else loopback's and the address listened on."""
    from zuji.interfaces.serve_config import LOOPBACK_NAMES

    if given:
        return given
    if host in ("0.0.0.0", "::", "") or is_loopback(host):
        return LOOPBACK_NAMES
    return (*LOOPBACK_NAMES, host)


def register(app: typer.Typer) -> None:
    app.command(
        "serve",
        cls=ZujiCommand,
        help=N_("The HTTP API (OpenAPI at /openapi.json, interactive docs at /docs)."),
    )(serve_command)
