"""HTTPS only for the PACT host (Tech Specs 3.0.3: a host offers its actions over HTTPS only).

`zuji serve --tls-cert C --tls-key K` (or `--tls-self-signed`) makes uvicorn speak TLS on its
port: a plain-HTTP request to it fails in the TLS handshake, before any route sees it, which is
what PACT's conformance tool checks. Served without TLS, the request's scheme is `http` and:

- the PACT actions (`/3/…`) answer 403 AccessDenied (E958), unless the request came through a
  TLS-terminating proxy on this machine that says so (`X-Forwarded-Proto: https`, which uvicorn
  trusts from 127.0.0.1 and turns into the scheme), or `zuji serve --insecure-pact` was given
  (for a proxy elsewhere that terminates TLS, or a test on loopback);
- `/auth/token` answers 400 invalid_request (E958) the same way when the service listens beyond
  this machine (`--public`): a client secret would cross a network in clear. On loopback it
  keeps answering plain HTTP, for the engine's own API and local tools: nothing leaves the
  machine, and the tokens it gives open no PACT action over plain HTTP.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from zuji.core import i18n
from zuji.core.errors import Diagnostic

_HINT = "serve it with --tls-cert and --tls-key (or --tls-self-signed), or behind an HTTPS proxy"
_PACT = Diagnostic("E958", "the PACT actions are offered over HTTPS only", hint=_HINT)
_TOKEN = Diagnostic("E958", "the token endpoint is offered over HTTPS only", hint=_HINT)


class HttpsOnly:
    """Refuses plain-HTTP requests to the PACT actions, and to the token endpoint when the
    service is exposed beyond this machine."""

    def __init__(self, app: ASGIApp, exposed: bool) -> None:
        self.app = app
        self.exposed = exposed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("scheme") == "https":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        if path.startswith("/3/"):
            response = self._refused(scope, 403, _PACT, pact=True)
        elif path == "/auth/token" and self.exposed:
            response = self._refused(scope, 400, _TOKEN, pact=False)
        else:
            await self.app(scope, receive, send)
            return
        await response(scope, receive, send)

    @staticmethod
    def _refused(scope: Scope, status: int, diagnostic: Diagnostic, pact: bool) -> JSONResponse:
        asked = dict(scope.get("headers") or []).get(b"accept-language", b"").decode("latin-1")
        with i18n.use_language(i18n.from_accept_language(asked)):
            message = f"{diagnostic.code}: {diagnostic.text} ({diagnostic.hint_text})"
        if pact:
            return JSONResponse({"code": "AccessDenied", "message": message}, status_code=status)
        body = {"error": "invalid_request", "error_description": message}
        return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


def install_transport(app: FastAPI) -> None:
    """The HTTPS rule, unless the service was told PACT may answer plain HTTP."""
    config = getattr(app.state, "config", None)
    if config is not None and config.insecure_pact:
        return
    app.add_middleware(HttpsOnly, exposed=bool(config is not None and config.exposed))
