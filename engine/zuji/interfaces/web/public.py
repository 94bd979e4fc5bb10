"""The public catalogue's pages: the search (`/`), a product's page (`/products/{id}`, with its
PACT document and signed result to download) and a category's comparison (`/compare`).

Every page is a GET that works with JavaScript off; a footprint that does not exist gets a page
saying so, in the reader's language, with status 404. The lists a form offers (categories,
companies, grades) are read once per process or held for a few seconds, so a page costs the few
indexed queries of its own content.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy import func, select

from zuji.catalogue import comparison, public, search
from zuji.catalogue.categories import categories, category
from zuji.catalogue.grades import basis_word, benchmark_sets, describe
from zuji.catalogue.queries import served
from zuji.catalogue.tables import Footprint, Submission
from zuji.core import i18n
from zuji.core.i18n import N_, _
from zuji.interfaces.web import charts
from zuji.interfaces.web.render import page, reader_language

PAGE = 20  # products a search page lists
HELD = 30.0  # seconds the companies and the categories' counts are held before read again
MOST_TEXT = 200  # characters of a query kept (a product's name with its company's is shorter)
_T = TypeVar("_T")
# The grades a search can be narrowed to, beside the benchmark levels' own names.
_GRADE_WORDS = {"advanced": N_("advanced"), "ordinary": N_("ordinary"), "none": N_("none")}
# The data-quality classes of a result (runtime/quality.py's DQR_CLASSES).
_RATINGS = {r: r for r in (N_("excellent"), N_("very good"), N_("good"), N_("fair"), N_("poor"))}


def install(app: FastAPI) -> None:
    """The search, product and comparison pages on the app serving a catalogue."""
    router = APIRouter(include_in_schema=False)
    router.add_api_route("/", search_page, methods=["GET"], response_class=HTMLResponse)
    router.add_api_route(
        "/products/{footprint_id}/pact.json", pact_document, methods=["GET"], response_model=None
    )
    router.add_api_route(
        "/products/{footprint_id}/result.json", signed_result, methods=["GET"], response_model=None
    )
    router.add_api_route(
        "/products/{footprint_id}", product_page, methods=["GET"], response_class=HTMLResponse
    )
    router.add_api_route("/compare", compare_page, methods=["GET"], response_class=HTMLResponse)
    app.include_router(router)
    # Each worker process loads the word cutter's dictionary while it starts to serve.
    threading.Thread(target=search.warm, name="zuji-jieba", daemon=True).start()


def _held(request: Request, name: str, make: Callable[[], _T]) -> _T:
    """A value the app keeps for HELD seconds (per worker process)."""
    kept: dict[str, tuple[float, Any]] | None = getattr(request.app.state, "public_held", None)
    if kept is None:
        kept = request.app.state.public_held = {}
    found = kept.get(name)
    if found is None or time.monotonic() - found[0] > HELD:
        found = (time.monotonic(), make())
        kept[name] = found
    value: _T = found[1]
    return value


def _grade_names() -> list[str]:
    levels = {
        lv.level
        for s in benchmark_sets()
        for p in s.products.values()
        for b in p.benchmarks
        for lv in b.levels
    }
    return [*_GRADE_WORDS, *sorted(levels)]


def grade_word(grade: str) -> str:
    """A grade in the reader's language (a benchmark level's name is its scheme's)."""
    return _(_GRADE_WORDS[grade]) if grade in _GRADE_WORDS else grade


def _common() -> dict[str, Any]:
    """What every page of this section hands its template."""
    return {
        "figure": lambda value: f"{value:,.1f}",
        "day": lambda moment: moment.date().isoformat(),
        "grade_word": grade_word,
        "rating_word": lambda rating: _(_RATINGS[rating]) if rating in _RATINGS else rating,
        "basis_word": basis_word,
    }


# ----------------------------------------------------------------------------- search


@dataclass(frozen=True)
class SearchForm:
    """The search form as the reader filled it (each field cut to the width it can have)."""

    q: str = ""
    pcr: str = ""
    company: str = ""
    hs: str = ""
    region: str = ""
    grade: str = ""
    expired: bool = False

    def query(self) -> search.Query:
        company = self.company.strip()
        return search.Query(
            text=self.q,
            pcr_id=self.pcr or None,
            enterprise_id=int(company) if company.isdigit() else None,
            hs_prefix=self.hs.strip() or None,
            region=self.region.strip() or None,
            grade=self.grade or None,
            everything=self.expired,
        )

    @property
    def filtered(self) -> bool:
        return any((self.pcr, self.company, self.hs, self.region, self.grade, self.expired))


def search_page(
    request: Request,
    q: str = "",
    pcr: str = "",
    company: str = "",
    hs: str = "",
    region: str = "",
    grade: str = "",
    expired: str = "",
    after: str = "",
) -> HTMLResponse:
    """Products by words and filters, a page at a time."""
    form = SearchForm(
        q[:MOST_TEXT], pcr[:64], company[:11], hs[:16], region[:16], grade[:32], bool(expired)
    )
    with request.app.state.store.reading() as session:
        found = search.search(session, form.query(), PAGE, after[:64] or None)
        rows = public.hits(session, found.ids)
        companies = _held(request, "companies", lambda: public.companies(session))
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in ("after", "lang")]
    next_url = _url("/", [*kept, ("after", found.next_after)]) if found.next_after else None
    return page(
        request,
        "public/search.html",
        {
            **_common(),
            "nav": "search",
            "form": form,
            "rows": rows,
            "asked": bool(found.words) or form.filtered,
            "next_url": next_url,
            "first_url": _url("/", kept) if after else None,
            "categories": categories(),
            "companies": companies,
            "grades": _grade_names(),
        },
    )


def _url(path: str, query: list[tuple[str, Any]]) -> str:
    return f"{path}?{urlencode(query)}" if query else path


# ----------------------------------------------------------------------------- a product


def _not_found(request: Request, footprint_id: str) -> HTMLResponse:
    return page(
        request,
        "public/not_found.html",
        {"nav": "", "missing": footprint_id[:80]},
        status=404,
    )


def product_page(request: Request, footprint_id: str) -> HTMLResponse:
    """A product's footprint, its grades, verification, validity and signature."""
    with request.app.state.store.reading() as session:
        view = public.product_view(session, footprint_id)
    if view is None:
        return _not_found(request, footprint_id)
    lang = reader_language(request)
    with i18n.use_language(lang):  # the charts' titles, drawn before the page is rendered
        stage_chart, gas_chart = _stage_chart(view, lang), _gas_chart(view)
    return page(
        request,
        "public/product.html",
        {
            **_common(),
            "nav": "search",
            "view": view,
            "describe": describe,
            "rule_url": _rule_url(request, view.category.id, lang),
            "stage_chart": stage_chart,
            "gas_chart": gas_chart,
            "newer": view.superseded_by,
        },
    )


def _rule_url(request: Request, pcr_id: str, lang: str) -> str:
    """The PCR's published rule page when the docs site is mounted, else its JSON."""
    if getattr(request.app.state, "docs_site", None):
        return f"/rules/pcr/{pcr_id}/" if lang == "zh" else f"/rules/en/pcr/{pcr_id}/"
    return f"/pcrs/{pcr_id}"


def _stage_chart(view: public.ProductView, lang: str) -> Any:
    rows = [
        charts.Bar(s.label_zh if lang == "zh" else s.label_en, s.co2e, f"{s.co2e:,.1f}")
        for s in view.stages
    ]
    return charts.bars(
        "stages",
        _("Footprint by life-cycle stage"),
        _("kg CO2e per {unit}, one bar per stage; the table below gives the same figures").format(
            unit=view.declared_unit
        ),
        rows,
    )


def _gas_chart(view: public.ProductView) -> Any:
    rows = [charts.Bar(g.key, g.co2e, f"{g.co2e:,.1f}") for g in view.gases]
    return charts.bars(
        "gases",
        _("Footprint by greenhouse gas"),
        _("kg CO2e per {unit}, one bar per gas; the table below gives the same figures").format(
            unit=view.declared_unit
        ),
        rows,
    )


def pact_document(request: Request, footprint_id: str) -> Response:
    """The PACT ProductFootprint as published, with its status now."""
    with request.app.state.store.reading() as session:
        found = session.get(Footprint, footprint_id)
    if found is None:
        return _not_found(request, footprint_id)
    return JSONResponse(
        served(found.document, found.status),
        headers={"content-disposition": f'attachment; filename="{footprint_id}.pact.json"'},
    )


def signed_result(request: Request, footprint_id: str) -> Response:
    """The result file as stored at publication, with the programme's signature
    (`zuji verify` proves it with the catalogue's public key)."""
    with request.app.state.store.reading() as session:
        text = session.scalar(
            select(Submission.result)
            .join(Footprint, Footprint.submission_id == Submission.id)
            .where(Footprint.id == footprint_id)
        )
    if text is None:
        return _not_found(request, footprint_id)
    return Response(
        text,
        media_type="application/json",
        headers={"content-disposition": f'attachment; filename="{footprint_id}.result.json"'},
    )


# ----------------------------------------------------------------------------- comparison


def _counts(request: Request) -> dict[str, int]:
    def read() -> dict[str, int]:
        with request.app.state.store.reading() as session:
            query = (
                select(Footprint.pcr_id, func.count())
                .where(Footprint.status == "Active")
                .group_by(Footprint.pcr_id)
            )
            return {pcr_id: int(n) for pcr_id, n in session.execute(query)}

    return _held(request, "counts", read)


def compare_page(request: Request, pcr: str = "") -> HTMLResponse:
    """A category's products side by side, against its benchmark levels and distribution."""
    ids = [
        i.strip()[:64]
        for given in request.query_params.getlist("ids")
        for i in given.split(",")
        if i.strip()
    ]
    counts = _counts(request)
    picked = [c for c in categories() if counts.get(c.id)]
    compared = None
    if pcr[:64] in counts:
        with request.app.state.store.reading() as session:
            compared = comparison.compare(session, pcr[:64], ids[: comparison.MOST_CHOSEN])
    elif pcr:
        return _not_found(request, pcr)
    lang = reader_language(request)
    with i18n.use_language(lang):
        chart = _distribution_chart(compared, lang) if compared and compared.size else None
    return page(
        request,
        "public/compare.html",
        {
            **_common(),
            "nav": "compare",
            "categories": picked,
            "counts": counts,
            "pcr": pcr[:64],
            "compared": compared,
            "chart": chart,
            "category_of": category,
        },
    )


def _distribution_chart(compared: comparison.Comparison, lang: str) -> Any:
    marks = [
        charts.Mark(f"{lv.level} ({lv.benchmark}): {lv.value:,.0f}", lv.value, "level")
        for lv in compared.levels
    ]
    marks += [
        charts.Mark(f"{s.hit.product}: {s.hit.total:,.1f}", s.hit.total, "product")
        for s in compared.chosen
    ]
    return charts.distribution(
        "distribution",
        _("The category's footprints in force, and where the chosen products stand"),
        _(
            "A histogram of {n} footprints of {category} in kg CO2e per {unit}; dashed lines "
            "are benchmark levels, triangles the chosen products, each numbered in the list below"
        ).format(
            n=compared.size, category=compared.category.name(lang), unit=compared.declared_unit
        ),
        [(b.low, b.high, b.count) for b in compared.bins],
        marks,
        _("kg CO2e per {unit}").format(unit=compared.declared_unit),
    )
