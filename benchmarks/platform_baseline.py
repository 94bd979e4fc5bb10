"""The hand-written baseline of the platform's load benchmark: a bare ASGI application with no
framework, no database and no templates, answering each path with the page bytes Zuji served
for it earlier in the same run (read from the file ZUJI_BASELINE_PAGES names). Run by uvicorn
with the same number of workers as `zuji serve`: what serving these pages costs at the least."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

_PAGES: dict[str, bytes] = {
    path: body.encode("utf-8")
    for path, body in json.loads(
        Path(os.environ["ZUJI_BASELINE_PAGES"]).read_text(encoding="utf-8")
    ).items()
}
_HEADERS = [(b"content-type", b"text/html; charset=utf-8")]


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    path = scope["path"] + ("?" + scope["query_string"].decode() if scope["query_string"] else "")
    body = _PAGES.get(path)
    status = 200 if body is not None else 404
    await send({"type": "http.response.start", "status": status, "headers": _HEADERS})
    await send({"type": "http.response.body", "body": body or b""})
