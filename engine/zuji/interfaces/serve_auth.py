"""Authentication of the service: the token endpoint and the check every costly route makes.

`POST /auth/token` is OAuth2's client-credentials grant (RFC 6749 §4.4) as PACT Tech Specs v3
asks of a host: credentials in `Authorization: Basic` (or, as RFC 6749 also allows, client_id
and client_secret in the form), `grant_type=client_credentials`, an answer
`{"access_token", "token_type": "Bearer", "expires_in"}`, errors in RFC 6749 §5.2's shape.
Routes that cost take `Authorization: Bearer <token>` or `X-API-Key: <client_id>:<secret>`.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

import anyio
import anyio.to_thread
from fastapi import FastAPI, Request, Security
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param
from pydantic import BaseModel, ConfigDict, Field

from zuji.core.access import KNOWN_SCOPES, Gate, Grant, issue_token
from zuji.core.errors import AccessError, Diagnostic, UsageError
from zuji.core.i18n import N_
from zuji.interfaces.serve_problems import ProblemError, log

_bearer = HTTPBearer(auto_error=False, description="A token from POST /auth/token")
_api_key = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="client_id:client_secret, from zuji clients"
)
_FORM = "application/x-www-form-urlencoded"


class _Hashing:
    """One scrypt at a time per worker: each takes ~50 ms and 16 MiB by design, so callers
    guessing secrets queue here instead of taking every core and a gigabyte between them."""

    def __init__(self) -> None:
        self.limiter: anyio.CapacityLimiter | None = None

    async def run(self, work: Callable[..., Any], *args: str) -> Any:
        if self.limiter is None:  # made on the event loop that uses it
            self.limiter = anyio.CapacityLimiter(1)
        return await anyio.to_thread.run_sync(work, *args, limiter=self.limiter)


def _unreadable(exc: UsageError) -> ProblemError:
    # The service's own clients file is damaged: the caller cannot fix that, and nobody is let in.
    log.error("the clients file cannot be read: %s", exc)
    return ProblemError(
        503,
        N_("Authentication unavailable"),
        "clients-file",
        [Diagnostic("E906", "the service cannot read its clients file; its log says why")],
    )


class TokenOut(BaseModel):
    model_config = ConfigDict(extra="forbid")
    access_token: str
    token_type: str = Field(examples=["Bearer"])
    expires_in: int = Field(description="Seconds the token is valid")
    scope: str = Field(description="The scopes granted, separated by spaces")


class OAuthError(BaseModel):
    """An RFC 6749 §5.2 error (the shape PACT clients expect from /auth/token)."""

    model_config = ConfigDict(extra="forbid")
    error: str = Field(examples=["invalid_client"])
    error_description: str


def require(scope: str, *alternatives: str) -> Callable[..., Awaitable[Grant]]:
    """A route dependency: the caller's grant, which must include `scope` or one of the
    `alternatives` (a route several roles may use, each seeing what its role allows)."""
    wanted = (scope, *alternatives)

    async def grant(
        request: Request,
        bearer: HTTPAuthorizationCredentials | None = Security(_bearer),  # noqa: B008
        key: str | None = Security(_api_key),
    ) -> Grant:
        return await _granted(request, bearer.credentials if bearer else None, key, wanted)

    return grant


async def authorize(request: Request, scope: str) -> Grant:
    """The caller's grant, which must include `scope`, read from the headers as require()'s
    dependency reads them (HTTPBearer and APIKeyHeader), for a route that declares no
    parameters (serve_evaluate)."""
    scheme, credentials = get_authorization_scheme_param(request.headers.get("Authorization"))
    bearer = credentials if credentials and scheme.lower() == "bearer" else None
    return await _granted(request, bearer, request.headers.get("X-API-Key") or None, (scope,))


async def _granted(
    request: Request, bearer: str | None, key: str | None, wanted: tuple[str, ...]
) -> Grant:
    gate: Gate = request.app.state.gate
    try:
        if bearer is not None:
            found = gate.token(bearer)  # an HMAC: cheap for the event loop
        elif key is not None:
            # scrypt is slow by design: off the event loop (remembered once it matched).
            found = await request.app.state.hashing.run(gate.api_key, key)
        else:
            found = None
    except UsageError as exc:
        raise _unreadable(exc) from None
    if found is None:
        raise AccessError(
            Diagnostic(
                "E906",
                f"{request.method} {request.url.path} needs credentials",
                hint="send `Authorization: Bearer TOKEN` (POST /auth/token gives one) or "
                "`X-API-Key: CLIENT_ID:SECRET`; `zuji clients add` makes a client",
            ),
            "missing",
        )
    if not any(found.allows(s) for s in wanted):
        named = "/".join(wanted)
        raise AccessError(
            Diagnostic("E908", f"client '{found.client_id}' has no '{named}' scope"), "scope"
        )
    return found


class OpenIdConfiguration(BaseModel):
    """What an OAuth2 client needs to find the token endpoint (OpenID Connect Discovery 1.0)."""

    model_config = ConfigDict(extra="forbid")
    issuer: str
    token_endpoint: str
    grant_types_supported: list[str]
    token_endpoint_auth_methods_supported: list[str]
    scopes_supported: list[str]


def token_route(app: FastAPI, lifetime: int) -> None:
    app.state.hashing = _Hashing()

    @app.get(
        "/.well-known/openid-configuration",
        response_model=OpenIdConfiguration,
        tags=["authentication"],
    )
    async def discovery(request: Request) -> OpenIdConfiguration:
        """Where the token endpoint is, as PACT v3 recommends a host to say. The base URL is
        the request's own (its Host is one the service was told to answer for)."""
        base = str(request.base_url).rstrip("/")
        return OpenIdConfiguration(
            issuer=base,
            token_endpoint=base + "/auth/token",
            grant_types_supported=["client_credentials"],
            token_endpoint_auth_methods_supported=["client_secret_basic", "client_secret_post"],
            scopes_supported=list(KNOWN_SCOPES),
        )

    @app.post(
        "/auth/token",
        response_model=TokenOut,
        tags=["authentication"],
        responses={
            400: {"model": OAuthError, "description": "Malformed token request"},
            401: {"model": OAuthError, "description": "Unknown client or wrong secret"},
        },
        openapi_extra=_TOKEN_BODY,
    )
    async def token(request: Request) -> JSONResponse:
        """OAuth2 client credentials: trade a client's id and secret for a bearer token."""
        form = _form(request.headers.get("content-type", ""), await request.body())
        if form is None:
            return _oauth_error(400, "invalid_request", f"send the form as {_FORM}")
        if form.get("grant_type") != "client_credentials":
            return _oauth_error(400, "unsupported_grant_type", "grant_type=client_credentials")
        credentials = _basic(request.headers.get("authorization", "")) or (
            form.get("client_id", ""),
            form.get("client_secret", ""),
        )
        gate: Gate = request.app.state.gate
        try:
            client = await request.app.state.hashing.run(gate.client, *credentials)
            asked = form.get("scope", "").split()
            issued, grant = issue_token(gate.registry(), client, asked, lifetime)
        except UsageError as exc:
            raise _unreadable(exc) from None
        except AccessError as exc:
            kind = "invalid_scope" if exc.reason == "scope" else "invalid_client"
            status = 400 if exc.reason == "scope" else 401
            return _oauth_error(status, kind, exc.diagnostics[0].message)
        return JSONResponse(
            {
                "access_token": issued,
                "token_type": "Bearer",
                "expires_in": lifetime,
                "scope": " ".join(sorted(grant.scopes)),
            }
        )


def _form(content_type: str, raw: bytes) -> dict[str, str] | None:
    if content_type.split(";")[0].strip().lower() != _FORM:
        return None
    try:
        fields = parse_qs(raw.decode("ascii"), strict_parsing=False, max_num_fields=20)
    except (UnicodeDecodeError, ValueError):
        return None
    return {name: values[0] for name, values in fields.items()}


def _basic(header: str) -> tuple[str, str] | None:
    kind, _, encoded = header.partition(" ")
    if kind.lower() != "basic":
        return None
    try:
        client_id, colon, secret = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (client_id, secret) if colon else None


def _oauth_error(status: int, error: str, description: str) -> JSONResponse:
    headers = {"WWW-Authenticate": 'Basic realm="zuji"'} if status == 401 else None
    return JSONResponse(
        {"error": error, "error_description": description}, status_code=status, headers=headers
    )


_TOKEN_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            _FORM: {
                "schema": {
                    "type": "object",
                    "required": ["grant_type"],
                    "properties": {
                        "grant_type": {"type": "string", "enum": ["client_credentials"]},
                        "client_id": {"type": "string"},
                        "client_secret": {"type": "string"},
                        "scope": {"type": "string"},
                    },
                }
            }
        },
    },
    "security": [{"HTTPBasic": []}, {}],
}
