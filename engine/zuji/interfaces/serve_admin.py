"""The administrator's and the enterprises' catalogue routes of the HTTP service: re-evaluation
(started by an administrator, run in the background, listed with what moved, approved or
rejected) and notices (sent by an administrator, read by the enterprises they are for).

A run started here is crash-safe like one started from the command line: if the service stops
mid-run, its pending items wait for `zuji catalogue reevaluate --resume` or the next run.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, FastAPI, Query, Request, Response, Security
from pydantic import BaseModel, ConfigDict, Field

from zuji.catalogue.store import Store
from zuji.catalogue.workflow import Actor
from zuji.core.access import Grant
from zuji.core.errors import CatalogueError, Diagnostic
from zuji.interfaces.serve_auth import require
from zuji.interfaces.serve_problems import ProblemError, log

T = TypeVar("T")
Admin = Annotated[Grant, Security(require("admin"))]
EnterpriseUser = Annotated[Grant, Security(require("enterprise"))]


class ReevaluationIn(BaseModel):
    """What changed: a PCR (a new version approved) or a dataset (a new version)."""

    model_config = ConfigDict(extra="forbid")
    pcr: str | None = Field(default=None, examples=["cement"])
    dataset: str | None = Field(default=None, examples=["cn_grid"])


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = ""


class NoticeIn(BaseModel):
    """A notice and the enterprises it is for (criteria together must all hold)."""

    model_config = ConfigDict(extra="forbid")
    kind: str = Field(examples=["policy"], description="policy or finance")
    title: str
    body: str
    pcr: str | None = None
    grade: str | None = Field(default=None, examples=["advanced"])
    region: str | None = Field(default=None, examples=["CN-SD"])


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def _actor(grant: Grant) -> Actor:
    return Actor(f"client:{grant.client_id}", frozenset(grant.scopes))


def _answer(work: Callable[[], T]) -> T:
    """The catalogue's errors as problems with the status each carries (404, 409 ...)."""
    try:
        return work()
    except CatalogueError as exc:
        raise ProblemError(
            exc.status, "The catalogue cannot do this", "catalogue", exc.diagnostics
        ) from None


def _enterprise(store: Store, grant: Grant) -> int:
    from zuji.catalogue.clients import enterprise_of

    with store.reading() as session:
        found = enterprise_of(session, grant.client_id)
    if found is None:
        raise ProblemError(
            403,
            "Not allowed",
            "forbidden",
            [Diagnostic("E945", f"client '{grant.client_id}' acts for no enterprise")],
        )
    return found


# ----------------------------------------------------------------------------- re-evaluation


def _run_in_background(store: Store, run_id: str) -> None:
    from zuji.catalogue.reevaluate import run

    def work() -> None:
        try:
            run(store, run_id)
        except Exception:  # the run stays pending: --resume finishes it; the log says why
            log.exception("re-evaluation %s stopped", run_id)

    threading.Thread(target=work, name=f"reevaluate-{run_id[:8]}", daemon=True).start()


def _reevaluation_routes(router: APIRouter) -> None:
    @router.post("/reevaluations", status_code=202)
    def start(body: ReevaluationIn, grant: Admin, request: Request, response: Response) -> Any:
        """Re-run the Active footprints the change affects; answered at once, the run goes on
        in the background (GET its Location for where it stands and what moved)."""
        from zuji.catalogue.reevaluate import start as start_run

        store = _store(request)
        started = _answer(lambda: start_run(store, _actor(grant), body.pcr, body.dataset))
        if started is None:
            response.status_code = 200
            return {"id": None, "items": 0, "pcrs": []}
        _run_in_background(store, started.run_id)
        response.headers["Location"] = f"/catalogue/reevaluations/{started.run_id}"
        return {"id": started.run_id, "items": started.items, "pcrs": list(started.pcrs)}

    @router.get("/reevaluations")
    def list_runs(grant: Admin, request: Request) -> Any:
        """The runs, newest first, with how many footprints are in each state."""
        from zuji.catalogue.reevaluate import runs
        from zuji.interfaces.catalogue_admin_cli import run_json

        return [run_json(s, []) for s in runs(_store(request))]

    @router.get("/reevaluations/{run_id}")
    def show(
        run_id: str,
        grant: Admin,
        request: Request,
        limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    ) -> Any:
        """A run: its state, counts and the footprints that moved (before, after, change, the
        lines that moved them), the largest change first."""
        from zuji.catalogue.reevaluate import summary
        from zuji.catalogue.reevaluation_publish import moved
        from zuji.interfaces.catalogue_admin_cli import run_json

        store = _store(request)
        found = _answer(lambda: summary(store, run_id))
        return run_json(found, _answer(lambda: moved(store, run_id, limit)))

    @router.post("/reevaluations/{run_id}/approve")
    def approve(run_id: str, grant: Admin, request: Request) -> Any:
        """Publish new versions of what moved, superseding the old; notify the enterprises."""
        from zuji.catalogue.reevaluation_publish import approve as approve_run

        done = _answer(lambda: approve_run(_store(request), run_id, _actor(grant)))
        return {
            "id": run_id,
            "published": done.published,
            "stale": done.stale,
            "notice": done.notice_id,
        }

    @router.post("/reevaluations/{run_id}/reject")
    def reject(run_id: str, body: DecisionIn, grant: Admin, request: Request) -> Any:
        from zuji.catalogue.reevaluation_publish import reject as reject_run

        _answer(lambda: reject_run(_store(request), run_id, _actor(grant), body.reason))
        return {"id": run_id, "state": "rejected"}


# ----------------------------------------------------------------------------- notices


def _notice_routes(router: APIRouter) -> None:
    @router.post("/notices", status_code=201)
    def send(body: NoticeIn, grant: Admin, request: Request) -> Any:
        """Send a policy or finance notice to the enterprises the criteria name."""
        from zuji.catalogue.notices import Audience
        from zuji.catalogue.notices import send as send_notice

        audience = Audience(body.pcr, body.grade, body.region)
        notice_id, n = _answer(
            lambda: send_notice(
                _store(request), _actor(grant), body.kind, body.title, body.body, audience
            )
        )
        return {"id": notice_id, "recipients": n}

    @router.get("/notices/sent")
    def sent(grant: Admin, request: Request) -> Any:
        """Every notice sent, newest first, with its number of recipients."""
        from zuji.catalogue.notices import listing
        from zuji.interfaces.catalogue_admin_cli import notice_json

        return [notice_json(r) for r in listing(_store(request))]

    @router.get("/notices")
    def mine(grant: EnterpriseUser, request: Request) -> Any:
        """The calling enterprise's notices, newest first, with when it read each."""
        from zuji.catalogue.notices import listing
        from zuji.interfaces.catalogue_admin_cli import notice_json

        store = _store(request)
        return [notice_json(r) for r in listing(store, _enterprise(store, grant))]

    @router.post("/notices/{notice_id}/read")
    def read(notice_id: int, grant: EnterpriseUser, request: Request) -> Any:
        """Mark a notice read by the calling enterprise."""
        from zuji.catalogue.notices import mark_read

        store = _store(request)
        enterprise = _enterprise(store, grant)
        at = _answer(lambda: mark_read(store, notice_id, enterprise))
        return {"id": notice_id, "readAt": at.isoformat()}


def install(app: FastAPI) -> None:
    router = APIRouter(prefix="/catalogue", tags=["catalogue administration"])
    _reevaluation_routes(router)
    _notice_routes(router)
    app.include_router(router)
