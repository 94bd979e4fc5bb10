"""The carbon-inclusion API (碳普惠接口), version 1, mounted at /inclusion/v1: what apps
that reward low-carbon choices are told of a product by its barcode.

- `GET /products/{gtin}`: the product's verified, Active footprint valid today, its grades,
  the category baseline in force and the reduction against it; 404 saying why otherwise;
- `GET /products?gtin=…&gtin=…`: a basket (up to 100) in one request;
- `GET /categories`: the PCRs with their baselines in force.

It is a FastAPI application of its own, so it has its own OpenAPI document
(/inclusion/v1/openapi.json) and reference page (/inclusion/v1/docs, rendered on the server
from that document: no script, nothing from elsewhere), and a version 2 can be mounted beside
it while apps move. Its errors are the service's RFC 9457 problems; its keys and limits are
inclusion_keys'. The routes read the catalogue in a few indexed queries (catalogue.inclusion).
"""

# Annotations not postponed: FastAPI reads the routes' dependencies (Annotated[str, caller])
# from them, and `caller` is a local name of the function that makes the routes.

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Path, Query, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse

from zuji.catalogue.baselines import baselines_on, library_pcrs
from zuji.catalogue.inclusion import (
    MOST_IN_BASKET,
    ProductAnswer,
    Unanswered,
    checked_basket,
    checked_gtin,
    lookup,
)
from zuji.catalogue.store import Store
from zuji.core.errors import CatalogueError
from zuji.core.i18n import N_
from zuji.core.version import __version__
from zuji.interfaces.serve_models import DiagnosticOut, Problem
from zuji.interfaces.serve_problems import ProblemError, install_handlers
from zuji.interfaces.web.inclusion_keys import DEFAULT_RATE, Buckets, app_client
from zuji.interfaces.web.inclusion_models import (
    BasketOut,
    CategoryOut,
    ProductOut,
    baseline_out,
    not_answered,
    pcr_out,
    product_out,
)
from zuji.interfaces.web.render import page

PREFIX = "/inclusion/v1"
# The public platform's page of a footprint, which an answer links to.
PRODUCT_PAGE = "/products/{id}"


def install(app: FastAPI) -> None:
    """Mount the API on the app serving a catalogue (its store, gate and programme)."""
    config = getattr(app.state, "config", None)
    rate = getattr(config, "inclusion_rate", DEFAULT_RATE)
    api = FastAPI(
        title="Zuji carbon-inclusion API",
        version=f"1 (zuji {__version__})",
        summary="Verified product footprints by barcode, and their reduction against the "
        "category baseline, for carbon-inclusion apps",
        description=_DESCRIPTION.format(rate=rate, most=MOST_IN_BASKET),
        docs_url=None,
        redoc_url=None,
    )
    for name in ("store", "gate", "programme", "config"):
        setattr(api.state, name, getattr(app.state, name))
    api.state.max_body = getattr(config, "max_body", 0)
    api.state.body_timeout = getattr(config, "body_timeout", 0.0)
    install_handlers(api)
    # The service's one scrypt queue (serve_auth), found when the first key is checked: the
    # token route that makes it is installed after the catalogue's routes.
    caller = app_client(Buckets(rate), lambda request: app.state.hashing)
    _routes(api, Depends(caller))
    _category_route(api, Depends(caller))
    api.openapi = lambda: _openapi(api)  # type: ignore[method-assign]  # FastAPI's documented way
    _docs(api)
    app.mount(PREFIX, api)


def _today() -> datetime:
    return datetime.now(UTC)


def _page_url(request: Request, footprint_id: str) -> str:
    base = request.app.state.programme().url or f"{request.url.scheme}://{request.url.netloc}"
    return base + PRODUCT_PAGE.format(id=footprint_id)


def _routes(api: FastAPI, caller: Any) -> None:
    errors = _problems(401, 403, 404, 422, 429)

    @api.get(
        "/products/{gtin}",
        response_model=ProductOut,
        responses=errors,
        tags=["products"],
        summary=N_("A product by its barcode (GTIN)"),
        description=N_(
            "The product's verified, Active footprint valid today, its grades, the category "
            "baseline in force and the reduction per declared unit against it. The GTIN has 8, "
            "12, 13 or 14 digits and its check digit is verified. 404 says why there is none."
        ),
    )
    def product(
        request: Request,
        gtin: Annotated[str, Path(description=N_("The product's GTIN: 8, 12, 13 or 14 digits"))],
        client: Annotated[str, caller],
    ) -> ProductOut:
        checked = _as_problem(checked_gtin, gtin)
        store: Store = request.app.state.store
        with store.reading() as session:
            answer = lookup(session, [checked], _today())[checked]
        if isinstance(answer, Unanswered):
            raise ProblemError(
                404, N_("No footprint to give"), "no-footprint", [answer.diagnostic()]
            )
        return product_out(answer, _page_url(request, answer.footprint_id))

    basket_errors = _problems(401, 403, 422, 429)

    @api.get(
        "/products",
        response_model=BasketOut,
        responses=basket_errors,
        tags=["products"],
        summary=N_("A basket of products by their GTINs"),
        description=N_(
            "Up to 100 products in one request: each GTIN answered in `products`, or said why "
            "not in `not_answered`."
        ),
    )
    def basket(
        request: Request,
        client: Annotated[str, caller],
        gtin: Annotated[
            list[str], Query(description=N_("A GTIN; repeat the parameter for each product"))
        ],
    ) -> BasketOut:
        checked = _as_problem(checked_basket, gtin)
        store: Store = request.app.state.store
        with store.reading() as session:
            answers = lookup(session, checked, _today())
        found = [a for a in answers.values() if isinstance(a, ProductAnswer)]
        return BasketOut(
            products=[product_out(a, _page_url(request, a.footprint_id)) for a in found],
            not_answered=[not_answered(a) for a in answers.values() if isinstance(a, Unanswered)],
        )


def _category_route(api: FastAPI, caller: Any) -> None:
    @api.get(
        "/categories",
        response_model=list[CategoryOut],
        responses=_problems(401, 403, 429),
        tags=["categories"],
        summary=N_("The product categories and their baselines"),
        description=N_(
            "The product categories (PCRs) of the library, each with its declared unit and "
            "the baseline in force today."
        ),
    )
    def categories(request: Request, client: Annotated[str, caller]) -> list[CategoryOut]:
        headers = library_pcrs()
        store: Store = request.app.state.store
        with store.reading() as session:
            baselines = baselines_on(session, [h.pcr_id for h in headers], _today())
        return [
            CategoryOut(
                pcr=pcr_out(h, h.pcr_id, h.version),
                declared_unit=h.declared_unit,
                baseline=baseline_out(baselines.get(h.pcr_id)),
            )
            for h in headers
        ]


def _as_problem(check: Callable[[Any], Any], given: Any) -> Any:
    """A GTIN or basket checked; refused as a problem titled for what it is."""
    try:
        return check(given)
    except CatalogueError as exc:
        raise ProblemError(422, N_("Not a GTIN"), "gtin", exc.diagnostics) from None


def _problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    meanings = {
        401: N_("No X-API-Key, or an unknown key"),
        403: N_("The key's client has no app role"),
        404: N_("No verified, Active footprint valid today for this GTIN (the detail says why)"),
        422: N_("Not a GTIN (length, digits or check digit), or a basket of none or over 100"),
        429: N_("Over the key's requests a minute: see Retry-After"),
    }
    return {status: {"description": meanings[status]} for status in statuses}


def _openapi(api: FastAPI) -> dict[str, Any]:
    """FastAPI's document, every error given as a problem+json Problem."""
    if api.openapi_schema:
        return api.openapi_schema
    schema = get_openapi(
        title=api.title,
        version=api.version,
        summary=api.summary,
        description=api.description,
        routes=api.routes,
        servers=[{"url": PREFIX}],
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for model in (Problem, DiagnosticOut):
        extra = model.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(extra.pop("$defs", {}))
        components[model.__name__] = extra
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            responses = operation.setdefault("responses", {})
            responses.setdefault("422", {"description": N_("Malformed parameters")})
            for code, response in responses.items():
                if code.isdigit() and int(code) >= 400:
                    response["content"] = problem
    api.openapi_schema = schema
    return schema


def _docs(api: FastAPI) -> None:
    @api.get("/docs", include_in_schema=False)
    def docs(request: Request) -> HTMLResponse:
        return page(request, "inclusion/docs.html", _reference(api.openapi()))


def _reference(document: dict[str, Any]) -> dict[str, Any]:
    """The document as the reference page lists it: each operation with its parameters and
    answers, in the order of the paths."""
    operations = []
    for path, methods in document.get("paths", {}).items():
        for method, operation in methods.items():
            operations.append(
                {
                    "method": method.upper(),
                    "path": PREFIX + path,
                    "summary": operation.get("summary", ""),
                    "description": operation.get("description", ""),
                    "parameters": operation.get("parameters", []),
                    "responses": sorted(operation.get("responses", {}).items()),
                }
            )
    return {"nav": "", "api": document, "operations": operations, "prefix": PREFIX}


_DESCRIPTION = """For carbon-inclusion (碳普惠) apps: a product's verified footprint by its
barcode, and the reduction per declared unit against the baseline the programme sets for its
category. Only footprints that are published (so verified), Active and valid today are given;
for any other a 404 problem says why (no footprint, deprecated, expired), in the language of
`Accept-Language`.

- `GET /products/{{gtin}}`: one product (GTIN-8, -12, -13 or -14; the check digit is verified).
- `GET /products?gtin=…&gtin=…`: a basket of up to {most} GTINs.
- `GET /categories`: the categories (PCRs) and their baselines in force.

Send `X-API-Key: CLIENT_ID:SECRET`, a catalogue client with the role `app`
(`zuji catalogue client add NAME --role app`). Each key may make {rate} requests a minute in
each worker process of the service (a token bucket); over it, 429 with `Retry-After`. Every
answer carries `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`.

Errors are RFC 9457 problems (`application/problem+json`) with Zuji's `code` (E906 no or bad
key, E908 not an app's key, E987 not a GTIN, E988 no footprint to give, E989 over the limit).
"""
