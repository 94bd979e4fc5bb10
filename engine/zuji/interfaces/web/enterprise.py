"""The enterprise's portal (`/portal/enterprise`): its submissions and their state, the
programme's notices to it, a PCR's xlsx template to download, and the upload of a filled
inventory, which Zuji evaluates and files for a verifier (workflow.submit). An inventory with
errors is not filed: the page lists each finding with the cell at fault, in the reader's
language, and the clerk fixes the workbook and uploads it again."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, FastAPI, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from zuji.catalogue import notices, records, workflow
from zuji.catalogue.store import Store
from zuji.core import i18n
from zuji.core.errors import CatalogueError, Diagnostic, ZujiError
from zuji.interfaces.web.portal_views import (
    Finding,
    choices,
    findings,
    inventory_label,
    library_pcr,
    template_xlsx,
)
from zuji.interfaces.web.render import page, reader_language
from zuji.interfaces.web.session import Visitor, check_form, with_role

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LISTED = 100  # submissions on the page, newest first
_enterprise = with_role("enterprise")


def install(app: FastAPI) -> None:
    _home_routes(app)
    _submission_routes(app)


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def _own(who: Visitor) -> int:
    # A client with the enterprise role but no enterprise reads nothing (-1 matches no row).
    return -1 if who.actor.enterprise_id is None else who.actor.enterprise_id


def _home(
    request: Request,
    who: Visitor,
    problems: list[Finding] | None = None,
    status: int = 200,
    chosen: str = "",
) -> Response:
    store = _store(request)
    with store.reading() as session:
        listed = records.submission_list(session, (), _own(who), None, LISTED)
        comments = records.latest_comments(session, [row.submission.id for row in listed])
    letters = notices.listing(store, _own(who))
    context: dict[str, Any] = {
        "nav": "enterprise",
        "who": who,
        "submissions": listed,
        "comments": comments,
        # Unread first, each part newest first (the listing's own order).
        "notices": sorted(letters, key=lambda n: n.read_at is not None),
        "pcrs": choices(),
        "chosen": chosen,
        "problems": problems,
        "acting": who.actor.enterprise_id is not None,
    }
    return page(request, "portal/enterprise.html", context, status=status)


def _home_routes(app: FastAPI) -> None:
    @app.get("/portal/enterprise", include_in_schema=False)
    def enterprise_home(request: Request, who: Visitor = Depends(_enterprise)) -> Response:  # noqa: B008
        return _home(request, who)

    @app.get("/portal/enterprise/template", include_in_schema=False)
    def template(
        request: Request,
        pcr: str = Query(pattern=r"^[a-z][a-z0-9_]{0,63}$"),
        who: Visitor = Depends(_enterprise),  # noqa: B008
    ) -> Response:
        lang = reader_language(request)
        try:
            body = template_xlsx(pcr, lang)
        except ZujiError as exc:
            with i18n.use_language(lang):
                shown = findings(exc.diagnostics)
            return _home(request, who, shown, 404)
        name = f"{pcr}-template-{lang}.xlsx"
        disposition = f'attachment; filename="{name}"'
        return Response(body, media_type=XLSX, headers={"Content-Disposition": disposition})

    @app.post("/portal/enterprise/notices/{notice_id}/read", include_in_schema=False)
    def read_notice(
        request: Request,
        notice_id: int = Path(ge=1),
        csrf: str = Form("", max_length=100),
        who: Visitor = Depends(_enterprise),  # noqa: B008
    ) -> Response:
        check_form(who, csrf)
        try:
            notices.mark_read(_store(request), notice_id, _own(who))
        except CatalogueError as exc:
            with i18n.use_language(reader_language(request)):
                shown = findings(exc.diagnostics)
            return _home(request, who, shown, exc.status)
        return RedirectResponse("/portal/enterprise#notices", status_code=303)


def _submission_routes(app: FastAPI) -> None:
    @app.post("/portal/enterprise/submissions", include_in_schema=False)
    def upload(
        request: Request,
        pcr: str = Form("", max_length=64),
        csrf: str = Form("", max_length=100),
        inventory: UploadFile | None = File(None),  # noqa: B008
        who: Visitor = Depends(_enterprise),  # noqa: B008
    ) -> Response:
        check_form(who, csrf)
        lang = reader_language(request)
        # The engine speaks the reader's language while it reads: a finding quotes the
        # rule's own words about an input in that language.
        with i18n.use_language(lang):
            try:
                done = _file(request, who, pcr, inventory)
            except ZujiError as exc:
                shown = findings(exc.diagnostics)
                status = exc.status if isinstance(exc, CatalogueError) else 422
                return _home(request, who, shown, status, pcr)
        target = f"/portal/enterprise/submissions/{done.submission_id}?filed=1"
        return RedirectResponse(target, status_code=303)

    @app.get("/portal/enterprise/submissions/{submission_id}", include_in_schema=False)
    def submission(
        request: Request,
        submission_id: str = Path(max_length=64),
        who: Visitor = Depends(_enterprise),  # noqa: B008
    ) -> Response:
        with _store(request).reading() as session:
            found = records.submission_record(session, submission_id)
        if found is None or found.enterprise_id != _own(who):
            # Another enterprise's submission is "not found": ids are not to be probed.
            return _missing(request, submission_id)
        context = {
            "nav": "enterprise",
            "who": who,
            "record": found,
            "filed": request.query_params.get("filed") == "1",
        }
        return page(request, "portal/submission.html", context)


def _file(
    request: Request, who: Visitor, pcr_id: str, upload: UploadFile | None
) -> workflow.Submitted:
    if upload is None or not upload.filename:
        raise CatalogueError(
            Diagnostic(
                "E975",
                "no inventory file was chosen: nothing was filed",
                hint="choose the filled template (xlsx, csv, yaml or json) and upload it",
            ),
            status=422,
        )
    label = inventory_label(upload.filename)
    rule = library_pcr(pcr_id)
    raw = upload.file.read()
    return workflow.submit(_store(request), rule, raw, label, who.actor)


def _missing(request: Request, submission_id: str) -> Response:
    diagnostic = Diagnostic("E947", f"no submission {submission_id} in the catalogue")
    context = {"nav": "enterprise", "diagnostic": diagnostic, "status": 404}
    return page(request, "portal/refused.html", context, status=404)
