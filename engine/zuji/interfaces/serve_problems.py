"""The HTTP API's errors: RFC 9457 problem details (application/problem+json) carrying Zuji's
diagnostic code and the input or position at fault, and the request-body size limit.

Every error a request can meet, from a Zuji diagnostic to a malformed parameter or an unknown
route, becomes a problem of the same shape, so a client reads one kind of error body.
"""

from __future__ import annotations

import json
import logging
import os
import time
from functools import cache
from pathlib import Path
from typing import Any

import anyio
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from zuji.core import i18n
from zuji.core import library as lib
from zuji.core.errors import (
    AccessError,
    CatalogueError,
    Diagnostic,
    EvaluationError,
    InventoryError,
    PactError,
    RuleError,
    UsageError,
    ZujiError,
)
from zuji.core.i18n import N_

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


class BodyTooSlow(Exception):
    pass


@cache
def _server_folders() -> tuple[str, ...]:
    # Longest first, so the library inside a checkout is cut before the checkout itself.
    folders = {str(lib.root().resolve()), str(Path.cwd().resolve()), str(Path.home())}
    return tuple(sorted((f + os.sep for f in folders if f != os.sep), key=len, reverse=True))


def scrub_json(text: str) -> str:
    """A JSON text with the server's folders cut out (as `scrub` does for a value)."""
    for folder in _server_folders():
        text = text.replace(json.dumps(folder)[1:-1], "")
    return text


def scrub(value: Any) -> Any:
    """A reply with the server's own folders cut out of every text: a diagnostic about a
    library module or a rule file names it as pcr/common/heat.pcr, never as a path on this
    machine (when the service runs outside the checkout, labels can be absolute)."""
    if isinstance(value, str):
        for folder in _server_folders():
            value = value.replace(folder, "")
        return value
    if isinstance(value, dict):
        return {key: scrub(item) for key, item in value.items()}
    if isinstance(value, list):
        return [scrub(item) for item in value]
    return value


def problem(
    request: Request | None,
    status: int,
    title: str,
    kind: str,
    diagnostics: list[Diagnostic],
    headers: dict[str, str] | None = None,
    path: str = "",
    scope: Scope | None = None,
) -> JSONResponse:
    """The problem+json response; `path` names the instance, and `scope` gives the headers,
    when there is no request yet (a middleware refusing it)."""
    first = diagnostics[0] if diagnostics else Diagnostic("E000", title)
    where = first.where or (str(first.span) if first.span else None)
    # The reader's language for the words (title, detail, messages, hints); the type, the code
    # and every field name stay as they are.
    if request is not None:
        asked = request.headers.get("accept-language")
    else:
        raw = dict((scope or {}).get("headers") or []).get(b"accept-language", b"")
        asked = raw.decode("latin-1")
    with i18n.use_language(i18n.from_accept_language(asked)):
        title = i18n.gettext(title)
        body = {
            "type": PROBLEM_BASE + kind,
            "title": title,
            "status": status,
            "detail": "; ".join(d.text for d in diagnostics[:5]) or title,
            "instance": request.url.path if request is not None else path,
            "code": first.code,
            "where": where,
            "diagnostics": [d.as_dict() for d in diagnostics[:50]],
        }
    return JSONResponse(scrub(body), status_code=status, media_type=PROBLEM, headers=headers)


def from_zuji(exc: ZujiError) -> ProblemError:
    """The HTTP status and problem type of a Zuji error."""
    if isinstance(exc, AccessError):
        return _refused(exc)
    if isinstance(exc, CatalogueError):
        return ProblemError(
            exc.status, _CATALOGUE_TITLES.get(exc.status, _REFUSED), "catalogue", exc.diagnostics
        )
    if isinstance(exc, UsageError):
        return ProblemError(404, N_("Not found"), "not-found", exc.diagnostics)
    if isinstance(exc, InventoryError):
        return ProblemError(
            422, N_("The inventory does not fit the PCR"), "inventory", exc.diagnostics
        )
    if isinstance(exc, EvaluationError):
        return ProblemError(
            422, N_("The inventory cannot be evaluated"), "evaluation", exc.diagnostics
        )
    if isinstance(exc, PactError):
        return ProblemError(
            422, N_("No PACT document can be made of this result"), "pact", exc.diagnostics
        )
    if isinstance(exc, RuleError):
        return ProblemError(409, N_("The PCR does not pass its checks"), "rule", exc.diagnostics)
    return ProblemError(422, N_("The request cannot be processed"), "zuji", exc.diagnostics)


# A catalogue step refused, titled by the status the catalogue chose (CatalogueError.status).
_REFUSED = N_("The catalogue cannot take this step")
_CATALOGUE_TITLES = {
    403: "Not allowed",
    404: "Not found",
    409: N_("Not possible in the record's present state"),
}


def _refused(exc: AccessError) -> ProblemError:
    if exc.reason == "scope":
        return ProblemError(403, N_("Not allowed"), "forbidden", exc.diagnostics)
    challenge = 'Bearer realm="zuji"'
    if exc.reason in ("invalid", "expired"):
        challenge += ', error="invalid_token"'
    return ProblemError(
        401,
        N_("Authentication needed"),
        "unauthorized",
        exc.diagnostics,
        {"WWW-Authenticate": challenge},
    )


# ----------------------------------------------------------------------------- body limit


class BodyLimit:
    """Refuses request bodies above a size, whether or not they announce their length, counted
    on the bytes received; and bodies that take longer than `timeout` seconds to arrive, so a
    client sending a byte a second cannot hold a request open."""

    def __init__(self, app: ASGIApp, limit: int, timeout: float) -> None:
        self.app, self.limit, self.timeout = app, limit, timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            response = problem(
                None,
                413,
                N_("Request body too large"),
                "too-large",
                [too_large(self.limit)],
                path=scope.get("path", ""),
                scope=scope,
            )
            await response(scope, receive, send)
            return
        seen, complete = 0, False
        deadline = time.monotonic() + self.timeout

        async def limited() -> Message:
            nonlocal seen, complete
            if complete:  # after the body, only a disconnect can come; no deadline on it
                return await receive()
            try:
                with anyio.fail_after(max(deadline - time.monotonic(), 0.0)):
                    message = await receive()
            except TimeoutError:
                raise BodyTooSlow() from None
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise BodyTooLarge()
            complete = not message.get("more_body", False)
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

    _body_handlers(app)

    @app.exception_handler(ProblemError)
    async def raised(request: Request, exc: ProblemError) -> JSONResponse:
        return problem(request, exc.status, exc.title, exc.kind, exc.diagnostics, exc.headers)

    @app.exception_handler(ZujiError)
    async def zuji_error(request: Request, exc: ZujiError) -> JSONResponse:
        p = from_zuji(exc)
        return problem(request, p.status, p.title, p.kind, p.diagnostics, p.headers)

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
        return problem(request, 422, N_("Invalid request parameters"), "parameters", diagnostics)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "E903", 405: "E903"}.get(exc.status_code, "E902")
        detail = exc.detail if isinstance(exc.detail, str) else "request refused"
        titles = {404: N_("Not found"), 405: N_("Method not allowed")}
        title = titles.get(exc.status_code, detail)
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
            N_("Internal error"),
            "internal",
            [Diagnostic("E905", "Zuji failed on this request; the log has details")],
        )


def _body_handlers(app: FastAPI) -> None:
    @app.exception_handler(BodyTooLarge)
    async def body_too_large(request: Request, exc: BodyTooLarge) -> JSONResponse:
        return problem(
            request,
            413,
            N_("Request body too large"),
            "too-large",
            [too_large(request.app.state.max_body)],
        )

    @app.exception_handler(BodyTooSlow)
    async def body_too_slow(request: Request, exc: BodyTooSlow) -> JSONResponse:
        timeout = request.app.state.body_timeout
        return problem(
            request,
            408,
            N_("Request body too slow"),
            "too-slow",
            [
                Diagnostic(
                    "E911",
                    f"the request body did not arrive within {timeout:g} s",
                    hint="send the whole body at once; the limit is `zuji serve --body-timeout`",
                )
            ],
            {"Connection": "close"},
        )
