"""`zuji catalogue partner|events|pull|suppliers`: the catalogue's PACT exchange from the command
line: the partner hosts it holds credentials for, the queue of PACT events (answers to send,
requests to answer), pulling a supplier's footprints, and the supplier footprints received.
"""

# Annotations not postponed: typer reads them at every start (see cli.py).

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from zuji.core.i18n import N_, _
from zuji.interfaces.catalogue_cli import By, Db, actor_name
from zuji.interfaces.cli_words import ZujiCommand, ZujiGroup

partner_app = typer.Typer(cls=ZujiGroup, no_args_is_help=True, rich_markup_mode=None)
events_app = typer.Typer(cls=ZujiGroup, no_args_is_help=True, rich_markup_mode=None)

# Help texts are marked (N_) and put into the reader's language when the help is shown.
Url = Annotated[
    str, typer.Argument(help=N_("The PACT host's base URL, e.g. https://pact.example.com"))
]
Ca = Annotated[
    Path | None,
    typer.Option(
        "--ca", help=N_("A PEM CA certificate to trust for this host (self-signed hosts)")
    ),
]
Json = Annotated[bool, typer.Option("--json", help=N_("JSON out"))]


def _ca(path: Path | None) -> str | None:
    from zuji.core.errors import CatalogueError, Diagnostic

    if path is None:
        return None
    try:
        return path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogueError(
            Diagnostic("E957", f"--ca {path.name} cannot be read: {exc}")
        ) from None


def partner_add(
    url: Url,
    client_id: Annotated[str, typer.Option("--client-id", help=N_("The id its host issued"))],
    client_secret: Annotated[
        str,
        typer.Option(
            "--client-secret",
            prompt=True,
            hide_input=True,
            help=N_("The secret (asked if not given)"),
        ),
    ],
    ca: Ca = None,
    db: Db = None,
    by: By = None,
) -> None:
    """Record the credentials a partner's PACT host issued to the catalogue."""
    from zuji.catalogue.partners import add_partner
    from zuji.catalogue.store import open_store

    with open_store(db, create=False) as store:
        partner = add_partner(store, url, client_id, client_secret, actor_name(by), _ca(ca))
    typer.echo(_("partner {url}: client {client_id}").format(url=partner.url, client_id=client_id))
    typer.echo(_("(its secret is stored as given: protect the catalogue's database)"), err=True)


def partner_list(db: Db = None, as_json: Json = False) -> None:
    """The partner hosts and the client ids the catalogue uses with them (never the secrets)."""
    from zuji.catalogue.partners import partners
    from zuji.catalogue.store import open_store

    with open_store(db, create=False) as store:
        rows = [
            {"url": p.url, "client_id": p.client_id, "ca": p.ca is not None}
            for p in partners(store)
        ]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
    elif not rows:
        typer.echo(_("no partners; add one with `zuji catalogue partner add URL`"))
    for row in [] if as_json else rows:
        typer.echo(f"{row['url']:48} {row['client_id']}")


def partner_remove(url: Url, db: Db = None, by: By = None) -> None:
    """Forget a partner's credentials: answers to its host can no longer be sent."""
    from zuji.catalogue.partners import remove_partner
    from zuji.catalogue.store import open_store

    with open_store(db, create=False) as store:
        remove_partner(store, url, actor_name(by))
    typer.echo(_("removed partner {url}").format(url=url))


def events_list(
    state: Annotated[
        str | None, typer.Option(help=N_("pending, sending, done, abandoned or received"))
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help=N_("At most this many, newest first"))] = 50,
    db: Db = None,
    as_json: Json = False,
) -> None:
    """The PACT events received and sent: type, state, tries and the last error."""
    from sqlalchemy import select

    from zuji.catalogue.store import open_store
    from zuji.catalogue.tables import PactEvent

    query = select(PactEvent).order_by(PactEvent.id.desc()).limit(limit)
    if state:
        query = query.where(PactEvent.state == state)
    with open_store(db, create=False) as store, store.reading() as session:
        rows: list[dict[str, Any]] = [
            {
                "direction": e.direction,
                "type": e.type.rsplit(".", 2)[-2] if e.type.count(".") > 2 else e.type,
                "id": e.event_id,
                "state": e.state,
                "attempts": e.attempts,
                "peer": e.target,
                "last_error": e.last_error,
                "at": e.created_at.isoformat(),
            }
            for e in session.scalars(query)
        ]
    if as_json:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    for r in rows:
        line = f"{r['direction']:3} {r['type']:24} {r['state']:9} {r['attempts']:>3} {r['peer']}"
        typer.echo(line + (f"  {str(r['last_error'])[:100]}" if r["last_error"] else ""))


def events_send(db: Db = None) -> None:
    """Answer the pending requests and send every pending event now, without waiting for its
    next try (the service's sender does this by itself, every second)."""
    from zuji.catalogue.pact_delivery import drain
    from zuji.catalogue.store import open_store

    with open_store(db, create=False) as store:
        done = drain(store, force=True)
    typer.echo(
        _(
            "answered {answered} requests; sent {sent} events, {failed} failed, "
            "{abandoned} abandoned"
        ).format(
            answered=done.answered, sent=done.sent, failed=done.failed, abandoned=done.abandoned
        )
    )
    if done.failed:
        raise typer.Exit(1)


def pull(
    url: Url,
    client_id: Annotated[
        str | None, typer.Option("--client-id", help=N_("The id the supplier's host issued"))
    ] = None,
    client_secret: Annotated[
        str | None, typer.Option("--client-secret", help=N_("Its secret (default: the partner's)"))
    ] = None,
    ca: Ca = None,
    page: Annotated[
        int, typer.Option(min=1, max=1000, help=N_("Footprints asked for per page"))
    ] = 100,
    db: Db = None,
    by: By = None,
) -> None:
    """Fetch a supplier's PACT footprints (ListFootprints, and the ids it announced) into the
    catalogue, for inventories to use as supplier inputs."""
    from zuji.catalogue.pact_client import pull as pull_footprints
    from zuji.catalogue.store import open_store

    with open_store(db, create=False) as store:
        done = pull_footprints(store, url, actor_name(by), client_id, client_secret, _ca(ca), page)
    typer.echo(
        _(
            "pulled from {source}: {new} new, {updated} updated, {same} unchanged, "
            "{refused} refused"
        ).format(
            source=done.source,
            new=done.new,
            updated=done.updated,
            same=done.same,
            refused=len(done.refused),
        )
    )
    for reason in done.refused:
        typer.echo(_("refused: {reason}").format(reason=reason), err=True)
    if done.refused:
        raise typer.Exit(1)


def suppliers(
    source: Annotated[str | None, typer.Option(help=N_("Only those from this host"))] = None,
    export: Annotated[
        Path | None, typer.Option(help=N_("Write each as <id>.json into this folder"))
    ] = None,
    db: Db = None,
    as_json: Json = False,
) -> None:
    """The suppliers' footprints the catalogue received (pulled, or sent in answer to a
    request); --export writes them as files an inventory names as supplier inputs."""
    from zuji.catalogue import received
    from zuji.catalogue.partners import checked_url
    from zuji.catalogue.store import open_store

    with open_store(db, create=False) as store:
        rows = received.received(store, checked_url(source) if source else None)
    if export is not None:
        written = received.export(rows, export)
        typer.echo(
            _("wrote {count} footprints into {folder}").format(count=len(written), folder=export)
        )
        return
    if as_json:
        typer.echo(json.dumps([r.document for r in rows], indent=2, ensure_ascii=False))
        return
    for r in rows:
        typer.echo(
            f"{r.id}  {r.status:10} {r.pcf:>14} kg CO2e / {r.declared_unit:16} "
            f"{r.company} · {r.product}  ({r.source}, {r.via})"
        )


_COMMANDS = (
    (
        partner_app,
        "add",
        partner_add,
        N_("Record the credentials a partner's PACT host issued to the catalogue."),
    ),
    (
        partner_app,
        "list",
        partner_list,
        N_(
            "The partner hosts and the client ids the catalogue uses with them (never the secrets)."
        ),
    ),
    (
        partner_app,
        "remove",
        partner_remove,
        N_("Forget a partner's credentials: answers to its host can no longer be sent."),
    ),
    (
        events_app,
        "list",
        events_list,
        N_("The PACT events received and sent: type, state, tries and the last error."),
    ),
    (
        events_app,
        "send",
        events_send,
        N_("Answer the pending requests and send every pending PACT event now."),
    ),
)


def register(catalogue_app: typer.Typer) -> None:
    for group, name, command, text in _COMMANDS:
        group.command(name, cls=ZujiCommand, help=text)(command)
    catalogue_app.add_typer(
        partner_app,
        name="partner",
        help=N_("The PACT hosts the catalogue exchanges with, and its credentials for each."),
    )
    catalogue_app.add_typer(
        events_app,
        name="events",
        help=N_("The queue of PACT events: requests to answer, answers to send."),
    )
    catalogue_app.command(
        "pull",
        cls=ZujiCommand,
        help=N_(
            "Fetch a supplier's PACT footprints into the catalogue, for use as supplier inputs."
        ),
    )(pull)
    catalogue_app.command(
        "suppliers",
        cls=ZujiCommand,
        help=N_(
            "The suppliers' PACT footprints the catalogue received; --export writes them as files."
        ),
    )(suppliers)
