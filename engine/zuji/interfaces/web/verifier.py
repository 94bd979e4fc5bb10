"""The verifier's portal (`/portal/verifier`): the queue of submissions waiting, oldest first,
and each submission with its inventory beside its result: the inventory's values as the PCR
read them from the stored bytes, the result's lines by life-cycle stage, and each line's trace
(its formula and every value it took, with the value's source), recomputed under the rule text
it was submitted under. The verifier accepts it, or returns it with comments saying what to fix
(workflow.verify)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, FastAPI, Form, Path, Request
from fastapi.responses import RedirectResponse, Response

from zuji.catalogue import records, workflow
from zuji.catalogue.store import Store
from zuji.core import i18n
from zuji.core.errors import CatalogueError, Diagnostic, ZujiError
from zuji.interfaces.web.portal_views import Finding, findings, library_pcr
from zuji.interfaces.web.render import page, reader_language
from zuji.interfaces.web.session import Visitor, check_form, with_role
from zuji.lang.model_exprs import Text
from zuji.runtime.pcr import PCR
from zuji.runtime.result import LineFigure, Result, TraceInput, TraceLine

QUEUED = 200  # submissions listed in the queue
_verifier = with_role("verifier")


@dataclass(frozen=True)
class InputRow:
    """One input of the inventory as the evaluation used it, in the PCR's unit."""

    name: str
    described: Text | None
    value: tuple[str, ...]
    unit: str
    origin: str
    source: str


@dataclass(frozen=True)
class LineRow:
    figure: LineFigure
    described: Text | None
    trace: TraceLine | None


@dataclass(frozen=True)
class StageRows:
    name: str
    described: Text | None
    total: float
    lines: list[LineRow]


def install(app: FastAPI) -> None:
    _queue_route(app)
    _submission_routes(app)


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def _queue_route(app: FastAPI) -> None:
    @app.get("/portal/verifier", include_in_schema=False)
    def queue(request: Request, who: Visitor = Depends(_verifier)) -> Response:  # noqa: B008
        with _store(request).reading() as session:
            waiting = records.queue(session, QUEUED)
        decided = request.query_params.get("decided", "")[:64]
        state = request.query_params.get("state", "")
        context = {
            "nav": "verifier",
            "who": who,
            "queue": waiting,
            "decided": decided,
            "state": state if state in records.STATES else "",
        }
        return page(request, "portal/queue.html", context)


def _submission_routes(app: FastAPI) -> None:
    @app.get("/portal/verifier/submissions/{submission_id}", include_in_schema=False)
    def submission(
        request: Request,
        submission_id: str = Path(max_length=64),
        who: Visitor = Depends(_verifier),  # noqa: B008
    ) -> Response:
        return _review(request, who, submission_id)

    @app.post("/portal/verifier/submissions/{submission_id}/decision", include_in_schema=False)
    def decide(
        request: Request,
        submission_id: str = Path(max_length=64),
        decision: str = Form("", pattern="^(accept|return)$"),
        comments: str = Form("", max_length=5000),
        csrf: str = Form("", max_length=100),
        who: Visitor = Depends(_verifier),  # noqa: B008
    ) -> Response:
        check_form(who, csrf)
        accept = decision == "accept"
        try:
            state = workflow.verify(_store(request), submission_id, who.actor, accept, comments)
        except CatalogueError as exc:
            with i18n.use_language(reader_language(request)):
                shown = findings(exc.diagnostics)
            return _review(request, who, submission_id, shown, exc.status, comments)
        target = f"/portal/verifier?decided={submission_id}&state={state}"
        return RedirectResponse(target, status_code=303)


def _review(
    request: Request,
    who: Visitor,
    submission_id: str,
    problems: list[Finding] | None = None,
    status: int = 200,
    comments: str = "",
) -> Response:
    with _store(request).reading() as session:
        found = records.submission_record(session, submission_id)
    if found is None:
        context = {"nav": "verifier", "diagnostic": _no_such(submission_id), "status": 404}
        return page(request, "portal/refused.html", context, status=404)
    result, untraced = _result(request, found)
    rule = _rule(found.submission.pcr_id)
    context = {
        "nav": "verifier",
        "who": who,
        "record": found,
        "result": result,
        "untraced": untraced,
        "inputs": _inputs(rule, result.trace.inputs if result.trace else []),
        "stages": _stages(rule, result),
        "problems": problems,
        "comments": comments,
    }
    return page(request, "portal/review.html", context, status=status)


def _rule(pcr_id: str) -> PCR | None:
    """The PCR a submission was filed under; None when the library has it no more (the page
    then shows the stored figures without the rule's words for them)."""
    try:
        return library_pcr(pcr_id)
    except ZujiError:
        return None


def _no_such(submission_id: str) -> Diagnostic:
    return Diagnostic("E947", f"no submission {submission_id} in the catalogue")


def _result(request: Request, found: records.SubmissionRecord) -> tuple[Result, list[Finding]]:
    """The result with every line's trace, recomputed from the stored inventory; the stored
    result without it when the PCR has changed since (E954, said on the page)."""
    submitted = found.submission
    with i18n.use_language(reader_language(request)):
        try:
            return workflow.traced(library_pcr(submitted.pcr_id), submitted), []
        except ZujiError as exc:
            return Result.model_validate_json(submitted.result), findings(exc.diagnostics)


def _figure(value: Any) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return f"{value:,.0f}"
    return f"{value:,.6g}" if isinstance(value, float) else str(value)


def _shown(value: Any) -> tuple[str, ...]:
    """An input's value as lines: a figure, an option, or a list's items one a line."""
    if value is None:
        return ("—",)
    if isinstance(value, list):
        return tuple(_item(item) for item in value) or ("—",)
    if isinstance(value, dict):
        return (_item(value),)
    return (_figure(value),)


def _item(item: Any) -> str:
    if isinstance(item, dict):
        return ", ".join(f"{k} {_figure(v)}" for k, v in item.items())
    return json.dumps(item, ensure_ascii=False) if isinstance(item, list) else _figure(item)


def _inputs(rule: PCR | None, used: list[TraceInput]) -> list[InputRow]:
    rows = []
    for inp in used:
        declared = rule.rule.input(inp.name) if rule is not None else None
        described = declared.description if declared is not None else None
        rows.append(
            InputRow(inp.name, described, _shown(inp.value), inp.unit, inp.origin, inp.source)
        )
    return rows


def _stages(rule: PCR | None, result: Result) -> list[StageRows]:
    """The result's lines under their stages, in the PCR's order, each with its trace."""
    traces = {line.name: line for line in result.trace.lines} if result.trace else {}
    stages_of = rule.rule.stages if rule is not None else ()
    declared = {stage.name: stage for stage in stages_of}
    lines_said = {line.name: line.description for s in stages_of for line in s.lines}
    stages = []
    for name in result.pcr.stages:
        lines = [
            LineRow(figure, lines_said.get(figure.name), traces.get(figure.name))
            for figure in result.lines
            if figure.stage == name
        ]
        stage = declared.get(name)
        described = stage.description if stage is not None else None
        stages.append(StageRows(name, described, result.by_stage.get(name, 0.0), lines))
    return stages
