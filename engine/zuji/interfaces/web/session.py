"""Signing in to the portals: the catalogue's clients (id and secret) log in with a form and
carry a session cookie from then on.

- The form's credentials are checked as `/auth/token` checks them (the catalogue's clients,
  scrypt one at a time per worker); a failure waits a moment more and says the same thing for
  an unknown client and a wrong secret, so a guesser learns neither which ids exist nor much
  per second.
- The cookie holds a bearer token of the catalogue's own issuance (core.access.issue_token):
  every worker process verifies it with the key the catalogue keeps, it expires with the token,
  and a client removed loses its session at once. HttpOnly (no script reads it), SameSite=Strict
  (no other site's page sends it), Secure when the service speaks TLS.
- Every form that posts carries a token derived from the session (an HMAC of it under the same
  key), checked on every POST; the login form's is derived from a random cookie of its own, so
  another site cannot log a browser in as someone else either.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import anyio
from fastapi import FastAPI, Form, Request
from fastapi.responses import RedirectResponse, Response

from zuji.catalogue import workflow
from zuji.catalogue.clients import enterprise_of
from zuji.catalogue.store import Store
from zuji.core.access import TOKEN_LIFETIME, Gate, Grant, issue_token
from zuji.core.errors import AccessError, Diagnostic, UsageError
from zuji.interfaces.web.render import page

COOKIE = "zuji_session"
LOGIN_COOKIE = "zuji_login"  # the login form's own random value, before there is a session
FAILED_WAIT = 1.0  # seconds a failed login waits on top of its scrypt: guesses come slowly
# Where a client lands after signing in, by the first of its roles found here.
HOMES = (
    ("enterprise", "/portal/enterprise"),
    ("verifier", "/portal/verifier"),
    ("admin", "/portal/admin"),
)


@dataclass(frozen=True)
class Visitor:
    """Who is signed in: the grant the session's token carries, the workflow's actor for it,
    and the token every form of theirs must carry back."""

    grant: Grant
    actor: workflow.Actor
    csrf: str

    @property
    def client(self) -> str:
        return self.grant.client_id


class LoginNeeded(Exception):
    """No valid session: the reader is sent to the login form, and back here afterwards."""

    def __init__(self, after: str) -> None:
        self.after = after


class Refused(Exception):
    """A signed-in client that may not open this page, or a form without its token."""

    def __init__(self, diagnostic: Diagnostic, status: int = 403) -> None:
        self.diagnostic = diagnostic
        self.status = status


def install(app: FastAPI) -> None:
    app.add_exception_handler(LoginNeeded, _to_login)  # type: ignore[arg-type]
    app.add_exception_handler(Refused, _refused)  # type: ignore[arg-type]
    _login_routes(app)


def _gate(request: Request) -> Gate:
    gate: Gate = request.app.state.gate
    return gate


def _derived(request: Request, purpose: str, value: str) -> str:
    """An HMAC of `value` under the catalogue's token key: the same in every worker process."""
    key = _gate(request).registry().signing_key
    mac = hmac.new(key, f"{purpose}.{value}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")


def local_path(wanted: str | None, fallback: str = "/portal") -> str:
    """`next` as a path of this service only: never another site's address (an open redirect)."""
    if not wanted or not wanted.startswith("/") or wanted.startswith("//") or "\\" in wanted:
        return fallback
    if any(ord(c) < 0x21 for c in wanted):
        return fallback
    return wanted


def home(grant: Grant) -> str:
    return next((path for role, path in HOMES if grant.allows(role)), "/")


def visitor(request: Request) -> Visitor:
    """The signed-in client of this request (LoginNeeded when there is none, or the session has
    expired or its client is gone)."""
    token = request.cookies.get(COOKIE, "")
    grant = None
    if token:
        try:
            grant = _gate(request).token(token)
        except (AccessError, UsageError):
            grant = None
    if grant is None:
        query = f"?{request.url.query}" if request.url.query else ""
        raise LoginNeeded(request.url.path + query)
    store: Store = request.app.state.store
    roles = frozenset(grant.scopes) & frozenset(workflow.ROLES)
    with store.reading() as session:
        enterprise = enterprise_of(session, grant.client_id)
    actor = workflow.Actor(f"client:{grant.client_id}", roles, enterprise)
    return Visitor(grant, actor, _derived(request, "csrf", token))


def with_role(role: str) -> Callable[[Request], Visitor]:
    """A dependency: the signed-in client, which must hold `role` (a 403 page otherwise)."""

    def dependency(request: Request) -> Visitor:
        found = visitor(request)
        if not found.grant.allows(role):
            raise Refused(
                Diagnostic("E908", f"client '{found.client}' has no '{role}' scope"), status=403
            )
        return found

    return dependency


def check_form(found: Visitor, sent: str) -> None:
    """Every POST of a signed-in client carries its session's form token (E976 otherwise)."""
    if not hmac.compare_digest(found.csrf.encode(), sent.encode("utf-8", "replace")):
        raise Refused(_forged())


def _forged() -> Diagnostic:
    return Diagnostic(
        "E976",
        "the form did not carry this session's security token: nothing was done",
        hint="open the page again from the portal and send its form from there",
    )


def _to_login(request: Request, exc: LoginNeeded) -> Response:
    target = "/portal/login?next=" + quote(local_path(exc.after), safe="/")
    return RedirectResponse(target, status_code=303)


def _refused(request: Request, exc: Refused) -> Response:
    nav = "verifier" if request.url.path.startswith("/portal/verifier") else "enterprise"
    context = {"nav": nav, "diagnostic": exc.diagnostic, "status": exc.status}
    return page(request, "portal/refused.html", context, status=exc.status)


# ----------------------------------------------------------------------------- routes


def _login_routes(app: FastAPI) -> None:
    @app.get("/portal/login", include_in_schema=False)
    def login_form(request: Request) -> Response:
        return _login_page(request, request.query_params.get("next", ""), None, 200)

    @app.post("/portal/login", include_in_schema=False)
    async def login(
        request: Request,
        client_id: str = Form("", max_length=64),
        secret: str = Form("", max_length=200),
        csrf: str = Form("", max_length=100),
        after: str = Form("", alias="next", max_length=500),
    ) -> Response:
        nonce = request.cookies.get(LOGIN_COOKIE, "")
        if not nonce or not hmac.compare_digest(_derived(request, "login", nonce), csrf):
            return _login_page(request, after, _forged(), 403)
        gate = _gate(request)
        try:
            client = await request.app.state.hashing.run(gate.client, client_id.strip(), secret)
        except AccessError:
            await anyio.sleep(FAILED_WAIT)
            wrong = Diagnostic("E906", "unknown client or wrong secret")
            return _login_page(request, after, wrong, 401)
        issued, grant = issue_token(gate.registry(), client, (), TOKEN_LIFETIME)
        response = RedirectResponse(local_path(after, home(grant)), status_code=303)
        _set_cookie(request, response, COOKIE, issued, TOKEN_LIFETIME)
        response.delete_cookie(LOGIN_COOKIE, path="/portal", httponly=True, samesite="strict")
        return response

    @app.post("/portal/logout", include_in_schema=False)
    def logout(request: Request, csrf: str = Form("", max_length=100)) -> Response:
        check_form(visitor(request), csrf)
        response = RedirectResponse("/portal/login", status_code=303)
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
        return response

    @app.get("/portal", include_in_schema=False)
    def portal(request: Request) -> Response:
        return RedirectResponse(home(visitor(request).grant), status_code=303)


def _login_page(request: Request, after: str, problem: Diagnostic | None, status: int) -> Response:
    nonce = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(24)
    context: dict[str, Any] = {
        "nav": "verifier" if local_path(after).startswith("/portal/verifier") else "enterprise",
        "after": local_path(after, ""),
        "csrf": _derived(request, "login", nonce),
        "problem": problem,
    }
    response = page(request, "portal/login.html", context, status=status)
    _set_cookie(request, response, LOGIN_COOKIE, nonce, 3600, path="/portal")
    return response


def _set_cookie(
    request: Request, response: Response, name: str, value: str, age: int, path: str = "/"
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=age,
        path=path,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
