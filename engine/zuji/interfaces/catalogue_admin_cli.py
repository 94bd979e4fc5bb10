"""`zuji catalogue reevaluate|grade|grades|notice`: the administrator's commands of the
catalogue — re-evaluation when rules or datasets change, grades, and notices to enterprises."""

# Annotations not postponed: typer reads them at every start (see cli.py).

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer

from zuji.core.i18n import N_, _
from zuji.interfaces.catalogue_cli import By, Db, actor_name
from zuji.interfaces.cli_words import ZujiCommand, ZujiGroup

if TYPE_CHECKING:
    from zuji.catalogue.reevaluate import Summary
    from zuji.catalogue.reevaluation_publish import MovedItem
    from zuji.catalogue.store import Store

notice_app = typer.Typer(cls=ZujiGroup, no_args_is_help=True, rich_markup_mode=None)

AsJson = Annotated[bool, typer.Option("--json", help=N_("JSON out"))]


def _staff(by: str | None) -> Any:
    from zuji.catalogue.workflow import programme_staff

    return programme_staff(actor_name(by))


# ----------------------------------------------------------------------------- reevaluate


def reevaluate(
    pcr: Annotated[str | None, typer.Option("--pcr", help=N_("The PCR whose rule changed"))] = None,
    dataset: Annotated[
        str | None, typer.Option("--dataset", help=N_("The dataset whose version changed"))
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help=N_("Finish the runs a killed process left"))
    ] = False,
    approve: Annotated[
        str | None, typer.Option("--approve", help=N_("Publish what run RUN moved"), metavar="RUN")
    ] = None,
    reject: Annotated[
        str | None, typer.Option("--reject", help=N_("Close run RUN"), metavar="RUN")
    ] = None,
    show: Annotated[
        str | None, typer.Option("--show", help=N_("What run RUN moved"), metavar="RUN")
    ] = None,
    list_runs: Annotated[bool, typer.Option("--list", help=N_("The runs, newest first"))] = False,
    limit: Annotated[int, typer.Option("--limit", help=N_("Footprints listed"), min=1)] = 50,
    chunk: Annotated[
        int, typer.Option("--chunk", help=N_("Footprints per transaction"), min=1)
    ] = 2000,
    reason: Annotated[str, typer.Option("--reason", help=N_("Why (the audit log)"))] = "",
    as_json: AsJson = False,
    db: Db = None,
    by: By = None,
) -> None:
    """Re-run the published footprints a rule or dataset change affects, list what moved,
    and approve (publish new versions) or reject the run."""
    from zuji.catalogue.store import open_store

    with open_store(db, create=False) as store:
        if approve:
            _approve(store, approve, by, as_json)
        elif reject:
            _reject(store, reject, by, reason)
        elif show:
            _show(store, show, limit, as_json)
        elif list_runs:
            _list(store, as_json)
        else:
            _run(store, pcr, dataset, resume, chunk, limit, by, as_json)


def _run(
    store: "Store",
    pcr: str | None,
    dataset: str | None,
    resume: bool,
    chunk: int,
    limit: int,
    by: str | None,
    as_json: bool,
) -> None:
    from zuji.catalogue import reevaluate as r

    finished = [r.run(store, run_id, chunk=chunk) for run_id in r.unfinished(store)]
    for summary in finished:
        typer.echo(_("resumed {run}").format(run=summary.run_id), err=True)
    if resume and not (pcr or dataset):
        if not finished:
            typer.echo(_("no re-evaluation was left unfinished"), err=True)
        for summary in finished:
            _report(store, summary, limit, as_json)
        return
    started = r.start(store, _staff(by), pcr, dataset)
    if started is None:
        typer.echo(_("no published footprint is affected: nothing to re-evaluate"))
        return
    typer.echo(
        _("re-evaluating {n} footprints of {pcrs} (run {run})").format(
            n=started.items, pcrs=", ".join(started.pcrs), run=started.run_id
        ),
        err=True,
    )
    _report(store, r.run(store, started.run_id, chunk=chunk), limit, as_json)


def _report(store: "Store", summary: "Summary", limit: int, as_json: bool) -> None:
    from zuji.catalogue.reevaluation_publish import moved

    items = moved(store, summary.run_id, limit)
    if as_json:
        typer.echo(json.dumps(run_json(summary, items), ensure_ascii=False, indent=2))
        return
    _summary_lines(summary)
    for item in items:
        for line in item_lines(item):
            typer.echo(line)
    if summary.counts.get("moved"):
        typer.echo(
            _("approve: zuji catalogue reevaluate --approve {run}; reject: --reject {run}").format(
                run=summary.run_id
            )
        )


def _summary_lines(summary: "Summary") -> None:
    counts = summary.counts
    typer.echo(
        _("run {run} ({state}): {moved} moved, {same} unchanged, {failed} failed").format(
            run=summary.run_id,
            state=summary.state,
            moved=counts.get("moved", 0) + counts.get("published", 0),
            same=counts.get("same", 0),
            failed=counts.get("failed", 0),
        )
    )


def item_lines(item: "MovedItem") -> list[str]:
    """A moved footprint as lines of text: before, after, change, then the lines that moved it."""
    if item.after is None:
        return [
            f"  {item.footprint_id}  {item.enterprise} / {item.product}: "
            f"{_('failed')}: {item.detail.get('error', '')}"
        ]
    percent = f" ({item.percent:+.2f} %)" if item.percent is not None else ""
    head = (
        f"  {item.footprint_id}  {item.enterprise} / {item.product} [{item.pcr_id}]: "
        f"{item.before:.6g} -> {item.after:.6g} kg CO2e, {item.change:+.6g}{percent}"
    )
    return [head] + [
        f"      {m.stage}.{m.line}: {_figure(m.before)} -> {_figure(m.after)} ({m.change:+.6g})"
        for m in item.lines
    ]


def _figure(value: float | None) -> str:
    return "-" if value is None else f"{value:.6g}"


def run_json(summary: "Summary", items: "list[MovedItem]") -> dict[str, Any]:
    """A run and what it moved, as the command's --json and the HTTP API give it."""
    return {
        "id": summary.run_id,
        "state": summary.state,
        "trigger": {k: v for k, v in summary.trigger.items() if k != "library"},
        "counts": summary.counts,
        "moved": [
            {
                "footprint": i.footprint_id,
                "enterprise": i.enterprise,
                "product": i.product,
                "pcr": i.pcr_id,
                "state": i.state,
                "before": i.before,
                "after": i.after,
                "change": i.change,
                "percent": i.percent,
                "published": i.detail.get("published"),
                "error": i.detail.get("error"),
                "lines": [
                    {
                        "stage": m.stage,
                        "line": m.line,
                        "before": m.before,
                        "after": m.after,
                        "change": m.change,
                    }
                    for m in i.lines
                ],
            }
            for i in items
        ],
    }


def _approve(store: "Store", run_id: str, by: str | None, as_json: bool) -> None:
    from zuji.catalogue.reevaluation_publish import approve

    done = approve(store, run_id, _staff(by))
    if as_json:
        typer.echo(json.dumps(vars(done), indent=2))
        return
    typer.echo(
        _(
            "run {run} approved: {n} new footprint versions published, {stale} left "
            "(no longer Active); notice {notice}"
        ).format(run=run_id, n=len(done.published), stale=done.stale, notice=done.notice_id or "-")
    )


def _reject(store: "Store", run_id: str, by: str | None, reason: str) -> None:
    from zuji.catalogue.reevaluation_publish import reject

    reject(store, run_id, _staff(by), reason)
    typer.echo(_("run {run} rejected: nothing published").format(run=run_id))


def _show(store: "Store", run_id: str, limit: int, as_json: bool) -> None:
    from zuji.catalogue.reevaluate import summary

    _report(store, summary(store, run_id), limit, as_json)


def _list(store: "Store", as_json: bool) -> None:
    from zuji.catalogue.reevaluate import runs

    found = runs(store)
    if as_json:
        typer.echo(json.dumps([run_json(s, []) for s in found], ensure_ascii=False, indent=2))
        return
    for summary in found:
        _summary_lines(summary)


# ----------------------------------------------------------------------------- grades


def grade(
    everything: Annotated[
        bool, typer.Option("--all", help=N_("Grade every Active footprint again"))
    ] = False,
    share: Annotated[
        float | None,
        typer.Option("--advanced-share", help=N_("Share counted advanced (default 0.05: top 5 %)")),
    ] = None,
    db: Db = None,
    by: By = None,
) -> None:
    """Grade published footprints against their benchmarks and the catalogue's distribution."""
    from zuji.catalogue.grades import regrade, set_advanced_share
    from zuji.catalogue.store import open_store

    with open_store(db, create=False) as store:
        if share is not None:
            set_advanced_share(store, share, actor_name(by))
        done = regrade(store, actor_name(by), everything or share is not None)
    typer.echo(
        _("graded {n} footprints ({g} grades) under {pcrs}").format(
            n=done.footprints, g=done.grades, pcrs=", ".join(done.pcrs) or "-"
        )
    )


def grades(
    footprint: Annotated[str, typer.Argument(help=N_("The footprint's id"))],
    as_json: AsJson = False,
    db: Db = None,
) -> None:
    """A footprint's grades, each with its basis."""
    from zuji.catalogue.grades import basis_word, describe, grade_lines
    from zuji.catalogue.store import open_store
    from zuji.catalogue.tables import Footprint
    from zuji.core.errors import CatalogueError, Diagnostic

    with open_store(db, create=False) as store, store.reading() as session:
        if session.get(Footprint, footprint) is None:
            raise CatalogueError(Diagnostic("E949", f"no footprint {footprint} in the catalogue"))
        lines = grade_lines(session, footprint)
    if as_json:
        typer.echo(json.dumps([vars(g) for g in lines], ensure_ascii=False, indent=2))
        return
    if not lines:
        typer.echo(_("not graded yet: `zuji catalogue grade` grades it"))
    for line in lines:
        typer.echo(
            _("  {basis}: {described}")
            .format(basis=basis_word(line.basis), described=describe(line))
            .strip()
        )


# ----------------------------------------------------------------------------- notices


def send(
    kind: Annotated[str, typer.Option("--kind", help=N_("policy or finance"))],
    title: Annotated[str, typer.Option("--title", help=N_("The notice's title"))],
    body: Annotated[str, typer.Option("--body", help=N_("The notice's text"))],
    pcr: Annotated[
        str | None, typer.Option("--pcr", help=N_("Enterprises with a product under it"))
    ] = None,
    grade_name: Annotated[
        str | None, typer.Option("--grade", help=N_("Enterprises with a footprint of that grade"))
    ] = None,
    region: Annotated[str | None, typer.Option("--region", help=N_("e.g. CN-SD"))] = None,
    db: Db = None,
    by: By = None,
) -> None:
    """Send a policy or finance notice to enterprises chosen by product, grade or region."""
    from zuji.catalogue.notices import Audience
    from zuji.catalogue.notices import send as send_notice
    from zuji.catalogue.store import open_store

    with open_store(db, create=False) as store:
        notice_id, n = send_notice(
            store, _staff(by), kind, title, body, Audience(pcr, grade_name, region)
        )
    typer.echo(_("notice {id} sent to {n} enterprises").format(id=notice_id, n=n))


def list_notices(
    enterprise: Annotated[
        str | None, typer.Option("--enterprise", help=N_("One enterprise's notices"))
    ] = None,
    as_json: AsJson = False,
    db: Db = None,
) -> None:
    """The notices sent, newest first (or one enterprise's, with when it read them)."""
    from zuji.catalogue.notices import enterprise_named, listing
    from zuji.catalogue.store import open_store

    with open_store(db, create=False) as store:
        who = enterprise_named(store, enterprise) if enterprise else None
        rows = listing(store, who)
    if as_json:
        typer.echo(json.dumps([notice_json(r) for r in rows], ensure_ascii=False, indent=2))
        return
    for row in rows:
        read = "" if who is None else f"  {_('read') if row.read_at else _('unread')}"
        typer.echo(f"{row.id:>5}  {row.sent_at:%Y-%m-%d}  {row.kind:12} {row.title}{read}")


def notice_json(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "title": row.title,
        "body": row.body,
        "sentBy": row.sent_by,
        "sentAt": row.sent_at.isoformat(),
        "criteria": row.criteria,
        "recipients": row.recipients,
        "readAt": row.read_at.isoformat() if row.read_at else None,
    }


def register(catalogue_app: typer.Typer) -> None:
    catalogue_app.command(
        "reevaluate",
        cls=ZujiCommand,
        help=N_(
            "Re-run the published footprints a rule or dataset change affects, list what "
            "moved, and approve (publish new versions) or reject the run."
        ),
    )(reevaluate)
    catalogue_app.command(
        "grade",
        cls=ZujiCommand,
        help=N_(
            "Grade published footprints against their benchmarks and the catalogue's distribution."
        ),
    )(grade)
    catalogue_app.command(
        "grades", cls=ZujiCommand, help=N_("A footprint's grades, each with its basis.")
    )(grades)
    notice_app.command(
        "send",
        cls=ZujiCommand,
        help=N_(
            "Send a policy or finance notice to enterprises chosen by product, grade or region."
        ),
    )(send)
    notice_app.command(
        "list", cls=ZujiCommand, help=N_("The notices sent, newest first (or one enterprise's).")
    )(list_notices)
    catalogue_app.add_typer(notice_app, name="notice", help=N_("Notices to enterprises."))
