"""Dynamic re-evaluation: when a PCR version is approved or a dataset version changes, the
published (Active) footprints it affects are re-run from their stored inventories, in batches,
under the rule and datasets now in the library; what moved is listed for the administrator, who
approves the run (new versions supersede the moved footprints: reevaluation_publish) or rejects
it.

Crash safety: a run's items are written, all pending, in the transaction that creates the run;
then chunk after chunk of pending items is evaluated with the batch engine and each chunk's
outcomes are committed in one transaction. A process killed at any moment leaves every item
either pending or complete, never half-written, and `resume` (or the next `reevaluate`) carries
on from the pending ones.

The run records the library it was computed with (each PCR's version and the sha256 of its
text, its modules and the datasets it reads): a run continued, listed or approved under another
library is refused (E963), so what is approved is what was reviewed.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from zuji.catalogue.store import Store, audit
from zuji.catalogue.tables import Footprint, Reevaluation, ReevaluationItem, Submission, now
from zuji.catalogue.workflow import Actor
from zuji.core.documents import load_text
from zuji.core.errors import CatalogueError, Diagnostic, RuleError, ZujiError

if TYPE_CHECKING:
    from zuji.runtime.pcr import PCR

Loader = Callable[[str], "PCR"]
# A figure moved when it differs by more than this, relative (the batch engine's figures agree
# with the scalar path's to the last bits of a sum; a stored result went through JSON).
REL_TOLERANCE = 1e-9
ABS_TOLERANCE = 1e-9
CHUNK = 2_000
_INSERT_ROWS = 10_000  # items inserted per statement batch when a run starts


def library_pcr(pcr_id: str) -> PCR:
    """A PCR from the active library, as `zuji run ID` would load it."""
    from zuji.runtime.pcr import load

    return load(pcr_id)


@dataclass(frozen=True)
class Started:
    run_id: str
    items: int
    pcrs: tuple[str, ...]


@dataclass(frozen=True)
class Summary:
    """Where a run stands: its state and how many items are in each state."""

    run_id: str
    state: str
    trigger: dict[str, Any]
    counts: dict[str, int]

    @property
    def pending(self) -> int:
        return self.counts.get("pending", 0)


# ----------------------------------------------------------------------------- what a PCR reads


def fingerprint(pcr: PCR) -> dict[str, Any]:
    """What a PCR's figures depend on in the library: its version and text, its modules' texts,
    and the version and bytes of each dataset its factors come from."""
    resolved = pcr.plan.resolved
    datasets = pcr.standards.datasets
    return {
        "version": pcr.version,
        "sha256": pcr.rule.source_hash,
        "modules": {name: mod.source_hash for name, mod in sorted(resolved.modules.items())},
        "datasets": {
            name: {"version": datasets[name].version, "sha256": datasets[name].sha256}
            for name in sorted(datasets_read(pcr))
            if name in datasets
        },
    }


def datasets_read(pcr: PCR) -> set[str]:
    """The ids of the datasets a PCR's factors are bound to."""
    resolved = pcr.plan.resolved
    found = {entry.dataset for entry in resolved.entries.values()}
    for members in resolved.families.values():
        found |= {entry.dataset for entry in members.values()}
    return found


# ----------------------------------------------------------------------------- start


def start(
    store: Store,
    actor: Actor,
    pcr_id: str | None = None,
    dataset_id: str | None = None,
    load: Loader = library_pcr,
) -> Started | None:
    """A new run over the Active footprints the PCR or the dataset affects, its items written
    pending; None when no published footprint is affected."""
    actor.require("admin", "re-evaluate footprints")
    if not pcr_id and not dataset_id:
        raise CatalogueError(
            Diagnostic(
                "E960",
                "a re-evaluation names what changed",
                hint="give --pcr ID or --dataset ID (or --resume, --approve RUN, --reject RUN)",
            )
        )
    with store.reading() as session:
        published = _published_pcrs(session)
        pcrs = _affected(session, published, pcr_id, dataset_id, load)
    if not pcrs:
        return None
    library = {p: fingerprint(_checked(load(p))) for p in sorted(pcrs)}
    trigger = {"pcr": pcr_id, "dataset": dataset_id, "library": library}
    run_id = str(uuid.uuid4())
    with store.transaction() as session:
        session.add(
            Reevaluation(id=run_id, trigger=trigger, state="running", started_by=actor.name)
        )
        session.flush()
        items = _write_items(session, run_id, sorted(pcrs))
        audit(
            session,
            actor.name,
            "reevaluate",
            ("reevaluation", run_id),
            {"pcr": pcr_id, "dataset": dataset_id, "items": items, "pcrs": sorted(pcrs)},
        )
    return Started(run_id, items, tuple(sorted(pcrs)))


def _checked(pcr: PCR) -> PCR:
    """A PCR that passes its checks (one that does not cannot re-evaluate anything)."""
    if pcr.errors:
        raise RuleError(pcr.errors)
    return pcr


def _published_pcrs(session: Session) -> list[str]:
    query = select(Footprint.pcr_id).where(Footprint.status == "Active").distinct()
    return sorted(session.scalars(query))


def _affected(
    session: Session,
    published: Sequence[str],
    pcr_id: str | None,
    dataset_id: str | None,
    load: Loader,
) -> set[str]:
    """The PCRs whose Active footprints the change affects: the PCR named, and those whose
    rule now reads the dataset named or whose stored results record that they read it."""
    affected = {pcr_id} if pcr_id and pcr_id in published else set()
    if pcr_id:
        load(pcr_id)  # an unknown PCR is the loader's clear error, before anything is written
    if dataset_id:
        affected |= {p for p in published if dataset_id in datasets_read(load(p))}
        affected |= _recorded_readers(session, published, dataset_id)
    return affected


def _recorded_readers(session: Session, published: Sequence[str], dataset_id: str) -> set[str]:
    """PCRs whose stored results record the dataset. A result records the datasets its rule's
    text binds, so one stored result per distinct rule text (pcr_sha256) tells for them all."""
    query = (
        select(Submission.pcr_id, Submission.pcr_sha256, func.min(Submission.id))
        .join(Footprint, Footprint.submission_id == Submission.id)
        .where(Footprint.status == "Active", Submission.pcr_id.in_(list(published)))
        .group_by(Submission.pcr_id, Submission.pcr_sha256)
    )
    found: set[str] = set()
    for pcr, _, submission_id in session.execute(query).all():
        text = session.scalar(select(Submission.result).where(Submission.id == submission_id))
        try:
            recorded = json.loads(text or "{}").get("datasets") or []
        except ValueError:
            continue
        if any(isinstance(d, dict) and d.get("id") == dataset_id for d in recorded):
            found.add(pcr)
    return found


def _write_items(session: Session, run_id: str, pcrs: list[str]) -> int:
    """Every Active footprint of the PCRs, as a pending item with its figure before."""
    query = (
        select(Footprint.id, Footprint.total)
        .where(Footprint.status == "Active", Footprint.pcr_id.in_(pcrs))
        .order_by(Footprint.id)
    )
    written = 0
    rows = session.execute(query).all()
    for first in range(0, len(rows), _INSERT_ROWS):
        part = rows[first : first + _INSERT_ROWS]
        session.execute(
            insert(ReevaluationItem),
            [
                {
                    "reevaluation_id": run_id,
                    "footprint_id": fid,
                    "state": "pending",
                    "before": total,
                    "detail": {},
                }
                for fid, total in part
            ],
        )
        written += len(part)
    return written


# ----------------------------------------------------------------------------- run


@dataclass
class _Pending:
    footprint_id: str
    before: float
    pcr_id: str
    inventory: bytes
    name: str


def run(
    store: Store,
    run_id: str,
    load: Loader = library_pcr,
    chunk: int = CHUNK,
    progress: Callable[[int], None] | None = None,
) -> Summary:
    """Evaluate the run's pending items, a chunk per transaction, until none is left."""
    loaded: dict[str, PCR] = {}
    with store.reading() as session:
        trigger = _run(session, run_id, ("running",)).trigger
    while True:
        with store.reading() as session:
            pending = _pending(session, run_id, chunk)
        if not pending:
            break
        outcomes = _evaluate(pending, trigger, loaded, load)
        for outcome in outcomes:
            outcome["reevaluation_id"] = run_id
        with store.transaction() as session:
            session.execute(update(ReevaluationItem), outcomes)
        if progress is not None:
            progress(len(outcomes))
    with store.transaction() as session:
        found = _run(session, run_id, ("running",))
        found.state, found.finished_at = "computed", now()
        counts = _counts(session, run_id)
        audit(session, found.started_by, "reevaluate computed", ("reevaluation", run_id), counts)
    return Summary(run_id, "computed", trigger, counts)


def _pending(session: Session, run_id: str, chunk: int) -> list[_Pending]:
    query = (
        select(
            ReevaluationItem.footprint_id,
            ReevaluationItem.before,
            Footprint.pcr_id,
            Submission.inventory,
            Submission.inventory_name,
        )
        .join(Footprint, Footprint.id == ReevaluationItem.footprint_id)
        .join(Submission, Submission.id == Footprint.submission_id)
        .where(ReevaluationItem.reevaluation_id == run_id, ReevaluationItem.state == "pending")
        .order_by(ReevaluationItem.footprint_id)
        .limit(chunk)
    )
    return [_Pending(*row) for row in session.execute(query).all()]


def _evaluate(
    pending: list[_Pending], trigger: dict[str, Any], loaded: dict[str, PCR], load: Loader
) -> list[dict[str, Any]]:
    """The outcome of each pending item, as the values its row is updated with."""
    by_pcr: dict[str, list[_Pending]] = {}
    for item in pending:
        by_pcr.setdefault(item.pcr_id, []).append(item)
    outcomes: list[dict[str, Any]] = []
    for pcr_id, items in by_pcr.items():
        pcr = _pcr(pcr_id, trigger, loaded, load)
        outcomes += _evaluate_pcr(pcr, items)
    return outcomes


def _pcr(pcr_id: str, trigger: dict[str, Any], loaded: dict[str, PCR], load: Loader) -> PCR:
    if pcr_id not in loaded:
        pcr = load(pcr_id)
        same_library(pcr, trigger)
        loaded[pcr_id] = pcr
    return loaded[pcr_id]


def same_library(pcr: PCR, trigger: dict[str, Any]) -> None:
    """Refuses to go on when the PCR or a dataset it reads is not what the run recorded."""
    recorded = trigger.get("library", {}).get(pcr.id)
    now_there = fingerprint(pcr)
    if recorded != now_there:
        raise CatalogueError(
            Diagnostic(
                "E963",
                f"the library changed since this re-evaluation started: {pcr.id} "
                f"{_what_changed(recorded or {}, now_there)}",
                hint="reject this run (--reject RUN) and start a new one",
            ),
            status=409,
        )


def _what_changed(recorded: dict[str, Any], now_there: dict[str, Any]) -> str:
    if recorded.get("sha256") != now_there["sha256"]:
        return f"is now version {now_there['version']} with another text"
    if recorded.get("modules") != now_there["modules"]:
        return "uses modules whose text changed"
    changed = sorted(
        name
        for name in {*recorded.get("datasets", {}), *now_there["datasets"]}
        if recorded.get("datasets", {}).get(name) != now_there["datasets"].get(name)
    )
    return f"reads datasets that changed: {', '.join(changed)}"


def _evaluate_pcr(pcr: PCR, items: list[_Pending]) -> list[dict[str, Any]]:
    documents: list[dict[str, Any]] = []
    readable: list[_Pending] = []
    outcomes: list[dict[str, Any]] = []
    for item in items:
        try:
            documents.append(inventory_document(item.inventory, item.name))
            readable.append(item)
        except ZujiError as exc:
            outcomes.append(_failed(item, _reason(exc)))
    if documents:
        frame = pcr.evaluate_many(documents)
        totals = frame["total"].to_numpy()
        errors = frame["error"].astype(str).to_numpy()
        failed = (frame["status"] == "failed").to_numpy()
        for k, item in enumerate(readable):
            if failed[k]:
                outcomes.append(_failed(item, str(errors[k])))
            else:
                outcomes.append(_outcome(item, float(totals[k])))
    return outcomes


def inventory_document(raw: bytes, name: str) -> dict[str, Any]:
    """A stored inventory as the mapping its file holds (a worked case: its inventory)."""
    from zuji.core.errors import InventoryError, read_as

    with read_as(InventoryError):
        document = load_text(raw.decode("utf-8"), name)
    if isinstance(document, dict) and "inventory" in document and "inputs" not in document:
        document = document["inventory"]
    if not isinstance(document, dict):
        raise InventoryError(Diagnostic("E003", f"{name}: an inventory is a mapping"))
    return document


def _reason(exc: ZujiError) -> str:
    return "; ".join(f"{d.code}: {d.message}" for d in exc.diagnostics)


def _failed(item: _Pending, reason: str) -> dict[str, Any]:
    return {
        "footprint_id": item.footprint_id,
        "state": "failed",
        "after": None,
        "detail": {"error": reason},
    }


def _outcome(item: _Pending, after: float) -> dict[str, Any]:
    change = after - item.before
    state = "same" if close(after, item.before) else "moved"
    percent = 100.0 * change / item.before if item.before else None
    return {
        "footprint_id": item.footprint_id,
        "state": state,
        "after": after,
        "detail": {"change": change, "percent": percent},
    }


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=REL_TOLERANCE, abs_tol=ABS_TOLERANCE)


# ----------------------------------------------------------------------------- runs


def _run(session: Session, run_id: str, states: Iterable[str] | None = None) -> Reevaluation:
    found = session.get(Reevaluation, run_id)
    if found is None:
        raise CatalogueError(
            Diagnostic(
                "E961",
                f"no re-evaluation {run_id} in the catalogue",
                hint="`zuji catalogue reevaluate --list` lists them",
            ),
            status=404,
        )
    allowed = tuple(states or ())
    if allowed and found.state not in allowed:
        raise CatalogueError(
            Diagnostic(
                "E962",
                f"re-evaluation {run_id} is {found.state}; this needs one that is "
                f"{' or '.join(allowed)}",
            ),
            status=409,
        )
    return found


def get_run(session: Session, run_id: str, states: Iterable[str] | None = None) -> Reevaluation:
    """A run by id, in one of `states` (any when None); E961 / E962 otherwise."""
    return _run(session, run_id, states)


def _counts(session: Session, run_id: str) -> dict[str, int]:
    query = (
        select(ReevaluationItem.state, func.count())
        .where(ReevaluationItem.reevaluation_id == run_id)
        .group_by(ReevaluationItem.state)
    )
    return {state: int(n) for state, n in session.execute(query).all()}


def summary(store: Store, run_id: str) -> Summary:
    with store.reading() as session:
        found = _run(session, run_id)
        return Summary(run_id, found.state, found.trigger, _counts(session, run_id))


def unfinished(store: Store) -> list[str]:
    """Runs a killed process left running, oldest first."""
    with store.reading() as session:
        query = (
            select(Reevaluation.id)
            .where(Reevaluation.state == "running")
            .order_by(Reevaluation.started_at)
        )
        return list(session.scalars(query))


def runs(store: Store, limit: int = 50) -> list[Summary]:
    """The newest runs first."""
    with store.reading() as session:
        found = session.scalars(
            select(Reevaluation).order_by(Reevaluation.started_at.desc()).limit(limit)
        ).all()
        return [Summary(r.id, r.state, r.trigger, _counts(session, r.id)) for r in found]
