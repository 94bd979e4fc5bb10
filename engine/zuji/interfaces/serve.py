"""The HTTP API: the PCR library, inventory schemas, evaluation, PACT export and rule checks.

`zuji serve` runs it on uvicorn (127.0.0.1:8000 by default, see serve_cli); the OpenAPI document
is at /openapi.json. Every error is an RFC 9457 problem (application/problem+json) carrying
Zuji's diagnostic code and the input or position at fault. Request bodies and rule texts have
size limits; a request that breaks them gets 413, a malformed one 4xx — a user's mistake is
never a 500.

The event loop only moves bytes: evaluations run in threads and rule checks in processes, each
within a time budget (serve_work), so /health and the library routes answer while a long check
runs. Evaluating and checking need a client's credentials (serve_auth); reading the library does
not. The Host allow-list and security headers are serve_guard's; problems and the body limit
serve_problems'; the reading of request bodies serve_bodies'.
"""

from __future__ import annotations

import base64
import hashlib
import re
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse

from zuji.core import library as lib
from zuji.core.access import TOKEN_LIFETIME, Gate, Grant
from zuji.core.errors import Diagnostic, UsageError, ZujiError
from zuji.core.version import __version__
from zuji.interfaces.serve_auth import require, token_route
from zuji.interfaces.serve_bodies import media_type, rule_body
from zuji.interfaces.serve_config import MAX_BODY_BYTES, MAX_RULE_BYTES, ServiceConfig
from zuji.interfaces.serve_evaluate import PCR_ID, evaluation_routes
from zuji.interfaces.serve_guard import Guard, Speaking
from zuji.interfaces.serve_models import (
    CheckReport,
    CheckRequest,
    DiagnosticOut,
    Health,
    PcrDetail,
    PcrSummary,
    Problem,
    detail,
    summary,
)
from zuji.interfaces.serve_problems import BodyLimit, install_handlers, log
from zuji.interfaces.serve_work import Workers, settle
from zuji.runtime.pcr import PCR
from zuji.runtime.pcr import load as load_pcr


class _Library:
    """Loaded PCRs by id, compiled once per worker process and reloaded when their file changes."""

    _IDS_FRESH = 2.0  # seconds the list of ids is trusted before the folder is read again

    def __init__(self) -> None:
        self._loaded: dict[str, tuple[tuple[int, int], PCR]] = {}
        self._ids: tuple[float, list[str]] = (-1e9, [])
        self._lock = threading.Lock()

    def ids(self) -> list[str]:
        read_at, ids = self._ids
        if time.monotonic() - read_at > self._IDS_FRESH:
            ids = sorted(
                p.stem
                for p in lib.rule_files()
                if p.parent.name != "common" and p.parent.name == p.stem
            )
            self._ids = (time.monotonic(), ids)
        return ids

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
            with self._lock:  # one thread compiles; the others wait for its plan
                cached = self._loaded.get(pcr_id)
                if cached is None or cached[0] != stamp:
                    cached = (stamp, load_pcr(path))
                    self._loaded[pcr_id] = cached
        return cached[1]

    def warm(self) -> None:
        for pcr_id in self.ids():
            try:
                self.get(pcr_id)
            except ZujiError:
                log.warning("PCR %s does not load", pcr_id)


def _start_warming(warm: Callable[[], None], settles: bool) -> None:
    """`warm` in a thread of its own; in a worker of `zuji serve`, what is loaded now and what
    `warm` loads are settled (serve_work.settle)."""

    def warming() -> None:
        warm()
        if settles:
            settle()

    threading.Thread(target=warming, name="zuji-warm", daemon=True).start()
    if settles:
        settle()


def create_app(
    max_body: int = MAX_BODY_BYTES,
    max_rule: int = MAX_RULE_BYTES,
    config: ServiceConfig | None = None,
    settles: bool = False,
) -> FastAPI:
    """The FastAPI application (uvicorn, or any ASGI server, runs it). `settles`: the process
    serves only it (serve_work.settle); an app among other work (a test) leaves the GC be."""
    config = config or ServiceConfig(max_body=max_body, max_rule=max_rule)
    library = _Library()
    workers = Workers(config.budget, config.threads, config.checkers)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The event loop gets the interpreter lock back from an evaluating thread after at
        # most this long (Python's default is 5 ms): /health stays quick under load.
        sys.setswitchinterval(0.001)
        await workers.checkers.start()
        # Compiling the library takes seconds; the service answers meanwhile (a request for a
        # PCR not yet compiled compiles it, or waits for the warm-up's plan).
        _start_warming(library.warm, settles)
        yield
        await workers.checkers.stop()
        workers.stop()

    app = FastAPI(
        title="Zuji",
        version=__version__,
        summary="Product carbon footprints from Product Category Rules",
        description=_DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    _settings(app, config)
    app.state.settles = settles
    if config.catalogue is not None:
        from zuji.interfaces.serve_catalogue import install

        install(app, config.catalogue)
    install_handlers(app)
    _library_routes(app, library)
    evaluation_routes(app, library.get, workers, _errors(401, 403, 404, 409, 413, 415, 422, 503))
    _rule_routes(app, config.max_rule, workers)
    token_route(app, TOKEN_LIFETIME)
    docs_policy = _docs_route(app)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]  # FastAPI's documented way
    app.add_middleware(BodyLimit, limit=config.max_body, timeout=config.body_timeout)
    if config.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(config.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "X-API-Key"],
        )
    app.add_middleware(
        Guard, allowed_hosts=config.allowed_hosts, html_policies={"/docs": docs_policy}
    )
    app.add_middleware(Speaking)  # outermost: every part of a request speaks its language
    return app


def _settings(app: FastAPI, config: ServiceConfig) -> None:
    """The settings the routes read from the app, and the rule pages at /rules/ when given."""
    app.state.gate = Gate(config.clients_file)
    app.state.config = config
    app.state.max_body = config.max_body
    app.state.body_timeout = config.body_timeout
    app.state.docs_site = config.docs_site
    if config.docs_site is not None:
        from zuji.interfaces.web.rules import mount_rules

        mount_rules(app, config.docs_site)


def app_from_environment() -> FastAPI:
    """The app of a worker process `zuji serve` started (uvicorn's factory)."""
    return create_app(config=ServiceConfig.from_environment(), settles=True)


def _library_routes(app: FastAPI, library: _Library) -> None:
    @app.get("/health", response_model=Health, tags=["service"])
    async def health() -> Health:
        """Whether the service runs, and how many PCRs it serves (answered on the event loop,
        which never computes, so it answers while evaluations and checks run)."""
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


def _rule_routes(app: FastAPI, max_rule: int, workers: Workers) -> None:
    @app.post(
        "/check",
        response_model=CheckReport,
        tags=["rules"],
        responses=_errors(401, 403, 413, 415, 422, 503),
        openapi_extra=_RULE_BODY,
    )
    async def check_rule(
        request: Request,
        grant: Grant = Depends(require("check")),  # noqa: B008
    ) -> JSONResponse:
        """Check a rule text (sent as text/plain, or as JSON {"text": ..., "file": ...}):
        every diagnostic with its line and column. Modules it uses come from the bundled
        library only. Needs the `check` scope."""
        text, name = rule_body(await request.body(), media_type(request), max_rule)
        return JSONResponse(await workers.check(text, name))


def _docs_route(app: FastAPI) -> str:
    """The interactive API page, and the content security policy that lets exactly its own
    inline script run (by hash) and its scripts come from the CDN FastAPI's page names."""
    page = get_swagger_ui_html(openapi_url="/openapi.json", title=f"{app.title} - Swagger UI")
    html = bytes(page.body).decode()
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(code.encode()).digest()).decode() + "'"
        for code in re.findall(r"<script>(.*?)</script>", html, flags=re.S)
    )
    cdn = "https://cdn.jsdelivr.net"

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return HTMLResponse(html)

    return (
        f"default-src 'none'; script-src {cdn} {hashes}; style-src {cdn}; "
        "img-src https://fastapi.tiangolo.com data:; connect-src 'self'; frame-ancestors 'none'"
    )


_DESCRIPTION = """Zuji evaluates product carbon footprints under Product Category Rules (PCRs).

- `GET /pcrs` lists the library; `GET /pcrs/{id}/schema` gives the JSON Schema of a PCR's inventory.
- `POST /pcrs/{id}/evaluate` takes an inventory (JSON) and gives the result (kg CO2e per declared
  unit, by stage, gas and line, data quality; `?trace=true` adds the trace of every number).
- `POST /pcrs/{id}/pact` gives the result as a PACT ProductFootprint (Tech Specs 3.0).
- An intensity input (such as `t CO2e/t`) may be a supplier's PACT document: `{"pact": {...}}`.
- `POST /check` checks a rule text and gives every diagnostic with its position.

Evaluating and checking need a client (`zuji clients add NAME`): send `X-API-Key: ID:SECRET`,
or trade the pair at `POST /auth/token` (OAuth2 client credentials, as PACT hosts do) for a
bearer token. Reading the library needs nothing.

Errors are RFC 9457 problems (`application/problem+json`) with Zuji's `code` and the `where` at
fault. Request bodies above the size limit get 413, bodies too slow to arrive 408, work over the
service's time budget 503.
"""


def _pcr_id() -> Any:
    from fastapi import Path as PathParam

    return PathParam(description="PCR id, e.g. cement", pattern=PCR_ID, max_length=64)


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
        401: "No credentials, or bad or expired ones",
        403: "The client lacks the scope this operation needs",
        404: "No such PCR",
        409: "The PCR does not pass its checks",
        413: "Request body or rule text too large",
        415: "Unsupported media type",
        422: "The request is well-formed but cannot be processed",
        503: "Over the service's time budget",
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
    schema["components"].setdefault("securitySchemes", {})["HTTPBasic"] = {
        "type": "http",
        "scheme": "basic",
        "description": "client_id:client_secret, for POST /auth/token only",
    }
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for route, path in schema.get("paths", {}).items():
        if route == "/auth/token":  # answers in RFC 6749's error shape, as OAuth2 clients expect
            continue
        if route.startswith("/3/"):  # the PACT host answers PACT's Error objects (serve_pact)
            continue
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


__all__ = ["MAX_BODY_BYTES", "MAX_RULE_BYTES", "app_from_environment", "create_app"]
