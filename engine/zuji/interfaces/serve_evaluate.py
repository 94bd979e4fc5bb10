"""The evaluation routes: POST /pcrs/{pcr_id}/evaluate and POST /pcrs/{pcr_id}/pact.

They are the routes other systems call most, so they take only the request and read their
parameters and credentials themselves: FastAPI's solving of declared parameters and security
dependencies cost the event loop about as much per request as evaluating the inventory did. The
OpenAPI document still describes their parameters and security (`_OPERATION`), and a malformed
parameter gets the same 422 problem, in pydantic's words, as a declared one would.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import StringConstraints, TypeAdapter, ValidationError

from zuji.core.errors import Diagnostic, InventoryError
from zuji.exchange.pact import to_pact
from zuji.interfaces.serve_auth import authorize
from zuji.interfaces.serve_bodies import json_body, media_type
from zuji.interfaces.serve_models import ProductFootprint
from zuji.interfaces.serve_problems import scrub, scrub_json
from zuji.interfaces.serve_work import Workers
from zuji.runtime.pcr import PCR
from zuji.runtime.result import Result

PCR_ID = r"^[a-z][a-z0-9_]{0,63}$"
_PCR_ID_DESCRIPTION = "PCR id, e.g. cement"
_TRACE_DESCRIPTION = "Include every line's trace"

# The same constraints and words as a declared Path(pattern=PCR_ID, max_length=64) and a
# Query(bool): pydantic validates either way.
_PCR_ID_VALUE: TypeAdapter[str] = TypeAdapter(
    Annotated[str, StringConstraints(pattern=PCR_ID, max_length=64)]
)
_FLAG: TypeAdapter[bool] = TypeAdapter(bool)

_PCR_ID_PARAMETER = {
    "name": "pcr_id",
    "in": "path",
    "required": True,
    "schema": {
        "type": "string",
        "maxLength": 64,
        "pattern": PCR_ID,
        "description": _PCR_ID_DESCRIPTION,
        "title": "Pcr Id",
    },
    "description": _PCR_ID_DESCRIPTION,
}
_TRACE_PARAMETER = {
    "name": "trace",
    "in": "query",
    "required": False,
    "schema": {
        "type": "boolean",
        "description": _TRACE_DESCRIPTION,
        "default": False,
        "title": "Trace",
    },
    "description": _TRACE_DESCRIPTION,
}
# The security schemes are those require() declares on the other routes (serve_auth).
_SECURITY: list[dict[str, list[str]]] = [{"HTTPBearer": []}, {"APIKeyHeader": []}]
_INVENTORY_BODY = {
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


def _operation(*parameters: dict[str, Any]) -> dict[str, Any]:
    return {"security": _SECURITY, "parameters": list(parameters), "requestBody": _INVENTORY_BODY}


def evaluation_routes(
    app: FastAPI,
    pcr_of: Any,
    workers: Workers,
    errors: dict[int | str, dict[str, Any]],
) -> None:
    """The two routes; `pcr_of(pcr_id)` gives a compiled PCR of the library (or raises its
    UsageError), `errors` the error responses the OpenAPI document lists."""

    async def evaluate(request: Request) -> Response:
        """Evaluate an inventory (JSON) under a PCR: the footprint with its data quality and,
        on request, the trace of every line. Needs the `evaluate` scope."""
        asked = await _asked(request, with_trace=True)

        def work() -> str:
            # A trace names rule lines by file; labels are absolute when the service runs
            # outside the library's folder, and a reply names no folder of the server.
            return scrub_json(asked.evaluated(pcr_of).model_dump_json())

        return Response(await workers.compute(work), media_type="application/json")

    async def pact(request: Request) -> JSONResponse:
        """Evaluate an inventory and give the result as a PACT ProductFootprint (Tech Specs
        3.0), with decimal strings as PACT writes them. Needs the `evaluate` scope."""
        asked = await _asked(request, with_trace=False)

        def work() -> dict[str, Any]:
            footprint: dict[str, Any] = scrub(to_pact(asked.evaluated(pcr_of)))
            return footprint

        return JSONResponse(await workers.compute(work))

    app.add_api_route(
        "/pcrs/{pcr_id}/evaluate",
        evaluate,
        methods=["POST"],
        response_model=Result,
        tags=["evaluation"],
        responses=errors,
        openapi_extra=_operation(_PCR_ID_PARAMETER, _TRACE_PARAMETER),
    )
    app.add_api_route(
        "/pcrs/{pcr_id}/pact",
        pact,
        methods=["POST"],
        response_model=ProductFootprint,
        tags=["evaluation"],
        responses=errors,
        openapi_extra=_operation(_PCR_ID_PARAMETER),
    )


@dataclass(frozen=True)
class _Asked:
    """What an evaluation request asks: the PCR, the trace flag and the body as received."""

    pcr_id: str
    trace: bool
    raw: bytes
    media: str

    def evaluated(self, pcr_of: Any) -> Result:
        """The result, in a worker thread. It pins the request body's exact bytes, as a
        file's would be."""
        pcr: PCR = pcr_of(self.pcr_id)
        inventory = pcr.inventory(_inventory(self.raw, self.media), received=self.raw)
        return pcr.evaluate(inventory, trace=self.trace)


async def _asked(request: Request, with_trace: bool) -> _Asked:
    await authorize(request, "evaluate")  # first, as a declared dependency would be
    pcr_id, trace = _parameters(request, with_trace)
    return _Asked(pcr_id, trace, await request.body(), media_type(request))


def _parameters(request: Request, with_trace: bool) -> tuple[str, bool]:
    """The PCR id of the path and the trace flag of the query, or the 422 of FastAPI's
    validation with pydantic's words for what is wrong."""
    problems: list[dict[str, Any]] = []
    pcr_id = _valid(_PCR_ID_VALUE, request.path_params.get("pcr_id"), "path", "pcr_id", problems)
    trace = False
    if with_trace and (given := request.query_params.get("trace")) is not None:
        trace = _valid(_FLAG, given, "query", "trace", problems)
    if problems:
        raise RequestValidationError(problems)
    return pcr_id, trace


def _valid(
    adapter: TypeAdapter[Any], value: Any, where: str, name: str, problems: list[dict[str, Any]]
) -> Any:
    try:
        return adapter.validate_python(value)
    except ValidationError as exc:
        problems.extend({**e, "loc": (where, name)} for e in exc.errors())
        return None


def _inventory(raw: bytes, media: str) -> dict[str, Any]:
    """The inventory of a request body. Only a mapping reaches the engine: a JSON string would
    be taken for a file name. With no base folder, supplier documents must come inline."""
    document = json_body(raw, media)
    if not isinstance(document, dict):
        raise InventoryError(
            Diagnostic("E500", "<request>: an inventory is a mapping with 'pcr' and 'inputs'")
        )
    return document


__all__ = ["PCR_ID", "evaluation_routes"]
