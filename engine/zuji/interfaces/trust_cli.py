"""The commands that make results provable: keys new, sign, verify, and pact (a PACT document
from a result file, carrying its signature). Registered on the main app by cli.py."""

# Annotations not postponed: typer reads them at every start (see cli.py).

import json
from pathlib import Path
from typing import Annotated

import typer

from zuji.core.files import write_atomic
from zuji.core.i18n import N_, _
from zuji.core.text import json_printable, printable
from zuji.interfaces.cli_words import ZujiCommand, ZujiGroup

keys_app = typer.Typer(
    cls=ZujiGroup, no_args_is_help=True, rich_markup_mode=None, help=N_("Signing keys for results.")
)


@keys_app.command(
    "new",
    cls=ZujiCommand,
    help=N_("Make an Ed25519 key pair: a private key (mode 0600) and its public key beside it."),
)
def keys_new(
    out: Annotated[Path, typer.Option("--out", help=N_("Folder to write the key pair in"))] = Path(
        "."
    ),
) -> None:
    """Make an Ed25519 key pair: a private key (mode 0600) and its public key beside it."""
    from zuji.exchange.signing import new_keys

    pair = new_keys(out)
    typer.echo(_("private key: {path} (keep it secret; mode 0600)").format(path=pair.private))
    typer.echo(_("public key:  {path} (give it to verifiers)").format(path=pair.public))
    typer.echo(_("key id:      {id}").format(id=pair.key_id))


def sign_command(
    result: Annotated[Path, typer.Argument(help=N_("A JSON result (zuji run --format json)"))],
    key: Annotated[Path, typer.Option("--key", help=N_("The private key file (zuji keys new)"))],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help=N_("Where to write (default: in place)"))
    ] = None,
    detached: Annotated[
        bool,
        typer.Option("--detached", help=N_("Write the signature alone (default RESULT.sig)")),
    ] = False,
) -> None:
    """Sign a result: Ed25519 over its RFC 8785 canonical JSON, stored in it or detached."""
    from zuji.exchange.result_file import read_result
    from zuji.exchange.signing import load_private, sign

    private = load_private(key)
    file = read_result(result)
    signature = sign(file.document, private, file.label)
    block = signature.model_dump()
    if detached:
        target = out or result.with_name(result.name + ".sig")
        write_atomic(target, json.dumps(block, indent=2) + "\n")
    else:
        target = out or result
        document = {k: v for k, v in file.document.items() if k != "signature"}
        document["signature"] = block
        write_atomic(target, json.dumps(document, ensure_ascii=False, indent=2) + "\n")
    typer.echo(
        printable(
            _("signed {file} with key {key}: {target}").format(
                file=file.label, key=signature.key_id, target=target
            )
        )
    )


def verify_command(
    result: Annotated[Path, typer.Argument(help=N_("A JSON result file"))],
    key: Annotated[
        Path | None, typer.Option("--key", help=N_("The signer's public key file"))
    ] = None,
    inventory: Annotated[
        Path | None,
        typer.Option("--inventory", "-i", help=N_("The inventory the result was computed from")),
    ] = None,
    pcr: Annotated[
        Path | None,
        typer.Option("--pcr", help=N_("The rule file it was computed with, if not the library's")),
    ] = None,
    signature: Annotated[
        Path | None, typer.Option("--signature", help=N_("A detached signature file"))
    ] = None,
) -> None:
    """Prove a result: its signature, its inventory's hash, and every field recomputed."""
    from zuji.exchange.result_file import read_result
    from zuji.exchange.signing import load_public
    from zuji.exchange.verify import read_detached, verify

    public = load_public(key) if key else None
    detached = read_detached(signature) if signature else None
    if inventory is not None and not inventory.is_file():
        from zuji.core.errors import Diagnostic, UsageError

        raise UsageError(Diagnostic("E002", f"inventory file {inventory} not found"))
    file = read_result(result)
    outcome = verify(file, public, detached, inventory, pcr)
    typer.echo(printable(outcome.report()))  # it quotes the result's texts
    if not outcome.proven:
        raise typer.Exit(1)


def pact_command(
    result: Annotated[Path, typer.Argument(help=N_("A JSON result file, signed or not"))],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help=N_("Write the document to this file"))
    ] = None,
) -> None:
    """A PACT ProductFootprint from a result file; a signed result's signature goes with it."""
    from zuji.exchange.pact import to_pact
    from zuji.exchange.result_file import read_result

    file = read_result(result)
    text = json.dumps(to_pact(file.result), ensure_ascii=False, indent=2)
    if out is None:
        typer.echo(json_printable(text))
    else:
        write_atomic(out, text + "\n")
        typer.echo(_("wrote {path}").format(path=out))


def register(app: typer.Typer) -> None:
    app.add_typer(keys_app, name="keys")
    app.command(
        "sign",
        cls=ZujiCommand,
        help=N_(
            "Sign a result: Ed25519 over its RFC 8785 canonical JSON, stored in it or detached."
        ),
    )(sign_command)
    app.command(
        "verify",
        cls=ZujiCommand,
        help=N_("Prove a result: its signature, its inventory's hash, and every field recomputed."),
    )(verify_command)
    app.command(
        "pact",
        cls=ZujiCommand,
        help=N_(
            "A PACT ProductFootprint from a result file; a signed result's signature goes with it."
        ),
    )(pact_command)


__all__ = ["register"]
