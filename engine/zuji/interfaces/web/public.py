"""The public catalogue's pages: the search (`/`), a product's page (`/products/{id}`, with its
PACT document and signed result to download), a category's comparison (`/compare`) and the
list of companies a search can be narrowed to (`/companies`).

Every page is a GET that works with JavaScript off; a footprint that does not exist gets a page
saying so, in the reader's language, with status 404. The lists a form offers (categories,
companies, grades) are read once per process or held while the catalogue's revision is unchanged,
so a page costs the few indexed queries of its own content.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.routing import Route

from zuji.catalogue import comparison, public, search
from zuji.catalogue.categories import categories, category
from zuji.catalogue.grades import basis_word, benchmark_sets, describe
from zuji.catalogue.queries import served
from zuji.catalogue.tables import Footprint, Submission, now
from zuji.core import i18n
from zuji.core.i18n import N_, _
from zuji.interfaces.serve_work import Offload, settle
from zuji.interfaces.web import charts
from zuji.interfaces.web.page_cache import PageCache
from zuji.interfaces.web.page_files import PageFiles
from zuji.interfaces.web.render import add_filters, figure, page, reader_language

PAGE = 20  # products a search page lists
# A page is sent again while the catalogue's revision is unchanged (page_cache.py) and no later
# than the next moment a footprint on it, or one that would join or leave it, expires; and,
# whatever else of the clock a page might come to show, never for longer than this.
KEPT_LONGEST = 3600.0
MOST_TEXT = 200  # characters of a query kept (a product's name with its company's is shorter)
# The grades a search can be narrowed to, beside the benchmark levels' own names.
_GRADE_WORDS = {"advanced": N_("advanced"), "ordinary": N_("ordinary"), "none": N_("none")}
# The data-quality classes of a result (runtime/quality.py's DQR_CLASSES).
_RATINGS = {r: r for r in (N_("excellent"), N_("very good"), N_("good"), N_("fair"), N_("poor"))}


def install(app: FastAPI) -> None:
    """The search, product and comparison pages on the app serving a catalogue.

    They are plain Starlette routes, not FastAPI's: their few text parameters are cut to width
    here, and FastAPI's parameter and dependency machinery cost a page more than a millisecond
    of the event loop's time under load (benchmarks/platform_load.py), where the page itself
    is two to four. They are placed first, so a page is matched before the API's routes.
    """
    pages = [
        Route("/", search_page, methods=["GET"]),
        Route("/products/{footprint_id}/pact.json", pact_document, methods=["GET"]),
        Route("/products/{footprint_id}/result.json", signed_result, methods=["GET"]),
        Route("/products/{footprint_id}", product_page, methods=["GET"]),
        Route("/compare", compare_page, methods=["GET"]),
        Route("/companies", companies_page, methods=["GET"]),
    ]
    app.router.routes[:0] = pages
    # The pages this worker wrote, and those every worker left in the machine's shared folder,
    # served again while the catalogue is unchanged.
    most = app.state.config.page_cache_mb * 1024 * 1024
    store = app.state.store
    shared = PageFiles.of(store.instance(), store.label, most) if most else None
    if shared is not None:
        shared.prune(store.revision())  # pages of a revision this catalogue has not reached
    app.state.kept_pages = PageCache(most, _LOOKS, _PAGES, shared)
    # What the pages are written with besides their own rows, read again when the revision moves.
    app.state.public_companies = store.while_unchanged(
        lambda session: {c.id: c for c in public.companies(session)}
    )
    app.state.category_counts = store.while_unchanged(_read_counts)
    # Each worker process loads the word cutter's dictionary while it starts to serve.
    settles = app.state.settles
    threading.Thread(target=_warm_search, args=(settles,), name="zuji-jieba", daemon=True).start()


def _warm_search(settles: bool) -> None:
    search.warm()
    if settles:
        settle()  # the dictionary lives as long as the worker (serve_work.settle)


# The public pages are rendered in a thread, off the event loop, one page at a time per worker
# process: each page is a few milliseconds of Python holding the interpreter lock, so a second
# thread adds no throughput, only hand-offs of the lock between half-rendered pages. On the load
# benchmark (benchmarks/platform_load.py, 4 workers on 2 cores) FastAPI's forty threads gave 335
# product pages/s with a p99 of 388 ms; in runs alternated on the same noisy machine, two
# threads gave 280-300/s with a p99 of 250-270 ms, one thread 250-380/s (mostly above 320) with
# a p99 of 110-200 ms.
PAGE_THREADS = 1
_PAGES = Offload(PAGE_THREADS, "zuji-page")
_LOOKS = Offload(1, "zuji-page-kept")  # a kept page is found apart from the pages being written


def _pages_kept(request: Request) -> PageCache:
    kept: PageCache = request.app.state.kept_pages
    return kept


async def _rendered(work: Callable[[], Response]) -> Response:
    """`work` in one of this worker's page threads (PAGE_THREADS)."""
    return await _PAGES.run(work)


async def search_page(request: Request) -> Response:
    """Products by words and filters, a page at a time."""
    asked = request.query_params
    form = SearchForm(
        asked.get("q", "")[:MOST_TEXT],
        asked.get("pcr", "")[:64],
        asked.get("company", "")[:11],
        asked.get("hs", "")[:16],
        asked.get("region", "")[:16],
        asked.get("grade", "")[:32],
        bool(asked.get("expired", "")),
    )
    after = asked.get("after", "")[:64]
    return await _pages_kept(request).answer(request, lambda: _search_page(request, form, after))


async def product_page(request: Request) -> Response:
    """A product's footprint, its grades, verification, validity and signature."""
    footprint_id = request.path_params["footprint_id"]
    return await _pages_kept(request).answer(request, lambda: _product_page(request, footprint_id))


async def compare_page(request: Request) -> Response:
    """A category's products side by side, against its benchmark levels and distribution."""
    pcr = request.query_params.get("pcr", "")
    return await _pages_kept(request).answer(request, lambda: _compare_page(request, pcr))


async def companies_page(request: Request) -> Response:
    """Every company of the catalogue, each leading to a search for its products."""
    return await _pages_kept(request).answer(
        request, lambda: (_companies_page(request), KEPT_LONGEST)
    )


async def pact_document(request: Request) -> Response:
    """The PACT ProductFootprint as published, with its status now."""
    footprint_id = request.path_params["footprint_id"]
    return await _rendered(lambda: _pact_document(request, footprint_id))


async def signed_result(request: Request) -> Response:
    """The result file as stored at publication, with the programme's signature
    (`zuji verify` proves it with the catalogue's public key)."""
    footprint_id = request.path_params["footprint_id"]
    return await _rendered(lambda: _signed_result(request, footprint_id))


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


def rating_word(rating: str) -> str:
    """A result's data-quality class in the reader's language."""
    return _(_RATINGS[rating]) if rating in _RATINGS else rating


@lru_cache(maxsize=256)
def _in_language(word: Callable[[str], str], lang: str, given: str) -> str:
    with i18n.use_language(lang):
        return word(given)


def _kept(word: Callable[[str], str]) -> Callable[[str], str]:
    """`word` remembered per language: a search page writes forty grades and bases."""
    return lambda given: _in_language(word, i18n.language(), given)


add_filters(
    {
        "grade_word": _kept(grade_word),
        "rating_word": _kept(rating_word),
        "basis_word": _kept(basis_word),
    }
)


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


def _until_next_expiry(session: Session) -> float:
    """The seconds a page listing footprints in force may be sent again for."""
    moment = public.next_expiry(session)
    if moment is None:
        return KEPT_LONGEST
    return min((moment - now()).total_seconds(), KEPT_LONGEST)


def _search_page(request: Request, form: SearchForm, after: str) -> tuple[HTMLResponse, float]:
    with request.app.state.store.reading() as session:
        found = search.search(session, form.query(), PAGE, after or None)
        rows = public.hits(session, found.ids)
        kept_for = _until_next_expiry(session)
        lang = reader_language(request)
        # Only a narrowed search needs the company list, to name its company.
        chosen = _companies(request).get(int(form.company)) if form.company.isdigit() else None
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in ("after", "lang")]
    next_url = _url("/", [*kept, ("after", found.next_after)]) if found.next_after else None
    return page(
        request,
        "public/search.html",
        {
            "nav": "search",
            "form": form,
            "rows": rows,
            "asked": bool(found.words) or form.filtered,
            "next_url": next_url,
            "first_url": _url("/", kept) if after else None,
            "categories": categories(),
            "company": (chosen.id, _company_name(chosen, lang)) if chosen else None,
            "any_company_url": _url("/", [(k, v) for k, v in kept if k != "company"]),
            "grades": _grade_names(),
        },
    ), kept_for


# The search form names the company a search is narrowed to and links to the list of companies,
# instead of offering all of them in a drop-down: the programme's 600 enterprises made that
# drop-down 40 kB of every search page's 60 kB, written, sent and parsed for each search.
def _companies(request: Request) -> dict[int, public.Company]:
    """The catalogue's companies by id, held per worker while the catalogue is unchanged."""
    companies: dict[int, public.Company] = request.app.state.public_companies()
    return companies


def _company_name(company: public.Company, lang: str) -> str:
    """A company's name in `lang`, the other language's beside it when it differs."""
    first, second = (
        (company.name_zh, company.name) if lang == "zh" else (company.name, company.name_zh)
    )
    name = first or second
    if company.name_zh and company.name != company.name_zh:
        name = f"{name} · {second or first}"
    return name


def _companies_page(request: Request) -> HTMLResponse:
    named = _companies(request)
    lang = reader_language(request)
    listed = sorted(
        ((c.id, _company_name(c, lang)) for c in named.values()), key=lambda pair: pair[1]
    )
    return page(request, "public/companies.html", {"nav": "search", "companies": listed})


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


def _product_page(request: Request, footprint_id: str) -> tuple[HTMLResponse, float]:
    """The page, and the seconds it may be served again for: no longer than its footprint has
    left before it expires, when the page must say so."""
    with request.app.state.store.reading() as session:
        view = public.product_view(session, footprint_id)
    if view is None:
        return _not_found(request, footprint_id), KEPT_LONGEST
    left = (view.valid_until - now()).total_seconds()
    lang = reader_language(request)
    with i18n.use_language(lang):  # the charts' titles, drawn before the page is rendered
        stage_chart, gas_chart = _stage_chart(view, lang), _gas_chart(view)
    return page(
        request,
        "public/product.html",
        {
            "nav": "search",
            "view": view,
            "describe": describe,
            "rule_url": _rule_url(request, view.category.id, lang),
            "stage_chart": stage_chart,
            "gas_chart": gas_chart,
            "newer": view.superseded_by,
        },
    ), (KEPT_LONGEST if view.expired else min(KEPT_LONGEST, left))


def _rule_url(request: Request, pcr_id: str, lang: str) -> str:
    """The PCR's published rule page when the docs site is mounted, else its JSON."""
    if getattr(request.app.state, "docs_site", None):
        return f"/rules/pcr/{pcr_id}/" if lang == "zh" else f"/rules/en/pcr/{pcr_id}/"
    return f"/pcrs/{pcr_id}"


def _stage_chart(view: public.ProductView, lang: str) -> Any:
    rows = [
        charts.Bar(s.label_zh if lang == "zh" else s.label_en, s.co2e, figure(s.co2e))
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
    rows = [charts.Bar(g.key, g.co2e, figure(g.co2e)) for g in view.gases]
    return charts.bars(
        "gases",
        _("Footprint by greenhouse gas"),
        _("kg CO2e per {unit}, one bar per gas; the table below gives the same figures").format(
            unit=view.declared_unit
        ),
        rows,
    )


def _pact_document(request: Request, footprint_id: str) -> Response:
    with request.app.state.store.reading() as session:
        found = session.get(Footprint, footprint_id)
    if found is None:
        return _not_found(request, footprint_id)
    return JSONResponse(
        served(found.document, found.status),
        headers={"content-disposition": f'attachment; filename="{footprint_id}.pact.json"'},
    )


def _signed_result(request: Request, footprint_id: str) -> Response:
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


def _read_counts(session: Session) -> dict[str, int]:
    """Each category's footprints in force, by PCR."""
    query = (
        select(Footprint.pcr_id, func.count())
        .where(Footprint.status == "Active")
        .group_by(Footprint.pcr_id)
    )
    return {pcr_id: int(n) for pcr_id, n in session.execute(query)}


def _compare_page(request: Request, pcr: str = "") -> tuple[HTMLResponse, float]:
    """The page, and the seconds it may be served again for: until a footprint in force
    expires, and leaves the category's distribution."""
    ids = [
        i.strip()[:64]
        for given in request.query_params.getlist("ids")
        for i in given.split(",")
        if i.strip()
    ]
    counts: dict[str, int] = request.app.state.category_counts()
    picked = [c for c in categories() if counts.get(c.id)]
    compared = None
    with request.app.state.store.reading() as session:
        kept_for = _until_next_expiry(session)
        if pcr[:64] in counts:
            compared = comparison.compare(session, pcr[:64], ids[: comparison.MOST_CHOSEN])
    if compared is None and pcr:
        return _not_found(request, pcr), KEPT_LONGEST
    lang = reader_language(request)
    with i18n.use_language(lang):
        chart = _distribution_chart(compared, lang) if compared and compared.size else None
    return page(
        request,
        "public/compare.html",
        {
            "nav": "compare",
            "categories": picked,
            "counts": counts,
            "pcr": pcr[:64],
            "compared": compared,
            "chart": chart,
            "category_of": category,
        },
    ), kept_for


def _distribution_chart(compared: comparison.Comparison, lang: str) -> Any:
    marks = [
        charts.Mark(f"{lv.level} ({lv.benchmark}): {lv.value:,.0f}", lv.value, "level")
        for lv in compared.levels
    ]
    marks += [
        charts.Mark(f"{s.hit.product}: {figure(s.hit.total)}", s.hit.total, "product")
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
