"""`zuji catalogue show ID`: one submission or footprint with everything about it — its figures,
the verifiers' decisions and comments, its grades, and its audit trail."""

# Annotations not postponed: typer reads them at every start (see cli.py).

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from zuji.core.i18n import N_, _
from zuji.interfaces.catalogue_cli import Db
from zuji.interfaces.catalogue_steps_cli import JsonOut, say, say_json, word
from zuji.interfaces.catalogue_views_cli import trail_table
from zuji.interfaces.cli_words import ZujiCommand

if TYPE_CHECKING:
    from zuji.catalogue.records import FootprintRecord, SubmissionRecord


def show(
    record_id: Annotated[
        str,
        typer.Argument(help=N_("A submission's or a footprint's id")),
    ],
    as_json: JsonOut = False,
    inventory_out: Annotated[
        Path | None,
        typer.Option(
            "--inventory-out", help=N_("Write the submitted inventory's exact bytes here")
        ),
    ] = None,
    result_out: Annotated[
        Path | None,
        typer.Option(
            "--result-out", help=N_("Write the result file (signed, once published) here")
        ),
    ] = None,
    db: Db = None,
) -> None:
    """A submission or a footprint: its figures, verifications, grades and audit trail."""
    from zuji.catalogue.records import SubmissionRecord, record, submission_record
    from zuji.catalogue.store import open_store

    with open_store(db, create=False) as store, store.reading() as session:
        found = record(session, record_id)
        # A footprint's inventory and result are those of the submission it was published from.
        source = found
        if not isinstance(found, SubmissionRecord) and (inventory_out or result_out):
            source = submission_record(session, found.footprint.submission_id) or found
    if isinstance(source, SubmissionRecord):
        _save(source, inventory_out, result_out)
    if as_json:
        say_json(
            submission_json(found) if isinstance(found, SubmissionRecord) else footprint_json(found)
        )
    elif isinstance(found, SubmissionRecord):
        say(_submission_text(found))
    else:
        say(_footprint_text(found))


def _save(source: "SubmissionRecord", inventory: Path | None, result: Path | None) -> None:
    from zuji.core.files import write_atomic

    if inventory is not None:
        write_atomic(inventory, source.submission.inventory)
        say(_("wrote {file}").format(file=inventory), err=True)
    if result is not None:
        write_atomic(result, source.submission.result)
        say(_("wrote {file}").format(file=result), err=True)


def submission_json(found: "SubmissionRecord") -> dict[str, Any]:
    s = found.submission
    try:
        text: str | None = s.inventory.decode("utf-8")
    except UnicodeDecodeError:
        text = None  # a workbook: --inventory-out writes its bytes
    return {
        "kind": "submission",
        "id": s.id,
        "state": s.state,
        "enterprise": found.enterprise,
        "product": found.product,
        "pcr": {"id": s.pcr_id, "version": s.pcr_version, "sha256": s.pcr_sha256},
        "inventory": {
            "name": s.inventory_name,
            "sha256": s.inventory_sha256,
            "bytes": len(s.inventory),
            "text": text,
        },
        "total": s.total,
        "declared_unit": s.declared_unit,
        "reference_period": [s.period_start, s.period_end],
        "submitted_by": s.submitted_by,
        "submitted_at": s.submitted_at.isoformat(),
        "verifications": [d.__dict__ | {"at": d.at.isoformat()} for d in found.decisions],
        "footprint": found.footprint_id,
        "result": json.loads(s.result),
        "audit": [e.as_dict() for e in found.trail],
    }


def footprint_json(found: "FootprintRecord") -> dict[str, Any]:
    f = found.footprint
    return {
        "kind": "footprint",
        "id": f.id,
        "status": f.status,
        "enterprise": found.enterprise,
        "product": found.product,
        "pcr": {"id": f.pcr_id, "version": f.pcr_version},
        "total": f.total,
        "declared_unit": f.declared_unit,
        "valid_from": f.valid_from.isoformat(),
        "valid_until": f.valid_until.isoformat(),
        "preceding": f.preceding,
        "superseded_by": f.superseded_by,
        "submission": f.submission_id,
        "published_by": f.published_by,
        "published_at": f.published_at.isoformat(),
        "grades": [g.__dict__ | {"at": g.at.isoformat()} for g in found.grades],
        "document": found.document,
        "audit": [e.as_dict() for e in found.trail],
    }


def _submission_text(found: "SubmissionRecord") -> str:
    s = found.submission
    lines = [
        _("submission {id}: {state}").format(id=s.id, state=word(s.state)),
        _("  enterprise: {enterprise}  product: {product}").format(
            enterprise=found.enterprise, product=found.product
        ),
        _("  PCR {pcr} {version} (source sha256 {sha})").format(
            pcr=s.pcr_id, version=s.pcr_version, sha=s.pcr_sha256[:16]
        ),
        _("  inventory {name}: {size} bytes, sha256 {sha}").format(
            name=s.inventory_name, size=len(s.inventory), sha=s.inventory_sha256
        ),
        _("  total: {total} kg CO2e per {unit}").format(
            total=f"{s.total:,.4f}", unit=s.declared_unit
        ),
        _("  submitted by {who} at {when}").format(who=s.submitted_by, when=_when(s.submitted_at)),
    ]
    if found.footprint_id:
        lines.append(_("  published as footprint {id}").format(id=found.footprint_id))
    lines.append(_("Verifications:") if found.decisions else _("Verifications: none yet"))
    lines += [
        f"  {_when(d.at)}  {d.verifier}  {word(d.decision)}"
        + (f": {d.comments}" if d.comments else "")
        for d in found.decisions
    ]
    return "\n".join([*lines, _("Audit trail:"), trail_table(found.trail)])


def _footprint_text(found: "FootprintRecord") -> str:
    from zuji.catalogue.grades import GradeLine, basis_word, describe

    f = found.footprint
    lines = [
        _("footprint {id}: {status}").format(id=f.id, status=word(f.status)),
        _("  enterprise: {enterprise}  product: {product}").format(
            enterprise=found.enterprise, product=found.product
        ),
        f"  PCR {f.pcr_id} {f.pcr_version}",
        _("  total: {total} kg CO2e per {unit}").format(
            total=f"{f.total:,.4f}", unit=f.declared_unit
        ),
        _("  valid from {start} until {end}").format(
            start=f"{f.valid_from:%Y-%m-%d}", end=f"{f.valid_until:%Y-%m-%d}"
        ),
        _("  published by {who} at {when}, from submission {id}").format(
            who=f.published_by, when=_when(f.published_at), id=f.submission_id
        ),
    ]
    if f.preceding:
        lines.append(_("  supersedes {ids}").format(ids=", ".join(f.preceding)))
    if f.superseded_by:
        lines.append(_("  superseded by {id}").format(id=f.superseded_by))
    lines.append(_("Grades:") if found.grades else _("Grades: none yet"))
    lines += [
        _("  {basis}: {described}").format(
            basis=basis_word(g.basis),
            described=describe(GradeLine(g.basis, g.grade, g.value, g.detail)),
        )
        for g in found.grades
    ]
    return "\n".join([*lines, _("Audit trail:"), trail_table(found.trail)])


def _when(at: Any) -> str:
    return f"{at:%Y-%m-%d %H:%M:%S} UTC"


def register(app: typer.Typer) -> None:
    app.command(
        "show",
        cls=ZujiCommand,
        help=N_("A submission or a footprint: figures, verifications, grades, audit trail."),
    )(show)
