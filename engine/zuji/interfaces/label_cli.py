"""`zuji label FOOTPRINT_ID --format svg|png|pdf`: a published footprint's label, and
`zuji catalogue programme`: the programme's names and the public address labels lead to.

The label's renderer (segno, cairosvg) is imported when a label is made: `zuji --help` does
not load it. Registered on the main app by cli.py and on `zuji catalogue` by catalogue_cli.
"""

# Annotations not postponed: typer reads them at every start (see cli.py).

import sys
from pathlib import Path
from typing import Annotated

import typer

from zuji.core import i18n
from zuji.core.errors import Diagnostic, UsageError
from zuji.core.i18n import N_, _
from zuji.core.text import printable
from zuji.interfaces.catalogue_cli import By, Db, actor_name
from zuji.interfaces.cli_words import ZujiCommand

_LANGS = ("zh", "en")


def label_command(
    footprint_id: Annotated[str, typer.Argument(help=N_("A published footprint's id"))],
    catalogue: Annotated[
        str | None,
        typer.Option(
            "--catalogue",
            help=N_(
                "The catalogue: a SQLite file or postgresql://USER@HOST:PORT/NAME (default: "
                "$ZUJI_CATALOGUE, else zuji-catalogue.db in the working folder)"
            ),
        ),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help=N_("svg, png or pdf"))] = "svg",
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help=N_("File to write, - for standard output (default: label-ID.FORMAT)"),
        ),
    ] = None,
    lang: Annotated[
        str | None, typer.Option("--lang", help=N_("zh or en: the label's first language (zh)"))
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            help=N_(
                "The platform's address the QR code leads to when the programme has set none "
                "(zuji catalogue programme --url)"
            ),
        ),
    ] = None,
) -> None:
    """A published footprint's label: its footprint per declared unit, grades, validity and
    the QR code of its public page."""
    # The command line takes --lang for the whole run; a label is Chinese first otherwise.
    lang = lang or i18n.chosen() or "zh"
    if lang not in _LANGS:
        raise UsageError(Diagnostic("E004", f"unknown language {lang}; use zh or en"))
    from zuji.catalogue.labels import label
    from zuji.catalogue.store import open_store
    from zuji.core.files import write_atomic
    from zuji.interfaces.label_render import FORMATS, render

    if fmt not in FORMATS:
        raise UsageError(Diagnostic("E004", f"unknown format {fmt}; use " + ", ".join(FORMATS)))
    with open_store(catalogue, create=False) as store, store.reading() as session:
        made = label(session, footprint_id, base_url or "")
    drawn = render(made, fmt, lang)
    if output is not None and str(output) == "-":
        sys.stdout.buffer.write(drawn)
        sys.stdout.buffer.flush()
        return
    target = output or Path(f"label-{made.footprint_id}.{fmt}")
    write_atomic(target, drawn)
    typer.echo(_("wrote {path}").format(path=target), err=True)


def programme_command(
    name_zh: Annotated[
        str | None, typer.Option("--name-zh", help=N_("The programme's name in Chinese"))
    ] = None,
    name_en: Annotated[
        str | None, typer.Option("--name-en", help=N_("The programme's name in English"))
    ] = None,
    url: Annotated[
        str | None,
        typer.Option(
            "--url",
            help=N_("The platform's public address, which labels' QR codes lead to"),
        ),
    ] = None,
    db: Db = None,
    by: By = None,
) -> None:
    """Set the programme's names and public address; without options, show them."""
    from zuji.catalogue.programme import programme, set_programme
    from zuji.catalogue.store import open_store

    with open_store(db, create=False) as store:
        if name_zh is None and name_en is None and url is None:
            with store.reading() as session:
                named = programme(session)
        else:
            named = set_programme(store, actor_name(by), name_zh, name_en, url)
    typer.echo(printable(_("name (zh): {name}").format(name=named.name_zh)))
    typer.echo(printable(_("name (en): {name}").format(name=named.name_en)))
    typer.echo(printable(_("public address: {url}").format(url=named.url or _("(none set)"))))


def register(app: typer.Typer) -> None:
    app.command(
        "label",
        cls=ZujiCommand,
        help=N_(
            "A published footprint's label (svg, png or pdf): its footprint per declared unit, "
            "grades, validity and the QR code of its public page."
        ),
    )(label_command)


def register_programme(catalogue_app: typer.Typer) -> None:
    catalogue_app.command(
        "programme",
        cls=ZujiCommand,
        help=N_("Set the programme's names and public address; without options, show them."),
    )(programme_command)
