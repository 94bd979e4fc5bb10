"""`zuji catalogue submit|verify|publish|deprecate`: the workflow's steps from the command line.

Each step is one transaction (catalogue.workflow): a bad inventory, a step out of order or a
missing comment prints its diagnostic, exits 1 and stores nothing.
"""

# Annotations not postponed: typer reads them at every start (see cli.py).

import json
from pathlib import Path
from typing import Annotated

import typer

from zuji.core.errors import Diagnostic, UsageError
from zuji.core.i18n import N_, _
from zuji.core.text import json_printable, printable
from zuji.interfaces.catalogue_cli import By, Db, actor_name
from zuji.interfaces.cli_words import ZujiCommand

JsonOut = Annotated[
    bool,
    typer.Option("--json", help=N_("JSON out")),
]

# The workflow's words as people read them; the JSON and the database keep the English.
_WORDS = {
    "submitted": N_("submitted"),
    "accepted": N_("accepted"),
    "returned": N_("returned"),
    "published": N_("published"),
    "Active": N_("Active"),
    "Deprecated": N_("Deprecated"),
}


def word(state: str) -> str:
    """A state or status in the reader's language."""
    return _(_WORDS[state]) if state in _WORDS else state


def say(text: str, err: bool = False) -> None:
    """Text for people: names from inventories may hold control or bidi characters."""
    typer.echo(printable(text), err=err)


def say_json(value: object) -> None:
    typer.echo(json_printable(json.dumps(value, ensure_ascii=False, indent=2, default=str)))


def inventory_bytes(path: Path) -> bytes:
    """A file's exact bytes, as the catalogue keeps them; within the document size limit."""
    from zuji.core import limits
    from zuji.core.confined import read_regular
    from zuji.core.documents import within_size
    from zuji.core.errors import InventoryError, file_label, read_as

    label = file_label(path)
    if not path.is_file():
        raise UsageError(Diagnostic("E002", f"inventory file {label} not found"))
    most = limits.current().document_bytes
    try:
        raw = read_regular(path, most)
    except OSError as exc:
        raise UsageError(Diagnostic("E002", f"cannot read {label}: {exc.strerror}")) from None
    if raw is None:
        raise UsageError(Diagnostic("E002", f"{label} is not a regular file"))
    with read_as(InventoryError):
        within_size(len(raw), label, "document_bytes", at_least=len(raw) > most)
    return raw


def submit(
    pcr: Annotated[
        str,
        typer.Argument(help=N_("PCR id or path")),
    ],
    inventory: Annotated[
        Path,
        typer.Argument(help=N_("Inventory YAML/JSON, xlsx or CSV")),
    ],
    hs_code: Annotated[
        str | None,
        typer.Option("--hs-code", help=N_("The product's HS or CN code, e.g. 2523.29")),
    ] = None,
    region: Annotated[
        str | None,
        typer.Option("--region", help=N_("The enterprise's ISO 3166-2 region, e.g. CN-SD")),
    ] = None,
    db: Db = None,
    by: By = None,
    as_json: JsonOut = False,
) -> None:
    """Evaluate an inventory and file it in the catalogue for verification."""
    from zuji.catalogue import workflow
    from zuji.catalogue.store import open_store
    from zuji.core.errors import file_label
    from zuji.runtime.pcr import load as load_pcr

    rule = load_pcr(pcr)
    raw = inventory_bytes(inventory)
    actor = workflow.programme_staff(actor_name(by))
    with open_store(db) as store:
        done = workflow.submit(
            store, rule, raw, file_label(inventory), actor, hs_code=hs_code, region=region
        )
    if as_json:
        say_json(
            {
                "submission": done.submission_id,
                "state": "submitted",
                "enterprise": done.enterprise,
                "product": done.product,
                "total": done.total,
                "declared_unit": done.declared_unit,
            }
        )
        return
    say(_("submitted {id}").format(id=done.submission_id))
    say(
        _("{enterprise} / {product}: {total} kg CO2e per {unit}").format(
            enterprise=done.enterprise,
            product=done.product,
            total=f"{done.total:,.4f}",
            unit=done.declared_unit,
        )
    )


def verify(
    submission: Annotated[
        str,
        typer.Argument(help=N_("The submission's id")),
    ],
    accept: Annotated[
        bool | None,
        typer.Option("--accept/--return", help=N_("Accept it, or return it to the enterprise")),
    ] = None,
    comments: Annotated[
        str,
        typer.Option("--comments", help=N_("What the verifier found (needed to return)")),
    ] = "",
    db: Db = None,
    by: By = None,
) -> None:
    """A verifier's decision: accept the submission, or return it with comments."""
    from zuji.catalogue import workflow
    from zuji.catalogue.store import open_store

    if accept is None:
        raise UsageError(
            Diagnostic(
                "E952",
                "zuji catalogue verify needs a decision: --accept or --return",
                hint="--return also needs --comments saying what to fix",
            )
        )
    with open_store(db, create=False) as store:
        decision = workflow.verify(
            store, submission, workflow.programme_staff(actor_name(by)), accept, comments
        )
    say(_("submission {id} {decision}").format(id=submission, decision=word(decision)))


def publish(
    submission: Annotated[
        str,
        typer.Argument(help=N_("The accepted submission's id")),
    ],
    signing_key: Annotated[
        Path | None,
        typer.Option(
            "--signing-key",
            help=N_(
                "Sign the result with this private key (default: the catalogue's, if it has one)"
            ),
        ),
    ] = None,
    reason: Annotated[
        str,
        typer.Option("--reason", help=N_("Why (the audit log)")),
    ] = "",
    db: Db = None,
    by: By = None,
) -> None:
    """Publish an accepted submission as a PACT ProductFootprint."""
    from zuji.catalogue import workflow
    from zuji.catalogue.publishing import signer
    from zuji.catalogue.store import open_store

    with open_store(db, create=False) as store:
        sign = signer(store, signing_key)
        actor = workflow.programme_staff(actor_name(by))
        footprint = workflow.publish(store, submission, actor, sign=sign, reason=reason)
    say(_("published footprint {id}").format(id=footprint))
    if sign is None:
        say(
            _("(not signed: the catalogue has no signing key; see `zuji catalogue init`)"), err=True
        )


def deprecate(
    footprint: Annotated[
        str,
        typer.Argument(help=N_("The footprint's id")),
    ],
    reason: Annotated[
        str,
        typer.Option("--reason", help=N_("Why it is withdrawn")),
    ] = "",
    db: Db = None,
    by: By = None,
) -> None:
    """Withdraw a published footprint: it stays readable, marked Deprecated."""
    from zuji.catalogue import workflow
    from zuji.catalogue.store import open_store

    with open_store(db, create=False) as store:
        workflow.deprecate(store, footprint, workflow.programme_staff(actor_name(by)), reason)
    say(_("footprint {id} deprecated").format(id=footprint))


def register(app: typer.Typer) -> None:
    app.command(
        "submit", cls=ZujiCommand, help=N_("Evaluate an inventory and file it in the catalogue.")
    )(submit)
    app.command(
        "verify",
        cls=ZujiCommand,
        help=N_("A verifier's decision: accept a submission, or return it with comments."),
    )(verify)
    app.command(
        "publish",
        cls=ZujiCommand,
        help=N_("Publish an accepted submission as a PACT ProductFootprint."),
    )(publish)
    app.command(
        "deprecate",
        cls=ZujiCommand,
        help=N_("Withdraw a published footprint: it stays readable, Deprecated."),
    )(deprecate)
