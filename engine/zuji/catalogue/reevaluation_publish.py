"""What a re-evaluation moved, line by line, and its outcome: approved (new versions of the
moved footprints supersede the old ones, and their enterprises get a notice) or rejected.

The lines that moved a footprint are found by evaluating its inventory once more by the scalar
path (which gives every line's figure) and comparing each line with the stored result's: this
costs a few milliseconds a footprint, so it is done for the footprints listed and for those
approved, not for every footprint of a run.

Approval is crash-safe like the run: each moved footprint is published in its own transaction,
together with its item's new state, and the run becomes `approved` (and the notice is sent) in
the last transaction; a killed approval is finished by approving again.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zuji.catalogue import notices
from zuji.catalogue.reevaluate import (
    Loader,
    close,
    get_run,
    inventory_document,
    library_pcr,
    same_library,
)
from zuji.catalogue.store import Store, audit
from zuji.catalogue.tables import (
    Enterprise,
    Footprint,
    Product,
    ReevaluationItem,
    Submission,
    Verification,
    now,
)
from zuji.catalogue.workflow import Actor, publish_within, result_json
from zuji.core.errors import CatalogueError, Diagnostic

if TYPE_CHECKING:
    from zuji.runtime.pcr import PCR
    from zuji.runtime.result import Result

LINES_SHOWN = 10


@dataclass(frozen=True)
class LineMove:
    """One line of a footprint whose figure moved (kg CO2e per declared unit)."""

    stage: str
    line: str
    before: float | None
    after: float | None

    @property
    def change(self) -> float:
        return (self.after or 0.0) - (self.before or 0.0)


@dataclass(frozen=True)
class MovedItem:
    footprint_id: str
    enterprise: str
    product: str
    pcr_id: str
    state: str
    before: float
    after: float | None
    detail: dict[str, Any]
    lines: tuple[LineMove, ...] = field(default=())

    @property
    def change(self) -> float | None:
        return None if self.after is None else self.after - self.before

    @property
    def percent(self) -> float | None:
        change = self.change
        return None if change is None or not self.before else 100.0 * change / self.before


# ----------------------------------------------------------------------------- lines


def line_moves(recorded: dict[str, Any], again: Result) -> tuple[LineMove, ...]:
    """The lines whose figure differs between a stored result and its re-evaluation, largest
    change first (a line only one side has is shown with None on the other)."""
    before = {(ln["stage"], ln["name"]): float(ln["co2e_kg"]) for ln in recorded.get("lines", [])}
    after = {(ln.stage, ln.name): ln.co2e_kg for ln in again.lines}
    moves = [
        LineMove(stage, name, before.get((stage, name)), after.get((stage, name)))
        for stage, name in {*before, *after}
        if (stage, name) not in before
        or (stage, name) not in after
        or not close(before[(stage, name)], after[(stage, name)])
    ]
    moves.sort(key=lambda m: (-abs(m.change), m.stage, m.line))
    return tuple(moves[:LINES_SHOWN])


def _as_json(moves: tuple[LineMove, ...]) -> list[dict[str, Any]]:
    return [{"stage": m.stage, "line": m.line, "before": m.before, "after": m.after} for m in moves]


def _from_json(rows: list[dict[str, Any]]) -> tuple[LineMove, ...]:
    return tuple(LineMove(r["stage"], r["line"], r["before"], r["after"]) for r in rows)


def evaluate_stored(pcr: PCR, raw: bytes, name: str) -> Result:
    """A stored inventory evaluated by the scalar path, as it was when submitted."""
    return pcr.evaluate(pcr.inventory(inventory_document(raw, name), name, received=raw))


# ----------------------------------------------------------------------------- listing


def moved(
    store: Store,
    run_id: str,
    limit: int = 50,
    load: Loader = library_pcr,
    states: tuple[str, ...] = ("moved", "published", "failed"),
) -> list[MovedItem]:
    """The run's footprints that moved (or failed), the largest change first, each with the
    lines that moved it."""
    loaded: dict[str, PCR] = {}
    with store.reading() as session:
        run = get_run(session, run_id)
        rows = session.execute(_listing(run_id, states).limit(limit)).all()
        out = []
        for item, footprint, enterprise, product, submission in rows:
            lines = _from_json(item.detail.get("lines", []))
            if item.state == "moved" and run.state in ("computed", "approving"):
                pcr = _loaded(footprint.pcr_id, run.trigger, loaded, load)
                again = evaluate_stored(pcr, submission.inventory, submission.inventory_name)
                lines = line_moves(json.loads(submission.result), again)
            out.append(
                MovedItem(
                    footprint.id,
                    enterprise,
                    product,
                    footprint.pcr_id,
                    item.state,
                    item.before,
                    item.after,
                    dict(item.detail),
                    lines,
                )
            )
        return out


def _listing(run_id: str, states: tuple[str, ...]) -> Any:
    moved_by = func.abs(
        func.coalesce(ReevaluationItem.after, ReevaluationItem.before) - (ReevaluationItem.before)
    )
    return (
        select(ReevaluationItem, Footprint, Enterprise.name, Product.name, Submission)
        .join(Footprint, Footprint.id == ReevaluationItem.footprint_id)
        .join(Submission, Submission.id == Footprint.submission_id)
        .join(Product, Product.id == Footprint.product_id)
        .join(Enterprise, Enterprise.id == Footprint.enterprise_id)
        .where(ReevaluationItem.reevaluation_id == run_id, ReevaluationItem.state.in_(states))
        .order_by(moved_by.desc(), ReevaluationItem.footprint_id)
    )


def _loaded(pcr_id: str, trigger: dict[str, Any], loaded: dict[str, PCR], load: Loader) -> PCR:
    if pcr_id not in loaded:
        pcr = load(pcr_id)
        same_library(pcr, trigger)
        loaded[pcr_id] = pcr
    return loaded[pcr_id]


# ----------------------------------------------------------------------------- approve, reject


@dataclass(frozen=True)
class Approved:
    run_id: str
    published: list[str]  # the new footprints' ids
    stale: int  # moved footprints no longer Active when approved: left alone
    notice_id: int | None


def approve(
    store: Store,
    run_id: str,
    actor: Actor,
    load: Loader = library_pcr,
    sign: Callable[[Result], Result] | None = None,
) -> Approved:
    """Publish new versions of the run's moved footprints, superseding the old; notify their
    enterprises. The footprints that did not move are left as they are."""
    actor.require("admin", "approve re-evaluations")
    with store.transaction() as session:
        run = get_run(session, run_id, ("computed", "approving"))
        trigger = dict(run.trigger)
        if run.state == "computed":
            run.state = "approving"
            audit(session, actor.name, "reevaluate approve", ("reevaluation", run_id))
    loaded: dict[str, PCR] = {}
    stale = 0
    for footprint_id in _moved_ids(store, run_id):
        stale += _publish_one(store, run_id, footprint_id, actor, trigger, loaded, load, sign)
    return _close(store, run_id, actor, stale)


def _moved_ids(store: Store, run_id: str) -> list[str]:
    with store.reading() as session:
        query = select(ReevaluationItem.footprint_id).where(
            ReevaluationItem.reevaluation_id == run_id, ReevaluationItem.state == "moved"
        )
        return sorted(session.scalars(query))


def _publish_one(
    store: Store,
    run_id: str,
    footprint_id: str,
    actor: Actor,
    trigger: dict[str, Any],
    loaded: dict[str, PCR],
    load: Loader,
    sign: Callable[[Result], Result] | None,
) -> int:
    """One moved footprint superseded by its new version, in one transaction; 1 when it was
    no longer Active (left alone), else 0."""
    with store.transaction() as session:
        item = session.get(ReevaluationItem, (run_id, footprint_id))
        old = session.get(Footprint, footprint_id)
        assert item is not None and old is not None  # foreign keys
        if old.status != "Active":
            item.state = "stale"
            return 1
        submitted = session.get(Submission, old.submission_id)
        assert submitted is not None
        pcr = _loaded(old.pcr_id, trigger, loaded, load)
        result = evaluate_stored(pcr, submitted.inventory, submitted.inventory_name)
        if item.after is None or not close(result.total, item.after):
            raise _changed(footprint_id, item.after, result.total)
        lines = line_moves(json.loads(submitted.result), result)
        if sign is not None:
            result = sign(result)
        new = _resubmit(session, submitted, result, pcr, run_id, actor)
        footprint = publish_within(session, new, result, actor, f"re-evaluation {run_id}")
        item.state = "published"
        item.detail = {**item.detail, "published": footprint.id, "lines": _as_json(lines)}
        return 0


def _changed(footprint_id: str, computed: float | None, now_total: float) -> CatalogueError:
    return CatalogueError(
        Diagnostic(
            "E963",
            f"footprint {footprint_id} now evaluates to {now_total:.6g}, not the {computed} "
            "this re-evaluation computed: the library changed since",
            hint="reject this run (--reject RUN) and start a new one",
        ),
        status=409,
    )


def _resubmit(
    session: Session,
    old: Submission,
    result: Result,
    pcr: PCR,
    run_id: str,
    actor: Actor,
) -> Submission:
    """The same inventory filed again with its new result, marked as this run's, accepted on
    the approval's authority."""
    new = Submission(
        id=str(uuid.uuid4()),
        product_id=old.product_id,
        site_id=old.site_id,
        pcr_id=pcr.id,
        pcr_version=pcr.version,
        pcr_sha256=result.pcr.source_hash,
        inventory=old.inventory,
        inventory_name=old.inventory_name,
        inventory_sha256=old.inventory_sha256,
        result=result_json(result),
        total=result.total,
        declared_unit=f"{result.declared_unit.amount:g} {result.declared_unit.unit}",
        period_start=old.period_start,
        period_end=old.period_end,
        state="accepted",
        submitted_by=actor.name,
        reevaluation_id=run_id,
    )
    session.add(new)
    session.flush()
    session.add(
        Verification(
            submission_id=new.id,
            verifier=actor.name,
            decision="accepted",
            comments=f"re-evaluation {run_id} approved",
        )
    )
    audit(session, actor.name, "resubmit", ("submission", new.id), {"reevaluation": run_id})
    return new


def _close(store: Store, run_id: str, actor: Actor, stale: int) -> Approved:
    with store.transaction() as session:
        run = get_run(session, run_id, ("approving",))
        published = _published(session, run_id)
        enterprises = sorted(
            set(
                session.scalars(
                    select(Footprint.enterprise_id).where(Footprint.id.in_(list(published)))
                )
            )
        )
        notice_id = None
        if enterprises:
            notice_id = notices.deliver(
                session,
                actor.name,
                "reevaluation",
                _NOTICE_TITLE,
                _NOTICE_BODY.format(run=run_id, trigger=_trigger_text(run.trigger)),
                {"reevaluation": run_id},
                enterprises,
            )
        run.state, run.finished_at = "approved", now()
        audit(
            session,
            actor.name,
            "reevaluate approved",
            ("reevaluation", run_id),
            {"published": len(published), "notice": notice_id},
        )
    return Approved(run_id, sorted(published.values()), stale, notice_id)


def _published(session: Session, run_id: str) -> dict[str, str]:
    """The run's published items: old footprint id -> new footprint id."""
    query = select(ReevaluationItem.footprint_id, ReevaluationItem.detail).where(
        ReevaluationItem.reevaluation_id == run_id, ReevaluationItem.state == "published"
    )
    return {fid: str(detail.get("published")) for fid, detail in session.execute(query).all()}


# A notice is content of the catalogue, read by enterprises in either language: both are stored.
_NOTICE_TITLE = "Footprints re-evaluated / 碳足迹已重新核算"
_NOTICE_BODY = (
    "Your published footprints were re-evaluated ({trigger}); those that moved were published "
    "again as new versions that supersede the old (re-evaluation {run}).\n"
    "贵企业已发布的碳足迹已重新核算（{trigger}）；数值变化者已作为新版本重新发布，取代旧版本"
    "（重新核算 {run}）。"
)


def _trigger_text(trigger: dict[str, Any]) -> str:
    said = [f"PCR {trigger['pcr']}" if trigger.get("pcr") else ""]
    said.append(f"dataset {trigger['dataset']}" if trigger.get("dataset") else "")
    return ", ".join(s for s in said if s)


def reject(store: Store, run_id: str, actor: Actor, reason: str = "") -> None:
    """Close a run without publishing anything more: an approval the library's change stopped
    half-way (E963) keeps what it published and publishes nothing else."""
    actor.require("admin", "reject re-evaluations")
    with store.transaction() as session:
        run = get_run(session, run_id, ("running", "computed", "approving"))
        run.state, run.finished_at = "rejected", now()
        audit(session, actor.name, "reevaluate reject", ("reevaluation", run_id), reason=reason)
