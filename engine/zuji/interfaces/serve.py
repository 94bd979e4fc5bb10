"""The HTTP API: the PCR library, inventory schemas, evaluation, PACT export and rule checks.

`zuji serve` runs it on uvicorn (127.0.0.1:8000 by default); the OpenAPI document is at
/openapi.json. Every error is an RFC 9457 problem (application/problem+json) carrying Zuji's
diagnostic code and the input or position at fault. Request bodies and rule texts have size
limits; a request that breaks them gets 413, a malformed one 4xx — a user's mistake is never a 500.

This module holds the app and its routes; the response models are in serve_models, the problems
and the body limit in serve_problems, and the reading of request bodies in serve_bodies.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Query, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response

from zuji.core import library as lib
from zuji.core.errors import Diagnostic, UsageError, ZujiError
from zuji.core.files import write_atomic
from zuji.core.version import __version__
from zuji.exchange.pact import to_pact
from zuji.interfaces.serve_bodies import json_body, rule_body
from zuji.interfaces.serve_models import (
    CheckReport,
    CheckRequest,
    DiagnosticOut,
    Health,
    PcrDetail,
    PcrSummary,
    Problem,
    ProductFootprint,
    detail,
    summary,
)
from zuji.interfaces.serve_problems import BodyLimit, install_handlers, log
from zuji.runtime.inventory import Inventory, read_inventory
from zuji.runtime.pcr import PCR
from zuji.runtime.pcr import load as load_pcr
from zuji.runtime.pcr import load_text as load_pcr_text
from zuji.runtime.result import Result

MAX_BODY_BYTES = 2_000_000  # an inventory of a large plant with every delivery is ~100 kB
MAX_RULE_BYTES = 200_000  # the longest bundled PCR is under 20 kB
_PCR_ID = r"^[a-z][a-z0-9_]{0,63}$"


class _Library:
    """Loaded PCRs by id, reloaded when their file changes."""

    def __init__(self) -> None:
        self._loaded: dict[str, tuple[tuple[int, int], PCR]] = {}

    def ids(self) -> list[str]:
        return sorted(
            p.stem
            for p in lib.rule_files()
            if p.parent.name != "common" and p.parent.name == p.stem
        )

    def get(self, pcr_id: str) -> PCR:
        path = lib.pcr_root() / pcr_id / f"{pcr_id}.pcr"
        if pcr_id not in self.ids() or not path.is_file():
            raise UsageError(
                Diagnostic("E002", f"no PCR '{pcr_id}' in the library", where="pcr_id")
            )
        stat = path.stat()
        stamp = (stat.st_mtime_ns, stat.st_size)
        cached = self._loaded.get(pcr_id)
        if cached is None or cached[0] != stamp:
            cached = (stamp, load_pcr(path))
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
    install_handlers(app)
    _library_routes(app, library)
    _evaluation_routes(app, library)
    _rule_routes(app, max_rule)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]  # FastAPI's documented way
    app.state.max_body = max_body
    app.add_middleware(BodyLimit, limit=max_body)
    return app


def _library_routes(app: FastAPI, library: _Library) -> None:
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
                out.append(summary(library.get(pcr_id)))
            except ZujiError:
                log.warning("PCR %s does not load; left out of the list", pcr_id)
        return out

    @app.get(
        "/pcrs/{pcr_id}", response_model=PcrDetail, responses=_errors(404, 422), tags=["library"]
    )
    def get_pcr(pcr_id: str = _pcr_id()) -> PcrDetail:
        """A PCR's metadata, inputs, changelog and the links to its inventory schema and its
        documentation page (relative to the documentation site)."""
        return detail(library.get(pcr_id))

    @app.get(
        "/pcrs/{pcr_id}/schema",
        responses=_errors(404, 422),
        tags=["library"],
        response_model=dict[str, Any],
    )
    def get_schema(pcr_id: str = _pcr_id()) -> dict[str, Any]:
        """The JSON Schema (2020-12) of the PCR's inventory."""
        return library.get(pcr_id).schema()


def _evaluation_routes(app: FastAPI, library: _Library) -> None:
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
        document = json_body(await request.body(), request)
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
        document = json_body(await request.body(), request)
        result = pcr.evaluate(_inventory(pcr, document))
        return JSONResponse(to_pact(result))


def _rule_routes(app: FastAPI, max_rule: int) -> None:
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
        text, name = rule_body(await request.body(), request, max_rule)
        return _check_text(text, name)


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
                    "description": (
                        "An inventory: see GET /pcrs/{pcr_id}/schema for this PCR's inputs"
                    ),
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


def _inventory(pcr: PCR, document: Any) -> Inventory:
    # No base folder: a request cannot make the server read files (supplier documents inline).
    return read_inventory(document, pcr.rule, pcr.standards, "<request>", pcr.choices)


def _check_text(text: str, name: str) -> CheckReport:
    """Check a rule text sent in a request, through the engine's own loading: its limits apply
    and its caches are bounded, so texts from the network cannot pile up in memory."""
    rule_id = None
    try:
        pcr = load_pcr_text(text, name)
        rule_id, diagnostics = pcr.rule.id, pcr.diagnostics
    except ZujiError as exc:
        diagnostics = exc.diagnostics
    errors = sum(1 for d in diagnostics if d.is_error)
    return CheckReport(
        ok=errors == 0,
        id=rule_id,
        errors=errors,
        warnings=len(diagnostics) - errors,
        diagnostics=[DiagnosticOut.model_validate(d.as_dict()) for d in diagnostics],
    )


# ----------------------------------------------------------------------------- running


def run(host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve the API with uvicorn until interrupted."""
    import uvicorn

    uvicorn.run(create_app(), host=host, port=port, log_level="info")


def dump_openapi(path: Path) -> None:
    """Write the OpenAPI document (for publishing it without running the service)."""
    app = create_app()
    write_atomic(path, json.dumps(app.openapi(), indent=2, ensure_ascii=False) + "\n")


__all__ = ["MAX_BODY_BYTES", "MAX_RULE_BYTES", "create_app", "run"]
