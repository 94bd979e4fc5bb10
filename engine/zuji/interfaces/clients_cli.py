"""`zuji clients add|list|remove`: the clients allowed to evaluate and check over HTTP.

A client's secret is shown once, when it is added, and stored only as a scrypt hash.
"""

# Annotations not postponed: typer reads them at every start (see cli.py).

import json
from pathlib import Path
from typing import Annotated

import typer

from zuji.core.i18n import N_, _
from zuji.interfaces.cli_words import ZujiCommand, ZujiGroup

clients_app = typer.Typer(cls=ZujiGroup, no_args_is_help=True, rich_markup_mode=None)

_FILE_HELP = N_("The clients file (default: $ZUJI_CLIENTS, else ~/.config/zuji/clients.json)")
ClientsFile = Annotated[Path | None, typer.Option("--clients", help=_FILE_HELP)]


def _file(path: Path | None) -> Path:
    from zuji.core.access import default_clients_file

    return path or default_clients_file()


def add(
    client_id: Annotated[str, typer.Argument(help=N_("The client's id, e.g. acme-erp"))],
    scope: Annotated[
        list[str] | None,
        typer.Option("--scope", help=N_("evaluate or check (repeat); default: all")),
    ] = None,
    clients: ClientsFile = None,
) -> None:
    """Add a client and print its secret (shown this once only)."""
    from zuji.core.access import add_client

    path = _file(clients)
    secret = add_client(path, client_id, scope or ())
    # The three labels are the names other systems' settings use: they stay as they are.
    typer.echo(f"client_id:     {client_id}")
    typer.echo(f"client_secret: {secret}")
    typer.echo(f"API key:       {client_id}:{secret}")
    typer.echo(
        _("(stored hashed in {path}; the secret cannot be shown again)").format(path=path),
        err=True,
    )


def list_clients(
    as_json: Annotated[bool, typer.Option("--json", help=N_("JSON out"))] = False,
    clients: ClientsFile = None,
) -> None:
    """The clients: id, scopes, when added (never their secrets)."""
    from zuji.core.access import Gate

    rows = Gate(_file(clients)).describe()
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        typer.echo(_("no clients; add one with `zuji clients add NAME`"))
    for row in rows:
        typer.echo(f"{row['client_id']:24} {' '.join(row['scopes']):20} {row['created']}")


def remove(
    client_id: Annotated[str, typer.Argument(help=N_("The client's id"))],
    clients: ClientsFile = None,
) -> None:
    """Remove a client: its API key and tokens stop working at once, in running servers too."""
    from zuji.core.access import remove_client

    remove_client(_file(clients), client_id)
    typer.echo(_("removed {client}").format(client=client_id))


def register(app: typer.Typer) -> None:
    clients_app.command(
        "add", cls=ZujiCommand, help=N_("Add a client and print its secret (shown this once only).")
    )(add)
    clients_app.command(
        "list",
        cls=ZujiCommand,
        help=N_("The clients: id, scopes, when added (never their secrets)."),
    )(list_clients)
    clients_app.command(
        "remove",
        cls=ZujiCommand,
        help=N_(
            "Remove a client: its API key and tokens stop working at once, in running servers too."
        ),
    )(remove)
    app.add_typer(
        clients_app,
        name="clients",
        help=N_("Clients of the HTTP service: API keys and OAuth2 credentials."),
    )
