"""The published rule documentation (the MkDocs site `make docs` builds) served at /rules/,
so that a product page can link its PCR's rule page on the same host (`zuji serve
--docs-site DIR`).

The site is ours but built by MkDocs' Material theme, which runs small inline scripts: its
pages get a policy of their own that allows them, and still nothing from another origin.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Only this service's own files; Material's inline scripts and styles; no other origin.
SITE_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; base-uri 'none'; frame-ancestors 'none'"
)


class _WithPolicy:
    """Static files answered with the site's policy (the outer guard keeps a page's own)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", [])]
                headers.append((b"content-security-policy", SITE_POLICY.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, sending)


def mount_rules(app: FastAPI, folder: str) -> None:
    """Serve the built site in `folder` at /rules/ (a folder's index.html for its path)."""
    app.mount("/rules", _WithPolicy(StaticFiles(directory=folder, html=True)), name="rules")
