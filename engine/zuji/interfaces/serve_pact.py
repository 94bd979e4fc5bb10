"""The PACT v3 host over the catalogue (Tech Specs 3.0.3): ListFootprints, GetFootprint and
Events, under `/3/`, beside the token endpoint and OpenID configuration of serve_auth.

- Every action needs a bearer token from `/auth/token`, issued to one of the catalogue's
  clients; a missing, malformed or forged token is 401 with code BadRequest, an expired one 401
  with code TokenExpired (the codes PACT's conformance tool expects).
- A client reads what the catalogue lets it read (catalogue.clients.visible): the programme's
  staff everything, an enterprise its own footprints, a customer those shared with it. GetFootprint
  of an id it may not read is 403, of an unknown id 404.
- ListFootprints takes every PACT filter and `limit`; a page that is not the last has a
  `Link: <…>; rel="next"` to the next, on the host the request named. Pages are keyed by the last
  id served (`after=`), so a link stays valid, and gives the same page, as long as nothing new is
  published before that id: far longer than the 180 s PACT asks.
- Errors are PACT's Error objects `{"code", "message"}`; the message carries Zuji's diagnostic
  code and is in the caller's language (Accept-Language).
- The actions are offered over HTTPS only (serve_pact_transport).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import urlencode

import anyio.to_thread
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from starlette.datastructures import QueryParams

from zuji.catalogue import pact_events
from zuji.catalogue.clients import visible
from zuji.catalogue.pact_filters import CRITERIA, DATES, bad_criterion, filters
from zuji.catalogue.queries import FILTER_KINDS, Filters, footprint_page, served
from zuji.catalogue.store import Store
from zuji.catalogue.tables import Footprint
from zuji.core import i18n
from zuji.core.access import Gate, Grant
from zuji.core.errors import AccessError, CatalogueError, Diagnostic, UsageError, ZujiError
from zuji.interfaces.serve_bodies import media_type
from zuji.interfaces.serve_problems import BodyTooLarge, BodyTooSlow, log, too_large

DEFAULT_LIMIT = 100  # footprints per page when the request sets no limit
MAX_LIMIT = 1000  # a larger limit is served in pages of this size (PACT lets a host give fewer)
AFTER = "after"  # the page key of the pagination links: the last id of the page before
_PARAMETERS = {name.lower(): name for name in (*CRITERIA, "limit", AFTER)}
_MANY = set(FILTER_KINDS)
_UUID = re.compile(r"^[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$")
_CODES = {400: "BadRequest", 401: "BadRequest", 403: "AccessDenied", 404: "NotFound"}
_CODES |= {500: "InternalError", 501: "NotImplemented"}


class PactFailure(Exception):
    """A PACT action refused: its HTTP status, PACT code and the diagnostic saying why."""

    def __init__(
        self, status: int, code: str, diagnostic: Diagnostic, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(diagnostic.message)
        self.status, self.code, self.diagnostic, self.headers = status, code, diagnostic, headers


def pact_error(request: Request, failure: PactFailure) -> JSONResponse:
    """PACT's Error object, its message in the caller's language with Zuji's code."""
    with i18n.use_language(i18n.from_accept_language(request.headers.get("accept-language"))):
        diagnostic = failure.diagnostic
        message = f"{diagnostic.code}: {diagnostic.text}"
        if diagnostic.hint:
            message += f" ({diagnostic.hint_text})"
    return JSONResponse(
        {"code": failure.code, "message": message},
        status_code=failure.status,
        headers=failure.headers,
    )


def _failure(exc: Exception, request: Request) -> PactFailure:
    if isinstance(exc, PactFailure):
        return exc
    if isinstance(exc, AccessError):
        code = "TokenExpired" if exc.reason == "expired" else "BadRequest"
        challenge = 'Bearer realm="pact"'
        if exc.reason in ("invalid", "expired"):
            challenge += ', error="invalid_token"'
        return PactFailure(401, code, exc.diagnostics[0], {"WWW-Authenticate": challenge})
    if isinstance(exc, CatalogueError):
        status = exc.status if exc.status in _CODES else 400
        return PactFailure(status, _CODES[status], exc.diagnostics[0])
    if isinstance(exc, BodyTooLarge):
        return PactFailure(413, "BadRequest", too_large(request.app.state.max_body))
    if isinstance(exc, BodyTooSlow):
        return PactFailure(
            408, "BadRequest", Diagnostic("E911", "the event did not arrive in time")
        )
    if isinstance(exc, ZujiError):
        return PactFailure(400, "BadRequest", exc.diagnostics[0])
    log.exception("internal error in a PACT action", exc_info=exc)
    return PactFailure(
        500, "InternalError", Diagnostic("E905", "Zuji failed on this request; the log has details")
    )


class PactRoute(APIRoute):
    """A route whose every error, expected or not, is answered as a PACT Error object."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handle(request)
            except Exception as exc:  # every error becomes a PACT Error object
                return pact_error(request, _failure(exc, request))

        return answer


def grant_of(request: Request) -> Grant:
    """The grant of the request's bearer token; AccessError (401) without a valid one."""
    kind, _, token = request.headers.get("authorization", "").partition(" ")
    if kind.lower() != "bearer" or not token.strip():
        raise AccessError(
            Diagnostic(
                "E906",
                f"{request.method} {request.url.path} needs a bearer token",
                hint="POST /auth/token with the client's id and secret gives one",
            ),
            "missing",
        )
    gate: Gate = request.app.state.gate
    try:
        return gate.token(token.strip())
    except UsageError as exc:  # the catalogue's clients cannot be read
        raise PactFailure(500, "InternalError", exc.diagnostics[0]) from None


# ----------------------------------------------------------------------------- ListFootprints


def listing_query(params: QueryParams) -> tuple[Filters, int, str | None]:
    """The filters, page size and page key of a ListFootprints query. Parameter names are
    matched in any case (PACT's own example writes `productid`); an unknown one is refused
    rather than ignored, so a misspelt filter cannot silently return everything."""
    given: dict[str, list[str]] = {}
    for name, value in params.multi_items():
        known = _PARAMETERS.get(name.lower())
        if known is None:
            raise bad_criterion(
                f"{name[:60]!r} is not a parameter of ListFootprints",
                hint="parameters: " + ", ".join(sorted(_PARAMETERS.values())),
            )
        given.setdefault(known, []).append(value)
    twice = [n for n, v in given.items() if len(v) > 1 and n not in _MANY]
    if twice:
        raise bad_criterion(f"{twice[0]} is given {len(given[twice[0]])} times; it takes one value")
    single = {name: values[0] for name, values in given.items()}
    chosen = filters(
        {k: given[k] for k in FILTER_KINDS if k in given},
        {k: single[k] for k in DATES if k in single},
        single.get("status"),
    )
    return chosen, _limit(single.get("limit")), _after(single.get(AFTER))


def _limit(text: str | None) -> int:
    if text is None or not text.strip():
        return DEFAULT_LIMIT
    if not text.strip().isdigit() or int(text) < 1:
        raise bad_criterion(f"limit={text[:20]!r} is not a positive whole number")
    return min(int(text), MAX_LIMIT)


def _after(text: str | None) -> str | None:
    if text is None:
        return None
    if not _UUID.match(text):
        raise bad_criterion(f"after={text[:60]!r} is not a page key this host made")
    return text.lower()


def next_link(request: Request, after: str) -> str:
    """The absolute URL of the next page: the request's own URL, on the host it named, with
    the page key of the last footprint served."""
    items = [(k, v) for k, v in request.query_params.multi_items() if k.lower() != AFTER]
    return str(request.url.replace(query=urlencode([*items, (AFTER, after)])))


# ----------------------------------------------------------------------------- the routes


def install(app: FastAPI, store: Store) -> None:
    """The PACT routes, over the catalogue `store`, and the sender of its answers."""
    from zuji.interfaces.serve_pact_sender import install_sender
    from zuji.interfaces.serve_pact_transport import install_transport

    router = APIRouter(route_class=PactRoute, tags=["PACT v3"])
    _footprint_routes(router, store)
    _event_route(router, store)
    app.include_router(router)
    install_transport(app)
    install_sender(app)


def readable(store: Store, grant: Grant, footprint_id: str) -> Footprint:
    """A footprint the client may read: 404 if unknown, 403 if not the client's."""
    if not _UUID.match(footprint_id):
        raise bad_criterion(f"{footprint_id[:60]!r} is not a footprint id (a UUID)")
    with store.reading() as session:
        found = session.get(Footprint, footprint_id.lower())
        seen = visible(session, grant)
    if found is None:
        raise CatalogueError(
            Diagnostic("E949", f"no footprint {footprint_id} in the catalogue"), status=404
        )
    if seen is not None and found.enterprise_id not in seen:
        raise CatalogueError(
            Diagnostic(
                "E945",
                f"client '{grant.client_id}' may not read footprint {footprint_id}",
                hint="its enterprise shares it with `zuji catalogue share`",
            ),
            status=403,
        )
    return found


def _footprint_routes(router: APIRouter, store: Store) -> None:
    from zuji.interfaces.serve_pact_docs import LIST_PARAMETERS, pact_responses

    @router.get(
        "/3/footprints",
        summary="Action ListFootprints",
        responses=pact_responses(200, 400, 401, 403, 500),
        openapi_extra={"parameters": LIST_PARAMETERS},
    )
    def list_footprints(request: Request) -> JSONResponse:
        """The footprints the client may read that match PACT's filters, a page at a time."""
        grant = grant_of(request)
        chosen, limit, after = listing_query(request.query_params)
        with store.reading() as session:
            page = footprint_page(session, chosen, limit, after, visible(session, grant))
        headers = {}
        if page.next_after is not None:
            headers["Link"] = f'<{next_link(request, page.next_after)}>; rel="next"'
        return JSONResponse({"data": page.footprints}, headers=headers)

    @router.get(
        "/3/footprints/{footprint_id}",
        summary="Action GetFootprint",
        responses=pact_responses(200, 400, 401, 403, 404, 500),
    )
    def get_footprint(request: Request, footprint_id: str) -> JSONResponse:
        """One footprint by id, Deprecated ones too: 404 if unknown, 403 if not the client's."""
        found = readable(store, grant_of(request), footprint_id)
        return JSONResponse({"data": served(found.document, found.status)})


def _event_route(router: APIRouter, store: Store) -> None:
    from zuji.interfaces.serve_pact_docs import EVENT_BODY, pact_responses

    @router.post(
        "/3/events",
        summary="Action Events",
        responses=pact_responses(200, 400, 401, 403, 500),
        openapi_extra={"requestBody": EVENT_BODY},
    )
    async def events(request: Request) -> Response:
        """A PACT event (CloudEvents 1.0, structured mode): 200 with an empty body when it is
        accepted; a request is answered later, by an event sent to the requester's host."""
        grant = grant_of(request)
        event = pact_events.read_event(await request.body(), media_type(request))
        host = str(request.base_url).rstrip("/")
        await anyio.to_thread.run_sync(pact_events.receive, store, grant.client_id, event, host)
        wake = getattr(request.app.state, "pact_wake", None)
        if wake is not None:
            wake.set()
        return Response(status_code=200)
