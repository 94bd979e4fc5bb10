"""Request bodies of the HTTP API, read and parsed by Zuji itself rather than by FastAPI.

JSON with duplicate keys, deep nesting or text that is not UTF-8 then gets the same diagnostics
as a file on the command line, and a malformed body is a 4xx problem, never a 500.
"""

from __future__ import annotations

import os
from typing import Any

from fastapi import Request

from zuji.core.documents import load_text as load_document
from zuji.core.errors import Diagnostic, DocumentError
from zuji.core.i18n import N_
from zuji.interfaces.serve_problems import ProblemError


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def json_body(raw: bytes, media: str) -> Any:
    """The JSON document of a request (an inventory, or a rule text wrapped in JSON)."""
    if media and media != "application/json" and not media.endswith("+json"):
        raise ProblemError(
            415,
            N_("Unsupported media type"),
            "media-type",
            [Diagnostic("E902", f"the body is {media}; send the inventory as application/json")],
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProblemError(
            400,
            N_("Malformed request"),
            "malformed",
            [Diagnostic("E013", f"the body is not UTF-8 text (byte {exc.start})")],
        ) from None
    if not text.strip():
        raise ProblemError(
            400,
            N_("Malformed request"),
            "malformed",
            [Diagnostic("E902", "the body is empty; send the inventory as JSON")],
        )
    try:
        return load_document(text, "<request>.json")
    except DocumentError as exc:
        raise ProblemError(400, N_("Malformed request"), "malformed", [exc.diagnostic]) from None


def rule_body(raw: bytes, media: str, limit: int) -> tuple[str, str]:
    """The rule text of a check request and the file name its diagnostics show."""
    if media not in ("", "text/plain", "application/json"):
        raise ProblemError(
            415,
            N_("Unsupported media type"),
            "media-type",
            [Diagnostic("E902", f"the body is {media}; send the rule text as text/plain or JSON")],
        )
    if media == "application/json":
        text, name = _rule_from_json(raw, media)
    else:
        text, name = _rule_from_text(raw), "rule.pcr"
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > limit:
        raise ProblemError(
            413,
            N_("Rule text too large"),
            "rule-too-large",
            [
                Diagnostic(
                    "E901",
                    f"the rule text is {size:,} bytes; the limit is {limit:,}",
                    hint="split shared parts into modules",
                )
            ],
        )
    return text, _safe_name(name)


def _rule_from_json(raw: bytes, media: str) -> tuple[str, str]:
    document = json_body(raw, media)
    if (
        not isinstance(document, dict)
        or not isinstance(document.get("text"), str)
        or not isinstance(document.get("file", ""), str)
        or set(document) - {"text", "file"}
    ):
        raise ProblemError(
            422,
            N_("The request cannot be processed"),
            "check-request",
            [
                Diagnostic(
                    "E902", 'a JSON body is {"text": "...", "file": "name.pcr"}', where="text"
                )
            ],
        )
    return document["text"], document.get("file") or "rule.pcr"


def _rule_from_text(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProblemError(
            400,
            N_("Malformed request"),
            "malformed",
            [Diagnostic("E003", f"the rule text is not UTF-8 (byte {exc.start})")],
        ) from None


def _safe_name(name: str) -> str:
    # Positions name the file the caller chose, but never as a path into the server.
    cleaned = os.path.basename(name.replace("\\", "/")).strip() or "rule.pcr"
    return cleaned[:100]
