"""The catalogue's workflow over HTTP (`zuji serve --catalogue DB`), each route for a role.

- enterprise: submits inventories for its own enterprise (`POST /catalogue/submissions`, the
  body an inventory as JSON, YAML, CSV or xlsx) and follows them: their state and the
  verifier's comments. It sees its own submissions only; another's is "not found".
- verifier: works through the queue (`GET /catalogue/queue`), reads a submission with its
  inventory and result (`?trace=true` recomputes every line's trace) and decides on it.
- admin: publishes accepted submissions, deprecates footprints, reads the audit log.

A published footprint is read (`GET /catalogue/footprints/{id}`) but never changed: no route
writes to it except deprecation, which moves its status alone.

Credentials are the catalogue's clients (`zuji catalogue client add NAME --role ROLE`), as a
bearer token from /auth/token or an X-API-Key. Every refusal is an RFC 9457 problem carrying the
catalogue's code, with the status the catalogue gives it (403, 404, 409 ...). The database and
the evaluation block, so the routes run in worker threads, never on the event loop.
"""

from __future__ import annotations

import json
import os
from typing import Any

import anyio.to_thread
from fastapi import Body, Depends, FastAPI, Path, Query, Request, Response
from sqlalchemy.orm import Session

from zuji.catalogue import records, workflow
from zuji.catalogue.clients import enterprise_of
from zuji.catalogue.publishing import signer
from zuji.catalogue.store import Store
from zuji.core import library as lib
from zuji.core.access import Grant
from zuji.core.errors import CatalogueError, Diagnostic, UsageError
from zuji.interfaces.serve_auth import require
from zuji.interfaces.serve_bodies import media_type
from zuji.interfaces.serve_problems import ProblemError, scrub, scrub_json
from zuji.interfaces.serve_workflow_models import (
    AuditPage,
    Decided,
    Deprecated,
    DeprecateIn,
    FootprintDetail,
    Published,
    PublishIn,
    SubmissionDetail,
    SubmissionOut,
    Submitted,
    VerificationIn,
    audit_out,
    footprint_detail,
    submission_detail,
    submission_out,
)
from zuji.runtime.pcr import PCR
from zuji.runtime.pcr import load as load_pcr

_TAGS: list[str | Any] = ["catalogue"]
# The media an inventory may come as, and the file suffix its reader goes by.
SUFFIXES = {
    "application/json": ".json",
    "application/yaml": ".yaml",
    "application/x-yaml": ".yaml",
    "text/yaml": ".yaml",
    "text/x-yaml": ".yaml",
    "text/csv": ".csv",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
}
_MEDIA = {suffix: media for media, suffix in reversed(SUFFIXES.items())}


def _id() -> Any:
    return Path(max_length=64, description="A submission's or footprint's id")


def install(app: FastAPI) -> None:
    """The workflow's routes, on the app serving a catalogue (app.state.store)."""
    _enterprise_routes(app)
    _reading_routes(app)
    _inventory_route(app)
    _footprint_route(app)
    _verifier_routes(app)
    _admin_routes(app)
    _audit_route(app)


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def _actor(store: Store, grant: Grant) -> workflow.Actor:
    """The workflow's actor for a client: its roles, and for an enterprise's client the
    enterprise it acts for (read in a session of its own, before the step opens its own)."""
    roles = frozenset(grant.scopes) & frozenset(workflow.ROLES)
    with store.reading() as session:
        enterprise = enterprise_of(session, grant.client_id)
    return workflow.Actor(f"client:{grant.client_id}", roles, enterprise)


def _own_only(session: Session, grant: Grant) -> int | None:
    """The enterprise whose records alone a client may read (None: the programme's staff, who
    read all). A client with the enterprise role and no enterprise reads nothing (-1)."""
    if grant.allows("verifier") or grant.allows("admin"):
        return None
    found = enterprise_of(session, grant.client_id)
    return -1 if found is None else found


def _library_pcr(pcr_id: str) -> PCR:
    path = lib.pcr_root() / pcr_id / f"{pcr_id}.pcr"
    if not path.is_file():
        raise UsageError(Diagnostic("E002", f"no PCR '{pcr_id}' in the library", where="pcr"))
    return load_pcr(path)


def _label(name: str, media: str) -> str:
    """The file name diagnostics give the inventory: the caller's name (never a path into the
    server) with the suffix of the body's media type, which decides how it is read."""
    suffix = SUFFIXES.get(media)
    if suffix is None:
        raise ProblemError(
            415,
            "Unsupported media type",
            "media-type",
            [
                Diagnostic(
                    "E902",
                    f"the body is {media or 'of no stated type'}; send the inventory as "
                    f"{', '.join(sorted(SUFFIXES))}",
                )
            ],
        )
    stem = os.path.basename(name.replace("\\", "/")).strip() or "inventory"
    stem = stem[: -len(suffix)] if stem.lower().endswith(suffix) else stem
    return stem[:90] + suffix


# ----------------------------------------------------------------------------- enterprise


def _enterprise_routes(app: FastAPI) -> None:
    @app.post(
        "/catalogue/submissions",
        status_code=201,
        response_model=Submitted,
        tags=_TAGS,
        responses=_errors(401, 403, 404, 409, 413, 415, 422),
        openapi_extra=_INVENTORY_BODY,
    )
    async def submit(
        request: Request,
        pcr: str = Query(pattern=r"^[a-z][a-z0-9_]{0,63}$", description="PCR id, e.g. cement"),
        name: str = Query("inventory", max_length=100, description="The inventory's file name"),
        hs_code: str | None = Query(None, max_length=16, description="HS or CN code"),
        region: str | None = Query(None, max_length=16, description="ISO 3166-2, e.g. CN-SD"),
        grant: Grant = Depends(require("enterprise")),  # noqa: B008
    ) -> Submitted:
        """Submit an inventory (JSON, YAML, CSV or xlsx, as `zuji template` lays it out) for a
        product of the client's own enterprise: Zuji evaluates it and files it for a verifier.
        A bad inventory gets its findings, positioned, and nothing is stored."""
        raw, label, store = await request.body(), _label(name, media_type(request)), _store(request)

        def work() -> Submitted:
            rule = _library_pcr(pcr)
            actor = _actor(store, grant)
            done = workflow.submit(store, rule, raw, label, actor, hs_code, region)
            return Submitted(
                id=done.submission_id,
                state="submitted",
                enterprise=done.enterprise,
                product=done.product,
                total=done.total,
                declared_unit=done.declared_unit,
            )

        return await anyio.to_thread.run_sync(work)


def _reading_routes(app: FastAPI) -> None:
    @app.get(
        "/catalogue/submissions",
        response_model=list[SubmissionOut],
        tags=_TAGS,
        responses=_errors(401, 403),
    )
    def list_submissions(
        request: Request,
        state: str | None = Query(None, pattern="^(submitted|accepted|returned|published)$"),
        pcr: str | None = Query(None, max_length=64, description="Only under this PCR id"),
        limit: int = Query(100, ge=1, le=1000),
        grant: Grant = Depends(require("enterprise", "verifier", "admin")),  # noqa: B008
    ) -> list[SubmissionOut]:
        """Submissions, newest first, with their state and the verifier's last comments: an
        enterprise's client sees its own, the programme's staff all."""
        with _store(request).reading() as session:
            own = _own_only(session, grant)
            found = records.submission_list(session, (state,) if state else (), own, pcr, limit)
            return _listed(session, found)

    @app.get(
        "/catalogue/submissions/{submission_id}",
        response_model=SubmissionDetail,
        tags=_TAGS,
        responses=_errors(401, 403, 404, 409),
    )
    def get_submission(
        request: Request,
        submission_id: str = _id(),
        trace: bool = Query(False, description="Recompute the result with every line's trace"),
        grant: Grant = Depends(require("enterprise", "verifier", "admin")),  # noqa: B008
    ) -> SubmissionDetail:
        """A submission with its inventory, result, verifications and audit trail."""
        found = _readable(_store(request), submission_id, grant)
        if trace:
            submitted = found.submission
            result = workflow.traced(_library_pcr(submitted.pcr_id), submitted)
            shown: dict[str, Any] = json.loads(scrub_json(result.model_dump_json()))
        else:
            shown = scrub(json.loads(found.submission.result))
        return submission_detail(found, shown)


def _inventory_route(app: FastAPI) -> None:
    @app.get(
        "/catalogue/submissions/{submission_id}/inventory",
        tags=_TAGS,
        responses=_errors(401, 403, 404) | {200: {"description": "The bytes as submitted"}},
    )
    def get_inventory(
        request: Request,
        submission_id: str = _id(),
        grant: Grant = Depends(require("enterprise", "verifier", "admin")),  # noqa: B008
    ) -> Response:
        """The inventory exactly as it was submitted (its sha256 is the one the result pins)."""
        submitted = _readable(_store(request), submission_id, grant).submission
        suffix = os.path.splitext(submitted.inventory_name)[1].lower()
        return Response(
            submitted.inventory,
            media_type=_MEDIA.get(suffix, "application/octet-stream"),
            headers={"Content-Disposition": f'attachment; filename="submission{suffix}"'},
        )


def _footprint_route(app: FastAPI) -> None:
    @app.get(
        "/catalogue/footprints/{footprint_id}",
        response_model=FootprintDetail,
        tags=_TAGS,
        responses=_errors(401, 403, 404),
    )
    def get_footprint(
        request: Request,
        footprint_id: str = _id(),
        grant: Grant = Depends(require("enterprise", "verifier", "admin")),  # noqa: B008
    ) -> FootprintDetail:
        """A published footprint with its document, grades and audit trail: an enterprise's
        client reads its own, the programme's staff any."""
        with _store(request).reading() as session:
            own = _own_only(session, grant)
            found = records.footprint_record(session, footprint_id)
        if found is None or (own is not None and found.footprint.enterprise_id != own):
            raise CatalogueError(
                Diagnostic("E949", f"no footprint {footprint_id} in the catalogue"), status=404
            )
        return footprint_detail(found)


def _listed(session: Session, found: list[records.Listed]) -> list[SubmissionOut]:
    comments = records.latest_comments(session, [row.submission.id for row in found])
    return [
        submission_out(row.submission, row.enterprise, row.product, comments.get(row.submission.id))
        for row in found
    ]


def _readable(store: Store, submission_id: str, grant: Grant) -> records.SubmissionRecord:
    """The submission, if this client may read it: another enterprise's is not found, so that
    a client cannot learn which ids exist."""
    with store.reading() as session:
        own = _own_only(session, grant)
        found = records.submission_record(session, submission_id)
    if found is None or (own is not None and found.enterprise_id != own):
        raise CatalogueError(
            Diagnostic("E947", f"no submission {submission_id} in the catalogue"), status=404
        )
    return found


# ----------------------------------------------------------------------------- verifier


def _verifier_routes(app: FastAPI) -> None:
    @app.get(
        "/catalogue/queue",
        response_model=list[SubmissionOut],
        tags=_TAGS,
        responses=_errors(401, 403),
    )
    def work_queue(
        request: Request,
        limit: int = Query(100, ge=1, le=1000),
        grant: Grant = Depends(require("verifier")),  # noqa: B008
    ) -> list[SubmissionOut]:
        """Submissions waiting for a verifier, oldest first."""
        with _store(request).reading() as session:
            return _listed(session, records.queue(session, limit))

    @app.post(
        "/catalogue/submissions/{submission_id}/verification",
        response_model=Decided,
        tags=_TAGS,
        responses=_errors(400, 401, 403, 404, 409),
    )
    def decide(
        request: Request,
        decision: VerificationIn,
        submission_id: str = _id(),
        grant: Grant = Depends(require("verifier")),  # noqa: B008
    ) -> Decided:
        """Accept a submitted inventory, or return it to its enterprise with comments."""
        store = _store(request)
        actor = _actor(store, grant)
        state = workflow.verify(store, submission_id, actor, decision.accept, decision.comments)
        return Decided(submission=submission_id, state=state)


# ----------------------------------------------------------------------------- admin


def _admin_routes(app: FastAPI) -> None:
    @app.post(
        "/catalogue/submissions/{submission_id}/publish",
        response_model=Published,
        tags=_TAGS,
        responses=_errors(401, 403, 404, 409, 503),
    )
    def publish(
        request: Request,
        submission_id: str = _id(),
        asked: PublishIn | None = Body(None),  # noqa: B008
        grant: Grant = Depends(require("admin")),  # noqa: B008
    ) -> Published:
        """Publish an accepted submission as a PACT ProductFootprint, signed with the
        catalogue's key when it has one; the product's footprint in force is superseded."""
        store = _store(request)
        sign = signer(store)
        actor = _actor(store, grant)
        reason = asked.reason if asked else ""
        footprint = workflow.publish(store, submission_id, actor, sign=sign, reason=reason)
        with store.reading() as session:
            published = records.footprint_record(session, footprint)
        assert published is not None  # written by the transaction that just committed
        return Published(
            footprint=footprint,
            submission=submission_id,
            preceding=list(published.footprint.preceding),
            signed=sign is not None,
        )

    @app.post(
        "/catalogue/footprints/{footprint_id}/deprecate",
        response_model=Deprecated,
        tags=_TAGS,
        responses=_errors(400, 401, 403, 404, 409),
    )
    def deprecate(
        request: Request,
        asked: DeprecateIn,
        footprint_id: str = _id(),
        grant: Grant = Depends(require("admin")),  # noqa: B008
    ) -> Deprecated:
        """Withdraw a published footprint: it stays readable, with status Deprecated."""
        store = _store(request)
        actor = _actor(store, grant)
        workflow.deprecate(store, footprint_id, actor, asked.reason)
        return Deprecated(footprint=footprint_id, status="Deprecated")


def _audit_route(app: FastAPI) -> None:
    @app.get("/catalogue/audit", response_model=AuditPage, tags=_TAGS, responses=_errors(401, 403))
    def audit(
        request: Request,
        subject: str | None = Query(None, max_length=64, description="Only about this id"),
        after: int = Query(0, ge=0, description="Entries after this one (the last page's end)"),
        limit: int = Query(100, ge=1, le=1000),
        grant: Grant = Depends(require("admin")),  # noqa: B008
    ) -> AuditPage:
        """The audit log, oldest first, a page at a time: who did what to which record, when
        and why. Entries are only ever added, never changed."""
        with _store(request).reading() as session:
            entries = records.audit_log(session, [subject] if subject else (), after, limit)
        return AuditPage(
            entries=[audit_out(e) for e in entries],
            next_after=entries[-1].id if len(entries) == limit else None,
        )


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    titles = {
        400: "A step refused: a return without comments, a deprecation without a reason",
        401: "No credentials, or bad or expired ones",
        403: "The client's role may not take this step",
        404: "No such PCR, submission or footprint (or not the client's own)",
        409: "Not possible in the record's present state",
        413: "Request body too large",
        415: "Unsupported media type",
        422: "The inventory does not fit the PCR, or malformed parameters",
        503: "The catalogue's signing key cannot be used",
    }
    return {code: {"description": titles[code]} for code in codes}


_INVENTORY_BODY = {
    "requestBody": {
        "required": True,
        "description": "The inventory, as a file of its kind holds it (kept byte for byte)",
        "content": {
            media: {"schema": {"type": "string", "format": "binary"}}
            if suffix in (".xlsx", ".csv")
            else {
                "schema": {"type": "object"} if media == "application/json" else {"type": "string"}
            }
            for media, suffix in SUFFIXES.items()
        },
    }
}
