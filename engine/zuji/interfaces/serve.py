"""The HTTP API: the PCR library, inventory schemas, evaluation, PACT export and rule checks.

`zuji serve` runs it on uvicorn (127.0.0.1:8000 by default); the OpenAPI document is at
/openapi.json. Every error is an RFC 9457 problem (application/problem+json) carrying Zuji's
diagnostic code and the input or position at fault. Request bodies and rule texts have size
limits; a request that breaks them gets 413, a malformed one 4xx — a user's mistake is never a 500.

Bodies are read and parsed by Zuji itself (not by FastAPI) so that JSON with duplicate keys, deep
nesting or text that is not UTF-8 gets the same diagnostics as a file on the command line.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from zuji.core import library as lib
from zuji.core.documents import load_text as load_document
from zuji.core.errors import (
    Diagnostic,
    DocumentError,
    EvaluationError,
    InventoryError,
    PactError,
    RuleError,
    UsageError,
    ZujiError,
)
from zuji.core.version import __version__
from zuji.exchange.pact import to_pact
from zuji.runtime import pcr as api
from zuji.runtime.result import Result

MAX_BODY_BYTES = 2_000_000  # an inventory of a large plant with every delivery is ~100 kB
MAX_RULE_BYTES = 200_000  # the longest bundled PCR is under 20 kB
PROBLEM = "application/problem+json"
PROBLEM_BASE = "https://zuji.example/problems/"
_PCR_ID = r"^[a-z][a-z0-9_]{0,63}$"

log = logging.getLogger("zuji.interfaces.serve")


# ----------------------------------------------------------------------------- models


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Health(_Out):
    status: str = Field(examples=["ok"])
    engine: str
    pcrs: int = Field(description="PCRs in the library")


class Link(_Out):
    href: str
    note: str = ""


class PcrSummary(_Out):
    id: str
    version: str
    status: str
    name_en: str
    name_zh: str
    declared_unit: str
    links: dict[str, Link]


class InputInfo(_Out):
    name: str
    kind: str = Field(description="quantity, choice or list")
    unit: str | None
    description_en: str
    description_zh: str
    required: bool
    optional: bool
    quality: str | None = Field(description="primary / secondary data the PCR requires")
    default: str | None
    options: list[str] = Field(default_factory=list)
    bounds: list[str] = Field(default_factory=list)
    fields: list[InputInfo] = Field(default_factory=list)
    accepts_pact: bool = Field(False, description="May be given as a supplier's PACT document")


class ChangeInfo(_Out):
    version: str
    date: str
    summary: str


class PcrDetail(PcrSummary):
    description_en: str
    description_zh: str
    effective: str | None
    standards: list[str]
    gwp: str
    boundary: str
    stages: list[str]
    geography: list[str]
    classification: list[str]
    source_hash: str
    inputs: list[InputInfo]
    changelog: list[ChangeInfo]


class DiagnosticOut(_Out):
    code: str
    severity: str
    message: str
    hint: str | None = None
    file: str | None = None
    line: int | None = None
    column: int | None = None
    where: str | None = Field(None, description="The input or field at fault")


class CheckReport(_Out):
    ok: bool = Field(description="No errors (warnings allowed)")
    id: str | None = Field(description="The PCR or module id, when the text parses")
    errors: int
    warnings: int
    diagnostics: list[DiagnosticOut]


class CheckRequest(_Out):
    text: str = Field(description="The rule text")
    file: str = Field("rule.pcr", description="Name to show in the diagnostics' positions")


class Problem(BaseModel):
    """An RFC 9457 problem, with Zuji's code and the diagnostics behind it."""

    model_config = ConfigDict(extra="allow")
    type: str
    title: str
    status: int
    detail: str
    instance: str
    code: str = Field(description="Zuji's diagnostic code of the first problem")
    where: str | None = Field(None, description="The input, field or position at fault")
    diagnostics: list[DiagnosticOut] = Field(default_factory=list)


class ProductFootprint(BaseModel):
    """A PACT ProductFootprint (Tech Specs 3.0.3): see the PACT specification for every field."""

    model_config = ConfigDict(extra="allow")
    id: str
    specVersion: str
    created: str
    status: str
    companyName: str
    companyIds: list[str]
    productDescription: str
    productIds: list[str]
    productNameCompany: str
    pcf: dict[str, Any]


InputInfo.model_rebuild()


# ----------------------------------------------------------------------------- problems


class ProblemError(Exception):
    """Raised by the routes: becomes a problem+json response."""

    def __init__(
        self,
        status: int,
        title: str,
        kind: str,
        diagnostics: list[Diagnostic],
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(title)
        self.status, self.title, self.kind = status, title, kind
        self.diagnostics, self.headers = diagnostics, headers


class BodyTooLarge(Exception):
    pass


def _problem(
    request: Request | None,
    status: int,
    title: str,
    kind: str,
    diagnostics: list[Diagnostic],
    headers: dict[str, str] | None = None,
    path: str = "",
) -> JSONResponse:
    first = diagnostics[0] if diagnostics else Diagnostic("E000", title)
    where = first.where or (str(first.span) if first.span else None)
    body = {
        "type": PROBLEM_BASE + kind,
        "title": title,
        "status": status,
        "detail": "; ".join(d.message for d in diagnostics[:5]) or title,
        "instance": request.url.path if request is not None else path,
        "code": first.code,
        "where": where,
        "diagnostics": [d.as_dict() for d in diagnostics[:50]],
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def _from_zuji(exc: ZujiError) -> ProblemError:
    if isinstance(exc, UsageError):
        return ProblemError(404, "Not found", "not-found", exc.diagnostics)
    if isinstance(exc, InventoryError):
        return ProblemError(422, "The inventory does not fit the PCR", "inventory", exc.diagnostics)
    if isinstance(exc, EvaluationError):
        return ProblemError(422, "The inventory cannot be evaluated", "evaluation", exc.diagnostics)
    if isinstance(exc, PactError):
        return ProblemError(
            422, "No PACT document can be made of this result", "pact", exc.diagnostics
        )
    if isinstance(exc, RuleError):
        return ProblemError(409, "The PCR does not pass its checks", "rule", exc.diagnostics)
    return ProblemError(422, "The request cannot be processed", "zuji", exc.diagnostics)


# ----------------------------------------------------------------------------- body limit


class BodyLimit:
    """Refuses request bodies above a size, whether or not they announce their length."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            response = _problem(
                None,
                413,
                "Request body too large",
                "too-large",
                [_too_large(self.limit)],
                path=scope.get("path", ""),
            )
            await response(scope, receive, send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise BodyTooLarge()
            return message

        await self.app(scope, limited, send)


def _too_large(limit: int) -> Diagnostic:
    return Diagnostic(
        "E900",
        f"the request body is larger than {limit:,} bytes",
        hint="send one inventory per request",
    )


# ----------------------------------------------------------------------------- the app


class _Library:
    """Loaded PCRs by id, reloaded when their file changes."""

    def __init__(self) -> None:
        self._loaded: dict[str, tuple[tuple[int, int], api.PCR]] = {}

    def ids(self) -> list[str]:
        return sorted(
            p.stem
            for p in lib.rule_files()
            if p.parent.name != "common" and p.parent.name == p.stem
        )

    def get(self, pcr_id: str) -> api.PCR:
        path = lib.pcr_root() / pcr_id / f"{pcr_id}.pcr"
        if pcr_id not in self.ids() or not path.is_file():
            raise UsageError(
                Diagnostic("E002", f"no PCR '{pcr_id}' in the library", where="pcr_id")
            )
        stat = path.stat()
        stamp = (stat.st_mtime_ns, stat.st_size)
        cached = self._loaded.get(pcr_id)
        if cached is None or cached[0] != stamp:
            cached = (stamp, api.load(path))
            self._loaded[pcr_id] = cached
        return cached[1]


def create_app(max_body: int = MAX_BODY_BYTES, max_rule: int = MAX_RULE_BYTES) -> FastAPI:
    """The FastAPI application (uvicorn, or any ASGI server, runs it)."""
    app = FastAPI(
        title="Zuji",
        version=__version__,
        summary="Product carbon footprints from Product Category Rules",
        description=_DESCRIPTION,
    )
    library = _Library()
    _handlers(app)

    @app.get("/health", response_model=Health, tags=["service"])
    def health() -> Health:
        """Whether the service runs, and how many PCRs it serves."""
        return Health(status="ok", engine=f"zuji {__version__}", pcrs=len(library.ids()))

    @app.get("/pcrs", response_model=list[PcrSummary], tags=["library"])
    def list_pcrs(request: Request) -> list[PcrSummary]:
        """The PCR library: id, version, status, product and links."""
        out = []
        for pcr_id in library.ids():
            try:
                out.append(_summary(library.get(pcr_id)))
            except ZujiError:
                log.warning("PCR %s does not load; left out of the list", pcr_id)
        return out

    @app.get(
        "/pcrs/{pcr_id}", response_model=PcrDetail, responses=_errors(404, 422), tags=["library"]
    )
    def get_pcr(pcr_id: str = _pcr_id()) -> PcrDetail:
        """A PCR's metadata, inputs, changelog and the links to its inventory schema and its
        documentation page (relative to the documentation site)."""
        return _detail(library.get(pcr_id))

    @app.get(
        "/pcrs/{pcr_id}/schema",
        responses=_errors(404, 422),
        tags=["library"],
        response_model=dict[str, Any],
    )
    def get_schema(pcr_id: str = _pcr_id()) -> dict[str, Any]:
        """The JSON Schema (2020-12) of the PCR's inventory."""
        return library.get(pcr_id).schema()

    @app.post(
        "/pcrs/{pcr_id}/evaluate",
        response_model=Result,
        tags=["evaluation"],
        responses=_errors(404, 409, 413, 415, 422),
        openapi_extra=_INVENTORY_BODY,
    )
    async def evaluate(
        request: Request,
        pcr_id: str = _pcr_id(),
        trace: bool = Query(False, description="Include every line's trace"),
    ) -> Response:
        """Evaluate an inventory (JSON) under a PCR: the footprint with its data quality and,
        on request, the trace of every line."""
        pcr = library.get(pcr_id)
        document = _json_body(await request.body(), request)
        result = pcr.evaluate(_inventory(pcr, document), trace=trace)
        return Response(result.model_dump_json(), media_type="application/json")

    @app.post(
        "/pcrs/{pcr_id}/pact",
        response_model=ProductFootprint,
        tags=["evaluation"],
        responses=_errors(404, 409, 413, 415, 422),
        openapi_extra=_INVENTORY_BODY,
    )
    async def pact(request: Request, pcr_id: str = _pcr_id()) -> JSONResponse:
        """Evaluate an inventory and give the result as a PACT ProductFootprint (Tech Specs
        3.0), with decimal strings as PACT writes them."""
        pcr = library.get(pcr_id)
        document = _json_body(await request.body(), request)
        result = pcr.evaluate(_inventory(pcr, document))
        return JSONResponse(to_pact(result))

    @app.post(
        "/check",
        response_model=CheckReport,
        tags=["rules"],
        responses=_errors(413, 415, 422),
        openapi_extra=_RULE_BODY,
    )
    async def check_rule(request: Request) -> CheckReport:
        """Check a rule text (sent as text/plain, or as JSON {"text": ..., "file": ...}):
        every diagnostic with its line and column. Modules it uses come from the library."""
        text, name = _rule_body(await request.body(), request, max_rule)
        return _check_text(text, name)

    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    app.state.max_body = max_body
    app.add_middleware(BodyLimit, limit=max_body)
    return app


_DESCRIPTION = """Zuji evaluates product carbon footprints under Product Category Rules (PCRs).

- `GET /pcrs` lists the library; `GET /pcrs/{id}/schema` gives the JSON Schema of a PCR's inventory.
- `POST /pcrs/{id}/evaluate` takes an inventory (JSON) and gives the result (kg CO2e per declared
  unit, by stage, gas and line, data quality; `?trace=true` adds the trace of every number).
- `POST /pcrs/{id}/pact` gives the result as a PACT ProductFootprint (Tech Specs 3.0).
- An intensity input (such as `t CO2e/t`) may be a supplier's PACT document: `{"pact": {...}}`.
- `POST /check` checks a rule text and gives every diagnostic with its position.

Errors are RFC 9457 problems (`application/problem+json`) with Zuji's `code` and the `where` at
fault. Request bodies above the size limit get 413.
"""


def _pcr_id() -> Any:
    from fastapi import Path as PathParam

    return PathParam(description="PCR id, e.g. cement", pattern=_PCR_ID, max_length=64)


_INVENTORY_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["inputs"],
                    "description": "An inventory: see GET /pcrs/{pcr_id}/schema for this PCR's inputs",
                    "properties": {"pcr": {"type": "string"}, "inputs": {"type": "object"}},
                }
            }
        },
    }
}
_RULE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "text/plain": {"schema": {"type": "string"}},
            "application/json": {"schema": {"$ref": "#/components/schemas/CheckRequest"}},
        },
    }
}


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    titles = {
        400: "Malformed request",
        404: "No such PCR",
        409: "The PCR does not pass its checks",
        413: "Request body or rule text too large",
        415: "Unsupported media type",
        422: "The request is well-formed but cannot be processed",
    }
    return {code: {"description": titles[code]} for code in codes}


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document, with every error response given as a problem+json Problem."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title,
        version=app.version,
        summary=app.summary,
        description=app.description,
        routes=app.routes,
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for model in (Problem, DiagnosticOut, CheckRequest):
        extra = model.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(extra.pop("$defs", {}))
        components[model.__name__] = extra
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            responses = operation.setdefault("responses", {})
            # Any route can meet a body over the limit or a malformed parameter.
            responses.setdefault("413", {"description": "Request body too large"})
            responses.setdefault("422", {"description": "Malformed parameters"})
            responses.setdefault("400", {"description": "Malformed request"})
            responses.setdefault("405", {"description": "Method not allowed"})
            for code, response in responses.items():
                if code.isdigit() and int(code) >= 400:
                    response["content"] = problem
    app.openapi_schema = schema
    return schema


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(ProblemError)
    async def problem(request: Request, exc: ProblemError) -> JSONResponse:
        return _problem(request, exc.status, exc.title, exc.kind, exc.diagnostics, exc.headers)

    @app.exception_handler(ZujiError)
    async def zuji_error(request: Request, exc: ZujiError) -> JSONResponse:
        p = _from_zuji(exc)
        return _problem(request, p.status, p.title, p.kind, p.diagnostics)

    @app.exception_handler(BodyTooLarge)
    async def too_large(request: Request, exc: BodyTooLarge) -> JSONResponse:
        return _problem(
            request,
            413,
            "Request body too large",
            "too-large",
            [_too_large(request.app.state.max_body)],
        )

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        diagnostics = [
            Diagnostic(
                "E904",
                f"{'/'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', 'invalid')}",
                where="/".join(str(p) for p in e.get("loc", ())),
            )
            for e in exc.errors()
        ]
        return _problem(request, 422, "Invalid request parameters", "parameters", diagnostics)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "E903", 405: "E903"}.get(exc.status_code, "E902")
        detail = exc.detail if isinstance(exc.detail, str) else "request refused"
        title = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, detail)
        return _problem(
            request,
            exc.status_code,
            title,
            "http",
            [Diagnostic(code, f"{request.method} {request.url.path}: {detail}")],
            getattr(exc, "headers", None),
        )

    @app.exception_handler(Exception)
    async def internal(request: Request, exc: Exception) -> JSONResponse:
        log.exception("internal error on %s %s", request.method, request.url.path)
        return _problem(
            request,
            500,
            "Internal error",
            "internal",
            [Diagnostic("E905", "Zuji failed on this request; the log has details")],
        )


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def _json_body(raw: bytes, request: Request) -> Any:
    media = _media_type(request)
    if media and media != "application/json" and not media.endswith("+json"):
        raise ProblemError(
            415,
            "Unsupported media type",
            "media-type",
            [Diagnostic("E902", f"the body is {media}; send the inventory as application/json")],
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProblemError(
            400,
            "Malformed request",
            "malformed",
            [Diagnostic("E013", f"the body is not UTF-8 text (byte {exc.start})")],
        ) from None
    if not text.strip():
        raise ProblemError(
            400,
            "Malformed request",
            "malformed",
            [Diagnostic("E902", "the body is empty; send the inventory as JSON")],
        )
    try:
        return load_document(text, "<request>.json")
    except DocumentError as exc:
        raise ProblemError(400, "Malformed request", "malformed", [exc.diagnostic]) from None


def _inventory(pcr: api.PCR, document: Any) -> Any:
    # No base folder: a request cannot make the server read files (supplier documents inline).
    from zuji.runtime.inventory import read_inventory

    return read_inventory(document, pcr.rule, pcr.standards, "<request>", pcr.choices)


def _rule_body(raw: bytes, request: Request, limit: int) -> tuple[str, str]:
    media = _media_type(request)
    if media not in ("", "text/plain", "application/json"):
        raise ProblemError(
            415,
            "Unsupported media type",
            "media-type",
            [Diagnostic("E902", f"the body is {media}; send the rule text as text/plain or JSON")],
        )
    if media == "application/json":
        document = _json_body(raw, request)
        if (
            not isinstance(document, dict)
            or not isinstance(document.get("text"), str)
            or not isinstance(document.get("file", ""), str)
            or set(document) - {"text", "file"}
        ):
            raise ProblemError(
                422,
                "The request cannot be processed",
                "check-request",
                [
                    Diagnostic(
                        "E902", 'a JSON body is {"text": "...", "file": "name.pcr"}', where="text"
                    )
                ],
            )
        text, name = document["text"], document.get("file") or "rule.pcr"
    else:
        try:
            text, name = raw.decode("utf-8"), "rule.pcr"
        except UnicodeDecodeError as exc:
            raise ProblemError(
                400,
                "Malformed request",
                "malformed",
                [Diagnostic("E003", f"the rule text is not UTF-8 (byte {exc.start})")],
            ) from None
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > limit:
        raise ProblemError(
            413,
            "Rule text too large",
            "rule-too-large",
            [
                Diagnostic(
                    "E901",
                    f"the rule text is {size:,} bytes; the limit is {limit:,}",
                    hint="split shared parts into modules",
                )
            ],
        )
    return text, _safe_name(name)


def _safe_name(name: str) -> str:
    # Positions name the file the caller chose, but never as a path into the server.
    cleaned = os.path.basename(name.replace("\\", "/")).strip() or "rule.pcr"
    return cleaned[:100]


def _check_text(text: str, name: str) -> CheckReport:
    """Check a rule text sent in a request, through the engine's own loading: its limits apply
    and its caches are bounded, so texts from the network cannot pile up in memory."""
    rule_id = None
    try:
        pcr = api.load_text(text, name)
        rule_id, diagnostics = pcr.rule.id, pcr.diagnostics
    except ZujiError as exc:
        diagnostics = exc.diagnostics
    errors = sum(1 for d in diagnostics if d.is_error)
    return CheckReport(
        ok=errors == 0,
        id=rule_id,
        errors=errors,
        warnings=len(diagnostics) - errors,
        diagnostics=[DiagnosticOut(**d.as_dict()) for d in diagnostics],
    )


# ----------------------------------------------------------------------------- PCR views


def _summary(pcr: api.PCR) -> PcrSummary:
    rule = pcr.rule
    unit = rule.declared_unit
    return PcrSummary(
        id=rule.id,
        version=rule.version,
        status=rule.status,
        name_en=rule.name.en,
        name_zh=rule.name.zh,
        declared_unit=f"{unit.amount:g} {unit.unit}" if unit else "",
        links={
            "self": Link(href=f"/pcrs/{rule.id}"),
            "schema": Link(href=f"/pcrs/{rule.id}/schema"),
            "evaluate": Link(href=f"/pcrs/{rule.id}/evaluate"),
            "docs": Link(
                href=f"pcr/{rule.id}/", note="relative to the root of the documentation site"
            ),
        },
    )


def _detail(pcr: api.PCR) -> PcrDetail:
    rule = pcr.rule
    return PcrDetail(
        **_summary(pcr).model_dump(),
        description_en=rule.description.en,
        description_zh=rule.description.zh,
        effective=rule.effective.isoformat() if rule.effective else None,
        standards=list(rule.standards),
        gwp=rule.gwp,
        boundary=rule.boundary.kind if rule.boundary else "",
        stages=list(rule.boundary.stages) if rule.boundary else [],
        geography=list(rule.geography),
        classification=list(rule.classification),
        source_hash=rule.source_hash,
        inputs=[_input(i, pcr.choices) for i in rule.inputs],
        changelog=[
            ChangeInfo(version=c.version, date=c.date.isoformat(), summary=c.summary)
            for c in rule.changelog
        ],
    )


def _input(inp: Any, choices: dict[str, tuple[str, ...]]) -> InputInfo:
    from zuji.runtime.supplier import is_intensity as _is_intensity

    default = inp.default
    shown = None
    if default is not None:
        shown = default.choice or (
            f"factor {default.factor}"
            if default.factor
            else f"{default.number:g} {inp.unit or ''}".strip()
        )
    return InputInfo(
        name=inp.name,
        kind=inp.kind,
        unit=str(inp.unit) if inp.unit else None,
        description_en=inp.description.en,
        description_zh=inp.description.zh,
        required=inp.required,
        optional=inp.optional,
        quality=inp.quality,
        default=shown,
        options=list(inp.options or choices.get(inp.choice_type or "", ())),
        bounds=[f"{b.op} {b.value:g}" for b in inp.bounds],
        fields=[_input(f, choices) for f in inp.fields],
        accepts_pact=inp.kind == "quantity" and _is_intensity(inp),
    )


# ----------------------------------------------------------------------------- running


def run(host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve the API with uvicorn until interrupted."""
    import uvicorn

    uvicorn.run(create_app(), host=host, port=port, log_level="info")


def dump_openapi(path: Path) -> None:
    """Write the OpenAPI document (for publishing it without running the service)."""
    app = create_app()
    path.write_text(
        json.dumps(app.openapi(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )


__all__ = ["MAX_BODY_BYTES", "MAX_RULE_BYTES", "create_app", "run"]
