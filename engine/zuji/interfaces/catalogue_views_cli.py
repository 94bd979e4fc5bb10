"""`zuji catalogue list|show|log|export`: reading the catalogue from the command line.

Tables for people (rich), `--json` for programs; an export writes the published footprints as
PACT JSON, JSON Lines or CSV, to a file atomically (a reader never sees half an export).
"""

# Annotations not postponed: typer reads them at every start (see cli.py).

from collections.abc import Iterable
from io import StringIO
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from zuji.core.errors import Diagnostic, UsageError
from zuji.core.i18n import N_, _
from zuji.interfaces.catalogue_cli import Db
from zuji.interfaces.catalogue_steps_cli import JsonOut, say, say_json, word
from zuji.interfaces.cli_words import ZujiCommand

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from zuji.catalogue.queries import Filters
    from zuji.catalogue.records import Entry, Listed

Pcr = Annotated[
    str | None,
    typer.Option("--pcr", help=N_("Only footprints under this PCR id")),
]
EnterpriseName = Annotated[
    str | None,
    typer.Option("--enterprise", help=N_("Only this enterprise's (its name)")),
]
Status = Annotated[
    str | None,
    typer.Option("--status", help=N_("Active or Deprecated")),
]
Limit = Annotated[
    int,
    typer.Option("--limit", min=1, help=N_("At most this many rows")),
]


def table(headers: list[str], rows: list[list[str]]) -> str:
    """A table for the terminal, as wide as its content; names are text, never rich markup."""
    from rich.console import Console
    from rich.table import Table

    out = StringIO()
    console = Console(file=out, width=240, color_system=None, markup=False, highlight=False)
    grid = Table(*headers, show_edge=False, pad_edge=False)
    for row in rows:
        grid.add_row(*row)
    console.print(grid)
    return "\n".join(line.rstrip() for line in out.getvalue().splitlines())


def filters(pcr: str | None, enterprise: str | None, status: str | None) -> "Filters":
    from zuji.catalogue.queries import STATUSES, Filters

    if status is not None and status.capitalize() not in STATUSES:
        raise UsageError(
            Diagnostic("E952", f"--status {status}: a footprint is Active or Deprecated")
        )
    return Filters(
        pcr_id=pcr, enterprise=enterprise, status=status.capitalize() if status else None
    )


# ----------------------------------------------------------------------------- list


def list_records(
    submissions: Annotated[
        bool,
        typer.Option("--submissions", help=N_("List submissions instead of footprints")),
    ] = False,
    state: Annotated[
        str | None,
        typer.Option("--state", help=N_("Submissions in this state: submitted, accepted, ...")),
    ] = None,
    pcr: Pcr = None,
    enterprise: EnterpriseName = None,
    status: Status = None,
    limit: Limit = 100,
    as_json: JsonOut = False,
    db: Db = None,
) -> None:
    """Published footprints (or, with --submissions, submissions), newest first."""
    from zuji.catalogue.store import open_store

    if submissions and status is not None:
        raise UsageError(
            Diagnostic("E952", "--status filters footprints; submissions have --state")
        )
    if state is not None and not submissions:
        raise UsageError(Diagnostic("E952", "--state filters submissions; add --submissions"))
    with open_store(db, create=False) as store, store.reading() as session:
        if submissions:
            _list_submissions(session, state, pcr, enterprise, limit, as_json)
        else:
            _list_footprints(session, filters(pcr, enterprise, status), limit, as_json)


def _list_submissions(
    session: "Session",
    state: str | None,
    pcr: str | None,
    enterprise: str | None,
    limit: int,
    as_json: bool,
) -> None:
    from zuji.catalogue.records import STATES, submission_list

    if state is not None and state not in STATES:
        raise UsageError(
            Diagnostic("E952", f"--state {state}: a submission is {', '.join(STATES)}")
        )
    found = submission_list(session, (state,) if state else (), enterprise, pcr, limit)
    if as_json:
        say_json([_submission_json(row) for row in found])
        return
    if not found:
        say(_("no submissions"))
        return
    headers = [_("id"), _("enterprise"), _("product"), "PCR", _("state"), _("total"), _("unit")]
    headers += [_("submitted by"), _("submitted at")]
    say(table(headers, [_submission_row(row) for row in found]))
    _more(len(found), limit)


def _submission_json(row: "Listed") -> dict[str, Any]:
    s = row.submission
    return {
        "id": s.id,
        "enterprise": row.enterprise,
        "product": row.product,
        "pcr": s.pcr_id,
        "pcr_version": s.pcr_version,
        "state": s.state,
        "total": s.total,
        "declared_unit": s.declared_unit,
        "submitted_by": s.submitted_by,
        "submitted_at": s.submitted_at.isoformat(),
    }


def _submission_row(row: "Listed") -> list[str]:
    s = row.submission
    return [
        s.id,
        row.enterprise,
        row.product,
        f"{s.pcr_id} {s.pcr_version}",
        word(s.state),
        f"{s.total:,.2f}",
        s.declared_unit,
        s.submitted_by,
        f"{s.submitted_at:%Y-%m-%d %H:%M}",
    ]


def _list_footprints(session: "Session", chosen: "Filters", limit: int, as_json: bool) -> None:
    from zuji.catalogue.records import footprint_rows

    found = footprint_rows(session, chosen, limit)
    if as_json:
        say_json([row.__dict__ for row in found])
        return
    if not found:
        say(_("no footprints"))
        return
    headers = [_("id"), _("enterprise"), _("product"), "PCR", _("total"), _("unit"), _("status")]
    headers.append(_("valid until"))
    say(
        table(
            headers,
            [
                [
                    r.id,
                    r.enterprise,
                    r.product,
                    r.pcr,
                    f"{r.total:,.2f}",
                    r.declared_unit,
                    word(r.status),
                    f"{r.valid_until:%Y-%m-%d}",
                ]
                for r in found
            ],
        )
    )
    _more(len(found), limit)


def _more(shown: int, limit: int) -> None:
    if shown == limit:  # there may be more than the table shows: say so, on stderr
        say(_("(the first {count}; --limit shows more)").format(count=limit), err=True)


# ----------------------------------------------------------------------------- log


def log(
    subject: Annotated[
        str | None,
        typer.Option("--subject", help=N_("Only entries about this id")),
    ] = None,
    after: Annotated[
        int,
        typer.Option("--after", help=N_("Only entries after this one")),
    ] = 0,
    limit: Limit = 1000,
    as_json: JsonOut = False,
    db: Db = None,
) -> None:
    """The audit log: who did what to which record, when and why, oldest first."""
    from zuji.catalogue.records import audit_log
    from zuji.catalogue.store import open_store

    with open_store(db, create=False) as store, store.reading() as session:
        entries = audit_log(session, [subject] if subject else (), after, limit)
    if as_json:
        say_json([e.as_dict() for e in entries])
        return
    say(trail_table(entries) if entries else _("no entries"))


def trail_table(entries: "list[Entry]") -> str:
    headers = ["#", _("when"), _("who"), _("action"), _("subject"), _("why")]
    return table(
        headers,
        [
            [
                str(e.id),
                f"{e.at:%Y-%m-%d %H:%M:%S}",
                e.actor,
                e.action,
                f"{e.subject_kind} {e.subject_id}",
                e.reason,
            ]
            for e in entries
        ],
    )


# ----------------------------------------------------------------------------- export


def export(
    output: Annotated[
        str,
        typer.Option("--format", "-f", help=N_("pact (JSON {data: [...]}), jsonl or csv")),
    ] = "pact",
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help=N_("Write to this file (atomically)")),
    ] = None,
    pcr: Pcr = None,
    enterprise: EnterpriseName = None,
    status: Status = None,
    db: Db = None,
) -> None:
    """The published footprints: PACT JSON, JSON Lines or CSV."""
    from zuji.catalogue.export import FORMATS, Export
    from zuji.catalogue.records import documents
    from zuji.catalogue.store import open_store
    from zuji.core.text import json_printable, printable

    if output not in FORMATS:
        raise UsageError(
            Diagnostic("E952", f"--format {output}: export writes {', '.join(FORMATS)}")
        )
    chosen = filters(pcr, enterprise, status)
    with open_store(db, create=False) as store, store.reading() as session:
        written = Export(documents(session, chosen), output)
        if out is None:
            shown = printable if output == "csv" else json_printable
            for piece in written:
                typer.echo(shown(piece), nl=False)
            return
        _write(out, written)
    say(_("wrote {count} footprints to {file}").format(count=written.count, file=out), err=True)


def _write(path: Path, pieces: Iterable[str]) -> None:
    from zuji.core.files import atomic_path

    with atomic_path(path) as temporary, temporary.open("w", encoding="utf-8", newline="") as f:
        for piece in pieces:
            f.write(piece)


def register(app: typer.Typer) -> None:
    app.command(
        "list",
        cls=ZujiCommand,
        help=N_("Published footprints (or, with --submissions, submissions), newest first."),
    )(list_records)
    app.command(
        "log",
        cls=ZujiCommand,
        help=N_("The audit log: who did what to which record, when and why."),
    )(log)
    app.command(
        "export",
        cls=ZujiCommand,
        help=N_("The published footprints: PACT JSON, JSON Lines or CSV."),
    )(export)
