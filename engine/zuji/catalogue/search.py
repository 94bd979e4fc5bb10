"""Finding published footprints by the words people type: a product's name (Chinese cut into
words by jieba), its company's, its category's, and its codes (HS, region, GTIN).

Each footprint's words are written to `search_terms` when it is published (workflow), one row
per (word, footprint) with the footprint's PCR beside it: the primary key is the index a search
walks, and (pcr, word, footprint) the one a search narrowed to a category walks. A query is cut
the same way and every word must match: the rarest word's rows are walked in footprint-id order
from the page's key, and each footprint reached is tested for the other words and the filters.

The rarest is found by counting each start's rows up to a bound (PROBE), as a query planner
keeps statistics: the counts are held per process for a few minutes (HELD_COUNTS), since a
count only chooses where a walk starts and never decides what is found. A bound low enough to
be counted on every search could not tell `型号` (every product) from `5` (one in eighty) and
walked the whole catalogue to find twenty products.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import unicodedata
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

import jieba
from sqlalchemy import ColumnElement, Select, bindparam, exists, func, select
from sqlalchemy.orm import Session, aliased

from zuji.catalogue.categories import category
from zuji.catalogue.tables import Enterprise, Footprint, Grade, Product, SearchTerm, now

jieba.setLogLevel(logging.WARNING)  # its dictionary's loading is not the reader's business

MOST_CHARS = 64  # search_terms.term's width
# Rows counted per start when choosing the rarest: past this, starting at any is as slow.
PROBE = 20_000
HELD_COUNTS = 300.0  # seconds a start's count is held
MOST_COUNTS = 50_000  # counts held per process
MOST_WORDS = 8  # a query's words beyond these narrow nothing a reader can tell apart
# Words too common to tell products apart: the connectives of Chinese and English names.
STOP = frozenset(
    {"及", "和", "与", "或", "的", "之", "等", "of", "and", "the", "a", "an", "for", "in", "at"}
)
# A cut token keeps a letter, a digit or a Han character; the rest is punctuation and spaces.
_WORDY = re.compile(r"[\w]", re.UNICODE)
_WALKED = aliased(Footprint, name="walked")
# A word's test reads search_terms under a name of its own: a search may be walking the table
# itself. Each test is a subquery apart, so one name serves every word (made once: an alias
# costs more to make than the test it serves).
_TESTED = aliased(SearchTerm, name="tested")


def warm() -> None:
    """Load jieba's dictionary now (a second or two), not on a reader's first search."""
    words("水泥")


def words(text: str) -> list[str]:
    """The words of `text` a search matches: jieba's cut for search (each long word and the
    shorter words inside it), lower-cased, without punctuation and stop words, each at most
    MOST_CHARS long, in order, each once."""
    text = unicodedata.normalize("NFKC", text)
    found: dict[str, None] = {}
    for token in jieba.cut_for_search(text):
        word = token.strip().lower()[:MOST_CHARS]
        if word and word not in STOP and _WORDY.search(word):
            found[word] = None
    return list(found)


def _gtin(product_id: str) -> str | None:
    lowered = product_id.lower()
    return lowered.removeprefix("urn:gtin:") if lowered.startswith("urn:gtin:") else None


def terms(
    product: str,
    enterprise_names: Iterable[str | None],
    pcr_id: str,
    hs_code: str | None,
    region: str | None,
    product_ids: Iterable[str],
) -> set[str]:
    """The words a footprint is found by (see the module's description)."""
    named = category(pcr_id)
    texts = [product, *(n for n in enterprise_names if n), named.name_zh, named.name_en, pcr_id]
    found = {w for text in texts for w in words(text)}
    codes = [pcr_id, region or ""]
    if hs_code:
        codes += [hs_code, re.sub(r"\D", "", hs_code)[:4]]
    codes += [g for p in product_ids if (g := _gtin(str(p)))]
    for code in codes:
        if code.strip():
            found.add(code.strip().lower()[:MOST_CHARS])
            found.update(words(code))
    return found


def footprint_terms(session: Session, footprint: Footprint) -> set[str]:
    """The words of a footprint being published, from its product and enterprise rows."""
    product = session.get(Product, footprint.product_id)
    enterprise = session.get(Enterprise, footprint.enterprise_id)
    assert product is not None and enterprise is not None  # foreign keys
    return terms(
        product.name,
        (enterprise.name, enterprise.name_zh),
        footprint.pcr_id,
        product.hs_code,
        enterprise.region,
        product.product_ids,
    )


def index_footprint(session: Session, footprint: Footprint) -> None:
    """Write a footprint's words, in the transaction that publishes it."""
    session.add_all(
        SearchTerm(term=t, footprint_id=footprint.id, pcr_id=footprint.pcr_id)
        for t in footprint_terms(session, footprint)
    )


# ----------------------------------------------------------------------------- the query


@dataclass(frozen=True)
class Query:
    """What a reader asks: words (all must match) and filters. By default only what is in
    force is found (Active, not expired); `everything` finds expired and deprecated ones too."""

    text: str = ""
    pcr_id: str | None = None
    enterprise_id: int | None = None
    hs_prefix: str | None = None
    region: str | None = None
    grade: str | None = None
    everything: bool = False
    at: datetime | None = None  # the moment validity is judged at (now when None)


@dataclass(frozen=True)
class Found:
    """One page of a search: the footprint ids in id order, and the id the next page starts
    after (None on the last page)."""

    ids: tuple[str, ...]
    next_after: str | None
    words: tuple[str, ...]


@dataclass(frozen=True)
class _Start:
    """Where a walk starts: a word's rows (within a category when `pcr_id` is set), or a
    footprints column's (column, id) index."""

    kind: str  # word | pcr_id | enterprise_id | status | all
    value: Any = None
    pcr_id: Any = None  # a PCR id, or a parameter standing for one (_walk)

    @property
    def satisfies(self) -> tuple[str, ...]:
        """The tests (named as _tests names them) every footprint of this walk passes."""
        if self.kind != "word":
            return (self.kind,)
        return (f"word:{self.value}", "pcr_id") if self.pcr_id else (f"word:{self.value}",)


# Each condition with its values as parameters: a search's statement is built once per shape
# (where it starts, how many words and which filters it tests) and run with the reader's
# values, instead of being built anew for every page.
_WORD_TESTS = tuple(
    exists().where(_TESTED.footprint_id == Footprint.id, _TESTED.term == bindparam(f"word{i}"))
    for i in range(MOST_WORDS)
)
_FILTER_TESTS: dict[str, ColumnElement[bool]] = {
    "pcr_id": Footprint.pcr_id == bindparam("pcr_id"),
    "enterprise_id": Footprint.enterprise_id == bindparam("enterprise_id"),
    "status": Footprint.status == "Active",
    "valid": Footprint.valid_until >= bindparam("at"),
    "hs": exists().where(
        Product.id == Footprint.product_id, Product.hs_code.like(bindparam("hs"), escape="/")
    ),
    "region": exists().where(
        Enterprise.id == Footprint.enterprise_id,
        func.lower(Enterprise.region) == bindparam("region"),
    ),
    "grade": exists().where(Grade.footprint_id == Footprint.id, Grade.grade == bindparam("grade")),
}


def _filters(query: Query) -> dict[str, dict[str, Any]]:
    """Each filter the query sets, by name (as a walk's start names what it satisfies), with
    the parameters of its test."""
    found: dict[str, dict[str, Any]] = {}
    if query.pcr_id:
        found["pcr_id"] = {"pcr_id": query.pcr_id}
    if query.enterprise_id is not None:
        found["enterprise_id"] = {"enterprise_id": query.enterprise_id}
    if not query.everything:
        found["status"] = {}
        found["valid"] = {"at": query.at or now()}
    if query.hs_prefix:
        # A prefix matched with LIKE, its own wildcards written as themselves.
        escaped = re.sub(r"([/%_])", r"/\1", query.hs_prefix.strip())
        found["hs"] = {"hs": escaped + "%"}
    if query.region:
        found["region"] = {"region": query.region.strip().lower()}
    if query.grade:
        found["grade"] = {"grade": query.grade}
    return found


def _starts(query: Query, chosen: Sequence[str]) -> list[_Start]:
    # Within a category, a word's rows in it are never more than its rows or the category's.
    found = [_Start("word", w, query.pcr_id) for w in chosen]
    if query.pcr_id and not chosen:
        found.append(_Start("pcr_id", query.pcr_id))
    if query.enterprise_id is not None:
        found.append(_Start("enterprise_id", query.enterprise_id))
    if not query.everything:
        found.append(_Start("status", "Active"))
    return found


def _entries(start: _Start) -> tuple[Select[Any], Any]:
    """The rows a walk reads in footprint-id order, and the id column they are read by (the
    start's values may be parameters: _walk)."""
    if start.kind == "word":
        column = SearchTerm.footprint_id
        entries = select(column.label("id")).where(SearchTerm.term == start.value)
        if start.pcr_id is not None:
            entries = entries.where(SearchTerm.pcr_id == start.pcr_id)
        return entries, column
    column = _WALKED.id
    entries = select(column.label("id"))
    if start.kind != "all":
        entries = entries.where(getattr(_WALKED, start.kind) == start.value)
    return entries, column


_counted: OrderedDict[tuple[Any, ...], tuple[float, int]] = OrderedDict()
_counting = threading.Lock()


def _rarest(session: Session, starts: Sequence[_Start]) -> _Start:
    """The start with the fewest rows, each counted up to PROBE (held HELD_COUNTS seconds)."""
    if not starts:
        return _Start("all")
    if len(starts) == 1:
        return starts[0]
    database = str(session.get_bind().engine.url)
    keys = [(database, PROBE, s.kind, s.value, s.pcr_id) for s in starts]
    counts = _held_counts(keys)
    missing = [(k, s) for k, s in zip(keys, starts, strict=True) if k not in counts]
    if missing:
        counted = [
            select(func.count())
            .select_from(_entries(s)[0].limit(PROBE).subquery())
            .scalar_subquery()
            for _, s in missing
        ]
        found = session.execute(select(*counted)).one()
        counts.update(_hold_counts([k for k, _ in missing], [int(n) for n in found]))
    _, index = min((counts[k], i) for i, k in enumerate(keys))
    return starts[index]


def _held_counts(keys: Sequence[tuple[Any, ...]]) -> dict[tuple[Any, ...], int]:
    moment = time.monotonic()
    with _counting:
        held = ((k, _counted.get(k)) for k in keys)
        return {k: h[1] for k, h in held if h is not None and moment - h[0] < HELD_COUNTS}


def _hold_counts(keys: Sequence[tuple[Any, ...]], counts: Sequence[int]) -> dict[Any, int]:
    moment = time.monotonic()
    with _counting:
        for key, n in zip(keys, counts, strict=True):
            _counted[key] = (moment, n)
            _counted.move_to_end(key)
        while len(_counted) > MOST_COUNTS:
            _counted.popitem(last=False)
    return dict(zip(keys, counts, strict=True))


def search(session: Session, query: Query, limit: int, after: str | None = None) -> Found:
    """One page of at most `limit` footprint ids matching `query`, after the id `after`."""
    chosen = tuple(words(query.text)[:MOST_WORDS])
    start = _rarest(session, _starts(query, chosen))
    tested = [w for w in chosen if f"word:{w}" not in start.satisfies]
    filters = {k: v for k, v in _filters(query).items() if k not in start.satisfies}
    walk = _walk(
        start.kind, bool(start.pcr_id), len(tested), tuple(filters), after is not None, limit + 1
    )
    values: dict[str, Any] = {"start": start.value, "start_pcr": start.pcr_id, "after": after}
    values.update((f"word{i}", w) for i, w in enumerate(tested))
    for given in filters.values():
        values.update(given)
    ids = list(session.connection().scalars(walk, values))
    more = len(ids) > limit
    return Found(tuple(ids[:limit]), ids[limit - 1] if more else None, chosen)


@lru_cache(maxsize=512)
def _walk(
    kind: str, scoped: bool, words: int, filters: tuple[str, ...], after: bool, limit: int
) -> Any:
    """The walk of one shape of search, its values parameters (see _WORD_TESTS)."""
    shape = _Start(kind, bindparam("start"), bindparam("start_pcr") if scoped else None)
    walk, column = _entries(shape)
    if after:
        walk = walk.where(column > bindparam("after"))
    rest = [*_WORD_TESTS[:words], *(_FILTER_TESTS[name] for name in filters)]
    if rest:
        walk = walk.where(exists().where(Footprint.id == column, *rest))
    return walk.order_by(column).limit(limit)
