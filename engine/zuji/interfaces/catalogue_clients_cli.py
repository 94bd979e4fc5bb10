"""`zuji catalogue client add|list|remove`, `share` and `enterprise add`: who may use the
catalogue's HTTP API, in which role, which customers read an enterprise's footprints, and the
enterprises filed before their first submission (so that their clients can be made).

A client's secret is printed once, when it is made; the catalogue keeps only its scrypt hash.
"""

# Annotations not postponed: typer reads them at every start (see cli.py).

from typing import TYPE_CHECKING, Annotated

import typer

from zuji.core.i18n import N_, _
from zuji.interfaces.catalogue_cli import By, Db, actor_name
from zuji.interfaces.catalogue_steps_cli import JsonOut, say, say_json
from zuji.interfaces.catalogue_views_cli import table
from zuji.interfaces.cli_words import ZujiCommand, ZujiGroup

if TYPE_CHECKING:
    from zuji.catalogue.tables import Client

client_app = typer.Typer(cls=ZujiGroup, no_args_is_help=True, rich_markup_mode=None)
enterprise_app = typer.Typer(cls=ZujiGroup, no_args_is_help=True, rich_markup_mode=None)


def add(
    name: Annotated[
        str,
        typer.Argument(help=N_("The client's id, e.g. acme-cement")),
    ],
    role: Annotated[
        list[str],
        typer.Option(
            "--role",
            help=N_("enterprise, verifier, admin, customer or app (repeat for more)"),
        ),
    ],
    enterprise: Annotated[
        str | None,
        typer.Option("--enterprise", help=N_("The enterprise an enterprise client acts for")),
    ] = None,
    events_url: Annotated[
        str | None,
        typer.Option("--events-url", help=N_("The client's own PACT host, for answers to events")),
    ] = None,
    db: Db = None,
    by: By = None,
) -> None:
    """Make an API client and print its secret (shown this once only)."""
    from zuji.catalogue.clients import add_client
    from zuji.catalogue.store import open_store

    with open_store(db) as store:
        secret = add_client(store, name, role, actor_name(by), enterprise, events_url)
    say(f"client_id:     {name}")
    say(f"client_secret: {secret}")
    say(f"API key:       {name}:{secret}")
    say(_("(stored hashed in the catalogue; the secret cannot be shown again)"), err=True)


def list_clients(as_json: JsonOut = False, db: Db = None) -> None:
    """The catalogue's clients: id, roles, enterprise, events URL (never their secrets)."""
    from sqlalchemy import select

    from zuji.catalogue.store import open_store
    from zuji.catalogue.tables import Client, Enterprise

    with open_store(db, create=False) as store, store.reading() as session:
        rows = session.execute(
            select(Client, Enterprise.name)
            .outerjoin(Enterprise, Client.enterprise_id == Enterprise.id)
            .order_by(Client.client_id)
        ).all()
    if as_json:
        say_json([_client_json(c, enterprise) for c, enterprise in rows])
        return
    if not rows:
        say(_("no clients; add one with `zuji catalogue client add NAME --role ROLE`"))
        return
    headers = [_("client"), _("roles"), _("enterprise"), _("events URL"), _("created")]
    say(table(headers, [_client_row(c, enterprise) for c, enterprise in rows]))


def _client_json(client: "Client", enterprise: str | None) -> dict[str, object]:
    return {
        "client_id": client.client_id,
        "roles": list(client.scopes),
        "enterprise": enterprise,
        "events_url": client.events_url,
        "created": client.created_at.isoformat(),
    }


def _client_row(client: "Client", enterprise: str | None) -> list[str]:
    created = f"{client.created_at:%Y-%m-%d %H:%M}"
    roles = " ".join(client.scopes)
    return [client.client_id, roles, enterprise or "-", client.events_url or "-", created]


def remove(
    name: Annotated[
        str,
        typer.Argument(help=N_("The client's id")),
    ],
    db: Db = None,
    by: By = None,
) -> None:
    """Remove a client: its API key and tokens stop working."""
    from zuji.catalogue.clients import remove_client
    from zuji.catalogue.store import open_store

    with open_store(db, create=False) as store:
        remove_client(store, name, actor_name(by))
    say(_("removed client {id}").format(id=name))


def share(
    enterprise: Annotated[
        str,
        typer.Argument(help=N_("The enterprise, as its inventories name it")),
    ],
    client: Annotated[
        str,
        typer.Argument(help=N_("The customer's client id")),
    ],
    db: Db = None,
    by: By = None,
) -> None:
    """Let a customer's client read an enterprise's published footprints by PACT."""
    from zuji.catalogue.clients import share as share_with
    from zuji.catalogue.store import open_store

    with open_store(db, create=False) as store:
        share_with(store, enterprise, client, actor_name(by))
    say(
        _("{client} may read the footprints of {enterprise}").format(
            client=client, enterprise=enterprise
        )
    )


def add_enterprise(
    name: Annotated[
        str,
        typer.Argument(help=N_("The enterprise's name, as its inventories give it")),
    ],
    region: Annotated[
        str | None,
        typer.Option("--region", help=N_("ISO 3166-2 region, e.g. CN-SD")),
    ] = None,
    company_id: Annotated[
        list[str] | None,
        typer.Option("--company-id", help=N_("A URN naming it, e.g. urn:uscc:… (repeat for more)")),
    ] = None,
    db: Db = None,
    by: By = None,
) -> None:
    """File an enterprise before its first submission, so a client can act for it."""
    from zuji.catalogue import workflow
    from zuji.catalogue.store import open_store

    actor = workflow.programme_staff(actor_name(by))
    with open_store(db) as store:
        number, new = workflow.register_enterprise(
            store, name, actor, region, tuple(company_id or ())
        )
    said = _("filed enterprise {name} (id {id})") if new else _("{name} is filed already (id {id})")
    say(said.format(name=name.strip(), id=number))


def register(app: typer.Typer) -> None:
    client_app.command(
        "add", cls=ZujiCommand, help=N_("Make an API client and print its secret (shown once).")
    )(add)
    client_app.command(
        "list",
        cls=ZujiCommand,
        help=N_("The catalogue's clients: id, roles, enterprise (never their secrets)."),
    )(list_clients)
    client_app.command(
        "remove", cls=ZujiCommand, help=N_("Remove a client: its API key and tokens stop working.")
    )(remove)
    app.add_typer(
        client_app, name="client", help=N_("API clients of the catalogue, each with its roles.")
    )
    app.command(
        "share",
        cls=ZujiCommand,
        help=N_("Let a customer's client read an enterprise's published footprints."),
    )(share)
    enterprise_app.command(
        "add",
        cls=ZujiCommand,
        help=N_("File an enterprise before its first submission, so a client can act for it."),
    )(add_enterprise)
    app.add_typer(enterprise_app, name="enterprise", help=N_("The enterprises in the catalogue."))
