"""`zuji catalogue …`: the programme's catalogue from the command line.

Whoever runs these commands holds the database, so holds every role; `--by NAME` says who they
are for the audit log (default: the login name). The commands of each part of the catalogue are
registered on `catalogue_app` by their own module.
"""

# Annotations not postponed: typer reads them at every start (see cli.py).

import getpass
from pathlib import Path
from typing import Annotated

import typer

from zuji.core.i18n import N_, _
from zuji.interfaces.cli_words import ZujiCommand, ZujiGroup

catalogue_app = typer.Typer(cls=ZujiGroup, no_args_is_help=True, rich_markup_mode=None)

_DB_HELP = N_(
    "The catalogue: a SQLite file or postgresql://USER@HOST:PORT/NAME (default: "
    "$ZUJI_CATALOGUE, else zuji-catalogue.db in the working folder)"
)
Db = Annotated[str | None, typer.Option("--db", help=_DB_HELP)]
By = Annotated[
    str | None,
    typer.Option("--by", help=N_("Who takes this step (the audit log)")),
]


def actor_name(by: str | None) -> str:
    """The name the audit log records: --by, else the login name."""
    if by:
        return by.strip()[:64]
    try:
        return f"cli:{getpass.getuser()}"[:64]
    except (KeyError, OSError):  # a container user with no passwd entry
        return "cli"


def init(
    db: Db = None,
    signing_key: Annotated[
        Path | None,
        typer.Option(
            "--signing-key",
            help=N_(
                "Sign every result published from now on with this private key (zuji keys new)"
            ),
        ),
    ] = None,
    by: By = None,
) -> None:
    """Create the catalogue (or bring its schema up to date) and say where it is."""
    from zuji.catalogue.store import open_store

    with open_store(db) as store:
        typer.echo(
            _("catalogue ready: {where} ({kind})").format(where=store.label, kind=store.kind)
        )
        if signing_key is not None:
            from zuji.catalogue.publishing import set_signing_key

            named = set_signing_key(store, signing_key, actor_name(by))
            typer.echo(_("publications are signed with key {key}").format(key=named))


def register(app: typer.Typer) -> None:
    from zuji.interfaces import catalogue_admin_cli

    catalogue_admin_cli.register(catalogue_app)
    catalogue_app.command(
        "init",
        cls=ZujiCommand,
        help=N_("Create the catalogue (or bring its schema up to date) and say where it is."),
    )(init)
    from zuji.interfaces.catalogue_steps_cli import register as _steps

    _steps(catalogue_app)
    from zuji.interfaces.catalogue_views_cli import register as _views

    _views(catalogue_app)
    from zuji.interfaces.catalogue_show_cli import register as _show

    _show(catalogue_app)
    from zuji.interfaces.catalogue_clients_cli import register as _clients

    _clients(catalogue_app)
    from zuji.interfaces.label_cli import register_programme

    register_programme(catalogue_app)
    from zuji.interfaces.catalogue_inclusion_cli import register as _inclusion

    _inclusion(catalogue_app)
    from zuji.interfaces.pact_cli import register as register_pact

    register_pact(catalogue_app)
    app.add_typer(
        catalogue_app,
        name="catalogue",
        help=N_(
            "The programme's catalogue: submit, verify, publish, re-evaluate, grade, notices, "
            "PACT clients."
        ),
    )
