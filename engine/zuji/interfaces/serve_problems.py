"""The HTTP API's errors: RFC 9457 problem details (application/problem+json) carrying Zuji's
diagnostic code and the input or position at fault, and the request-body size limit.

Every error a request can meet, from a Zuji diagnostic to a malformed parameter or an unknown
route, becomes a problem of the same shape, so a client reads one kind of error body.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from zuji.core.errors import (
    Diagnostic,
    EvaluationError,
    InventoryError,
    PactError,
    RuleError,
    UsageError,
    ZujiError,
)

PROBLEM = "application/problem+json"
PROBLEM_BASE = "https://zuji.example/problems/"

# The service's one logger, whichever of its modules writes to it.
log = logging.getLogger("zuji.interfaces.serve")


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


def problem(
    request: Request | None,
    status: int,
    title: str,
    kind: str,
    diagnostics: list[Diagnostic],
    headers: dict[str, str] | None = None,
    path: str = "",
) -> JSONResponse:
    """The problem+json response; `path` names the instance when there is no request yet."""
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


def from_zuji(exc: ZujiError) -> ProblemError:
    """The HTTP status and problem type of a Zuji error."""
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
            response = problem(
                None,
                413,
                "Request body too large",
                "too-large",
                [too_large(self.limit)],
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


def too_large(limit: int) -> Diagnostic:
    return Diagnostic(
        "E900",
        f"the request body is larger than {limit:,} bytes",
        hint="send one inventory per request",
    )


# ----------------------------------------------------------------------------- handlers


def install_handlers(app: FastAPI) -> None:
    """Every error a request meets, as a problem: Zuji's own, FastAPI's and the unexpected."""

    @app.exception_handler(ProblemError)
    async def raised(request: Request, exc: ProblemError) -> JSONResponse:
        return problem(request, exc.status, exc.title, exc.kind, exc.diagnostics, exc.headers)

    @app.exception_handler(ZujiError)
    async def zuji_error(request: Request, exc: ZujiError) -> JSONResponse:
        p = from_zuji(exc)
        return problem(request, p.status, p.title, p.kind, p.diagnostics)

    @app.exception_handler(BodyTooLarge)
    async def body_too_large(request: Request, exc: BodyTooLarge) -> JSONResponse:
        return problem(
            request,
            413,
            "Request body too large",
            "too-large",
            [too_large(request.app.state.max_body)],
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
        return problem(request, 422, "Invalid request parameters", "parameters", diagnostics)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "E903", 405: "E903"}.get(exc.status_code, "E902")
        detail = exc.detail if isinstance(exc.detail, str) else "request refused"
        title = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, detail)
        return problem(
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
        return problem(
            request,
            500,
            "Internal error",
            "internal",
            [Diagnostic("E905", "Zuji failed on this request; the log has details")],
        )
