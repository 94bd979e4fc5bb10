"""The administrator's page (`/portal/admin`): accepted submissions to publish (signed with
the catalogue's key when it has one, publishing.signer) and the published footprints in force,
each of which may be deprecated with a reason. After each step the page says what was done."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, FastAPI, Form, Path, Request
from fastapi.responses import RedirectResponse, Response

from zuji.catalogue import records, workflow
from zuji.catalogue.publishing import signer
from zuji.catalogue.queries import Filters
from zuji.catalogue.store import Store
from zuji.core import i18n
from zuji.core.errors import CatalogueError
from zuji.interfaces.web.portal_views import Finding, findings
from zuji.interfaces.web.render import page, reader_language
from zuji.interfaces.web.session import Visitor, check_form, with_role

LISTED = 200
_admin = with_role("admin")


def install(app: FastAPI) -> None:
    @app.get("/portal/admin", include_in_schema=False)
    def admin_home(request: Request, who: Visitor = Depends(_admin)) -> Response:  # noqa: B008
        return _home(request, who)

    @app.post("/portal/admin/submissions/{submission_id}/publish", include_in_schema=False)
    def publish(
        request: Request,
        submission_id: str = Path(max_length=64),
        csrf: str = Form("", max_length=100),
        who: Visitor = Depends(_admin),  # noqa: B008
    ) -> Response:
        check_form(who, csrf)
        store = _store(request)
        try:
            sign = signer(store)
            footprint = workflow.publish(store, submission_id, who.actor, sign=sign)
        except CatalogueError as exc:
            return _failed(request, who, exc)
        signed = "1" if sign is not None else "0"
        target = f"/portal/admin?published={footprint}&signed={signed}"
        return RedirectResponse(target, status_code=303)

    @app.post("/portal/admin/footprints/{footprint_id}/deprecate", include_in_schema=False)
    def deprecate(
        request: Request,
        footprint_id: str = Path(max_length=64),
        reason: str = Form("", max_length=2000),
        csrf: str = Form("", max_length=100),
        who: Visitor = Depends(_admin),  # noqa: B008
    ) -> Response:
        check_form(who, csrf)
        try:
            workflow.deprecate(_store(request), footprint_id, who.actor, reason)
        except CatalogueError as exc:
            return _failed(request, who, exc)
        return RedirectResponse(f"/portal/admin?deprecated={footprint_id}", status_code=303)


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def _failed(request: Request, who: Visitor, exc: CatalogueError) -> Response:
    with i18n.use_language(reader_language(request)):
        shown = findings(exc.diagnostics)
    return _home(request, who, shown, exc.status)


def _home(
    request: Request, who: Visitor, problems: list[Finding] | None = None, status: int = 200
) -> Response:
    with _store(request).reading() as session:
        accepted = records.submission_list(session, ("accepted",), None, None, LISTED)
        active = records.footprint_rows(session, Filters(status="Active"), LISTED)
    asked = request.query_params
    context: dict[str, Any] = {
        "nav": "admin",
        "who": who,
        "accepted": accepted,
        "footprints": active,
        "problems": problems,
        "published": asked.get("published", "")[:64],
        "signed": asked.get("signed") == "1",
        "deprecated": asked.get("deprecated", "")[:64],
    }
    return page(request, "portal/admin.html", context, status=status)
