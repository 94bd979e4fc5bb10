"""How the PACT routes appear in the service's OpenAPI document (/openapi.json): the filter
parameters ListFootprints reads itself, the CloudEvents body of Events, and PACT's Error object
for every error (not the problem+json documents of the engine's routes)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from zuji.catalogue.pact_events import MEDIA, TYPES


class PactErrorOut(BaseModel):
    """PACT's Error object (Tech Specs 3.0.3, §Error Handling); the message starts with Zuji's
    diagnostic code and is in the caller's language."""

    model_config = ConfigDict(extra="forbid")
    code: Literal[
        "BadRequest", "AccessDenied", "TokenExpired", "NotFound", "InternalError", "NotImplemented"
    ]
    message: str = Field(examples=["E949: no footprint 00000000-… in the catalogue"])


_MEANINGS = {
    200: "Success",
    400: "BadRequest: a malformed request or event",
    401: "BadRequest or TokenExpired: no valid bearer token",
    403: "AccessDenied: not the client's to read, or plain HTTP",
    404: "NotFound: no such footprint",
    500: "InternalError",
}


def pact_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The responses of a PACT route: its success and PACT Error objects."""
    return {
        status: {"description": _MEANINGS[status]}
        if status == 200
        else {"description": _MEANINGS[status], "model": PactErrorOut}
        for status in statuses
    }


def _query(name: str, description: str, many: bool = False, **schema: Any) -> dict[str, Any]:
    kind = {"type": "array", "items": {"type": "string"}} if many else {"type": "string", **schema}
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": kind,
        "explode": True,
    }


LIST_PARAMETERS = [
    _query("productId", "one of the footprint's productIds (repeat: any of them)", many=True),
    _query("companyId", "one of the footprint's companyIds", many=True),
    _query("geography", "its country, region or subdivision", many=True),
    _query("classification", "one of its productClassifications", many=True),
    _query("validOn", "validity start <= validOn <= validity end", format="date-time"),
    _query("validAfter", "validity start > validAfter", format="date-time"),
    _query("validBefore", "validity end < validBefore", format="date-time"),
    _query("status", "Active or Deprecated; another word matches nothing"),
    {
        "name": "limit",
        "in": "query",
        "required": False,
        "description": "footprints per page (at most 1000)",
        "schema": {"type": "integer", "minimum": 1},
    },
    _query("after", "the page key of a pagination link: the id the page starts after"),
]

EVENT_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        MEDIA: {
            "schema": {
                "type": "object",
                "required": ["type", "specversion", "id", "source", "time", "data"],
                "properties": {
                    "type": {"enum": list(TYPES)},
                    "specversion": {"const": "1.0"},
                    "id": {"type": "string"},
                    "source": {"type": "string"},
                    "time": {"type": "string", "format": "date-time"},
                    "data": {"type": "object"},
                },
            }
        }
    },
}
