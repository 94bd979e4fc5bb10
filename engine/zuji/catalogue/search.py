"""Finding published footprints by the words people type: a product's name (Chinese cut into
words by jieba), its company's, its category's, and its codes (HS, region, GTIN).

Each footprint's words are written to `search_terms` when it is published (workflow), one row
per (word, footprint), the primary key being the index a search walks. A query is cut the same
way and every word must match: the rarest word's rows are walked in footprint-id order from the
page's key, and each footprint reached is tested for the other words and the filters. The rarest
is found by counting each word's rows up to a bound, as the PACT listing chooses its criterion
(queries.py), so a query costs a few hundred index reads however large the catalogue.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import jieba
from sqlalchemy import ColumnElement, Select, exists, func, select
from sqlalchemy.orm import Session, aliased

from zuji.catalogue.categories import category
from zuji.catalogue.tables import Enterprise, Footprint, Grade, Product, SearchTerm, now

jieba.setLogLevel(logging.WARNING)  # its dictionary's loading is not the reader's business

MOST_CHARS = 64  # search_terms.term's width
# Rows counted per word when choosing the rarest: past this any is dense enough to walk.
PROBE = 1000
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
        SearchTerm(term=t, footprint_id=footprint.id) for t in footprint_terms(session, footprint)
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
    """Where a walk starts: a word's rows, or a footprints column's (column, id) index."""

    kind: str  # word | pcr_id | enterprise_id | status | all
    value: Any = None


def _word_test(word: str) -> ColumnElement[bool]:
    return exists().where(_TESTED.footprint_id == Footprint.id, _TESTED.term == word)


def _tests(query: Query, chosen: Sequence[str]) -> dict[str, ColumnElement[bool]]:
    """Each condition as a test of one footprint, named by what a walk could start from."""
    tests = {f"word:{w}": _word_test(w) for w in chosen}
    if query.pcr_id:
        tests["pcr_id"] = Footprint.pcr_id == query.pcr_id
    if query.enterprise_id is not None:
        tests["enterprise_id"] = Footprint.enterprise_id == query.enterprise_id
    if not query.everything:
        tests["status"] = Footprint.status == "Active"
        tests["valid"] = Footprint.valid_until >= (query.at or now())
    if query.hs_prefix:
        tests["hs"] = exists().where(
            Product.id == Footprint.product_id,
            Product.hs_code.startswith(query.hs_prefix.strip(), autoescape=True),
        )
    if query.region:
        tests["region"] = exists().where(
            Enterprise.id == Footprint.enterprise_id,
            func.lower(Enterprise.region) == query.region.strip().lower(),
        )
    if query.grade:
        tests["grade"] = exists().where(
            Grade.footprint_id == Footprint.id, Grade.grade == query.grade
        )
    return tests


def _starts(query: Query, chosen: Sequence[str]) -> list[_Start]:
    found = [_Start("word", w) for w in chosen]
    if query.pcr_id:
        found.append(_Start("pcr_id", query.pcr_id))
    if query.enterprise_id is not None:
        found.append(_Start("enterprise_id", query.enterprise_id))
    if not query.everything:
        found.append(_Start("status", "Active"))
    return found


def _test_name(start: _Start) -> str:
    return f"word:{start.value}" if start.kind == "word" else start.kind


def _entries(start: _Start) -> tuple[Select[Any], Any]:
    """The rows a walk reads in footprint-id order, and the id column they are read by."""
    if start.kind == "word":
        column = SearchTerm.footprint_id
        return select(column.label("id")).where(SearchTerm.term == start.value), column
    column = _WALKED.id
    entries = select(column.label("id"))
    if start.kind != "all":
        entries = entries.where(getattr(_WALKED, start.kind) == start.value)
    return entries, column


def _rarest(session: Session, starts: Sequence[_Start]) -> _Start:
    """The start with the fewest rows, each counted up to PROBE."""
    if not starts:
        return _Start("all")
    if len(starts) == 1:
        return starts[0]
    counts = [
        select(func.count()).select_from(_entries(s)[0].limit(PROBE).subquery()).scalar_subquery()
        for s in starts
    ]
    found = session.execute(select(*counts)).one()
    _, index = min(zip(found, range(len(starts)), strict=True))
    return starts[index]


def search(session: Session, query: Query, limit: int, after: str | None = None) -> Found:
    """One page of at most `limit` footprint ids matching `query`, after the id `after`."""
    chosen = tuple(words(query.text)[:MOST_WORDS])
    tests = _tests(query, chosen)
    start = _rarest(session, _starts(query, chosen))
    rest = [test for name, test in tests.items() if name != _test_name(start)]
    walk, column = _entries(start)
    if after is not None:
        walk = walk.where(column > after)
    if rest:
        walk = walk.where(exists().where(Footprint.id == column, *rest))
    ids = list(session.scalars(walk.order_by(column).limit(limit + 1)))
    more = len(ids) > limit
    return Found(tuple(ids[:limit]), ids[limit - 1] if more else None, chosen)
