"""The outermost layer of the service: the Host allow-list and the security headers.

A Host header the service was not told to answer for is refused before any route runs (421):
a web page that rebinds its own name to 127.0.0.1 then cannot reach a service on the
developer's machine. Every response carries headers that stop a browser from sniffing JSON
as HTML, framing it, or leaking the URL in a Referer; the server names no software.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from zuji.core import i18n
from zuji.core.errors import Diagnostic
from zuji.core.i18n import N_
from zuji.interfaces.serve_problems import problem

# Nothing in a JSON reply may load or run anything; the interactive API page gets its own.
_JSON_POLICY = "default-src 'none'; frame-ancestors 'none'"
_ALWAYS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-resource-policy", b"same-origin"),
)
_NO_STORE = {"/auth/token"}  # tokens must not sit in caches


def host_name(header: str) -> str:
    """The name in a Host header, without its port: `[::1]:8000` → `[::1]`, `a.b:80` → `a.b`."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[: header.find("]") + 1] if "]" in header else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


class Guard:
    def __init__(
        self, app: ASGIApp, allowed_hosts: tuple[str, ...], html_policies: dict[str, str]
    ) -> None:
        self.app = app
        self.any_host = "*" in allowed_hosts
        self.allowed = {h.lower() for h in allowed_hosts}
        self.html_policies = {path: policy.encode() for path, policy in html_policies.items()}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        policy = self.html_policies.get(path, _JSON_POLICY.encode())
        extra = [(b"content-security-policy", policy), *_ALWAYS]
        if path in _NO_STORE:
            extra += [(b"cache-control", b"no-store"), (b"pragma", b"no-cache")]

        async def guarded(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"server"]
                # A page that states its own policy (the platform's, web/render.py) keeps it.
                own = any(k.lower() == b"content-security-policy" for k, _ in headers)
                message = {**message, "headers": headers + (extra[1:] if own else extra)}
            await send(message)

        host = dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1")
        if not self.any_host and host_name(host) not in self.allowed:
            response = problem(
                None,
                421,
                N_("Host not served"),
                "host",
                [
                    Diagnostic(
                        "E909",
                        f"this service does not answer for the host {host_name(host)[:100]!r}",
                        hint="add it with `zuji serve --allow-host NAME`",
                        where="Host",
                    )
                ],
                path=path,
                scope=scope,
            )
            await response(scope, receive, guarded)
            return
        await self.app(scope, receive, guarded)


class Speaking:
    """Each request handled in the language its Accept-Language asks for, from the first byte:
    what the engine says while it works (an input's description in a message, taken from the
    rule in the reader's language) is said in that language, not only the problem's words,
    which the problem handlers put into it whatever the work did."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        asked = dict(scope.get("headers") or []).get(b"accept-language", b"")
        with i18n.use_language(i18n.from_accept_language(asked.decode("latin-1"))):
            await self.app(scope, receive, send)
