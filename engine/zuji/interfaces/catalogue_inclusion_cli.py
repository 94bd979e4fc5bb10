"""`zuji catalogue baseline set|list`, `open-data` and `open-data-licence`: the category
baselines carbon-inclusion apps measure reductions against, and the published catalogue as an
open dataset written to a folder (the files /open-data serves)."""

# Annotations not postponed: typer reads them at every start (see cli.py).

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from zuji.core.i18n import N_, _
from zuji.interfaces.catalogue_cli import By, Db, actor_name
from zuji.interfaces.catalogue_steps_cli import JsonOut, say, say_json
from zuji.interfaces.catalogue_views_cli import table
from zuji.interfaces.cli_words import ZujiCommand, ZujiGroup

baseline_app = typer.Typer(cls=ZujiGroup, no_args_is_help=True, rich_markup_mode=None)


def set_command(
    pcr: Annotated[str, typer.Argument(help=N_("The PCR (product category), e.g. cement"))],
    value: Annotated[
        float, typer.Argument(help=N_("The baseline, kg CO2e per the PCR's declared unit"))
    ],
    source: Annotated[
        str, typer.Option("--source", help=N_("Where the figure comes from (required)"))
    ],
    valid_from: Annotated[
        datetime | None,
        typer.Option(
            "--from", formats=["%Y-%m-%d"], help=N_("The day it applies from (default: today)")
        ),
    ] = None,
    unit: Annotated[
        str | None,
        typer.Option("--unit", help=N_("The declared unit it is per; must be the PCR's")),
    ] = None,
    db: Db = None,
    by: By = None,
) -> None:
    """Set a product category's baseline from a day on."""
    from zuji.catalogue.baselines import set_baseline
    from zuji.catalogue.store import open_store

    day = valid_from.date() if valid_from is not None else None
    with open_store(db) as store:
        entry = set_baseline(store, pcr, value, source, actor_name(by), day, unit)
    say(
        _("baseline of {pcr}: {value} kg CO2e per {unit} from {day}").format(
            pcr=entry.pcr_id,
            value=f"{entry.value:g}",
            unit=entry.declared_unit,
            day=f"{entry.valid_from:%Y-%m-%d}",
        )
    )


def list_command(as_json: JsonOut = False, db: Db = None) -> None:
    """Every baseline set, by PCR and date (the record, including those replaced)."""
    from zuji.catalogue.baselines import baseline_list
    from zuji.catalogue.store import open_store

    with open_store(db, create=False) as store, store.reading() as session:
        entries = baseline_list(session)
    if as_json:
        say_json(
            [
                {
                    "pcr": e.pcr_id,
                    "value": e.value,
                    "declared_unit": e.declared_unit,
                    "valid_from": f"{e.valid_from:%Y-%m-%d}",
                    "source": e.source,
                    "set_by": e.set_by,
                    "set_at": e.set_at.isoformat(),
                }
                for e in entries
            ]
        )
        return
    if not entries:
        say(_("no baselines; set one with `zuji catalogue baseline set PCR VALUE --source TEXT`"))
        return
    headers = [_("PCR"), _("kg CO2e"), _("per"), _("from"), _("source"), _("set by")]
    rows = [
        [e.pcr_id, f"{e.value:g}", e.declared_unit, f"{e.valid_from:%Y-%m-%d}", e.source, e.set_by]
        for e in entries
    ]
    say(table(headers, rows))


def open_data(
    out_dir: Annotated[Path, typer.Argument(help=N_("The folder to write the files into"))],
    db: Db = None,
) -> None:
    """Write the published catalogue as open data: footprints.csv, footprints.parquet and the
    data dictionary (JSON and CSV)."""
    from zuji.catalogue.opendata_files import FILES, write
    from zuji.catalogue.store import open_store
    from zuji.core.errors import Diagnostic, UsageError

    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(
            Diagnostic(
                "E952",
                f"{out_dir} is a file, not a folder to write the open data into",
                hint="name a folder (it is made if it does not exist)",
            )
        )
    with open_store(db, create=False) as store, store.reading() as session:
        rows = write(session, out_dir)
    for name in FILES:
        say(str(out_dir / name))
    say(_("{rows} footprints written").format(rows=rows), err=True)


def licence_command(
    zh: Annotated[
        str | None, typer.Option("--zh", help=N_("The licence statement in Chinese"))
    ] = None,
    en: Annotated[
        str | None, typer.Option("--en", help=N_("The licence statement in English"))
    ] = None,
    db: Db = None,
    by: By = None,
) -> None:
    """State the open data's licence (shown on /open-data); without options, show it."""
    from zuji.catalogue.opendata_files import licence, set_licence
    from zuji.catalogue.store import open_store

    with open_store(db) as store:
        if zh is None and en is None:
            with store.reading() as session:
                terms = licence(session)
        else:
            terms = set_licence(store, actor_name(by), zh, en)
    say(terms["zh"])
    say(terms["en"])


def register(app: typer.Typer) -> None:
    baseline_app.command(
        "set", cls=ZujiCommand, help=N_("Set a product category's baseline from a day on.")
    )(set_command)
    baseline_app.command(
        "list",
        cls=ZujiCommand,
        help=N_("Every baseline set, by PCR and date (the record, including those replaced)."),
    )(list_command)
    app.add_typer(
        baseline_app,
        name="baseline",
        help=N_("The category baselines carbon-inclusion apps measure reductions against."),
    )
    app.command(
        "open-data",
        cls=ZujiCommand,
        help=N_(
            "Write the published catalogue as open data: footprints.csv, footprints.parquet "
            "and the data dictionary (JSON and CSV)."
        ),
    )(open_data)
    app.command(
        "open-data-licence",
        cls=ZujiCommand,
        help=N_("State the open data's licence (shown on /open-data); without options, show it."),
    )(licence_command)
