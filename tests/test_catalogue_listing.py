"""Filtered listing walks an index, on SQLite and on PostgreSQL, and answers what the filters
say: every combination of criteria, paged with the keyset `after`, against the answer worked
out here in Python from the rows as inserted; and a catalogue made at migration 0001 is
upgraded when opened and lists the same."""

from __future__ import annotations

import itertools
import json
import random
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import inspect, text
from sqlalchemy.orm import Session

from zuji.catalogue import queries, records, store
from zuji.catalogue.tables import Enterprise, Footprint, FootprintKey, Product, Submission

START = datetime(2024, 1, 1, tzinfo=UTC)
PCRS = ("cement", "steel", "glass")
REGIONS = ("cn-sd", "cn-js", "cn-gd", "cn")
CLASSES = ("urn:pact:hs:2523.29", "urn:pact:hs:7208", "urn:pact:cn:72")


@dataclass(frozen=True)
class Row:
    """A footprint as inserted: what each criterion reads."""

    id: str
    pcr: str
    enterprise: int
    status: str
    valid_from: datetime
    valid_until: datetime
    keys: frozenset[tuple[str, str]]
    published: datetime  # some at the same instant: the lists order those by id


def _catalogue(db: store.Store, n: int) -> list[Row]:
    """N footprints of 8 enterprises, each with one product id, its enterprise's company id,
    one or two geographies and zero to two classifications, some of them Deprecated."""
    rng = random.Random(16)
    rows = []
    for _ in range(n):
        enterprise = rng.randint(1, 8)
        keys = {("productId", f"urn:p:{len(rows) % 40}"), ("companyId", f"urn:c:{enterprise}")}
        keys |= {("geography", g) for g in rng.sample(REGIONS, rng.randint(1, 2))}
        keys |= {("classification", c) for c in rng.sample(CLASSES, rng.randint(0, 2))}
        begins = START + timedelta(days=rng.randint(0, 700))
        rows.append(
            Row(
                str(uuid.UUID(int=rng.getrandbits(128))),
                rng.choice(PCRS),
                enterprise,
                "Deprecated" if rng.random() < 0.2 else "Active",
                begins,
                begins + timedelta(days=rng.randint(30, 700)),
                frozenset(keys),
                START + timedelta(minutes=rng.randint(0, 200)),
            )
        )
    with db.transaction() as session:
        # No relationships order the inserts: each table goes in after those it refers to.
        for made in (
            [Enterprise(id=e, name=f"Plant {e}") for e in range(1, 9)],
            [
                Product(id=i, enterprise_id=r.enterprise, pcr_id=r.pcr, name=f"P{i}")
                for i, r in enumerate(rows)
            ],
            [_submission(i, r) for i, r in enumerate(rows)],
            [_footprint(i, r) for i, r in enumerate(rows)],
            [FootprintKey(footprint_id=r.id, kind=k, value=v) for r in rows for k, v in r.keys],
        ):
            session.add_all(made)
            session.flush()
    return rows


def _submission(i: int, row: Row) -> Submission:
    return Submission(
        id=f"s{i}",
        product_id=i,
        pcr_id=row.pcr,
        pcr_version="1",
        pcr_sha256="0",
        inventory=b"{}",
        inventory_name="i.json",
        inventory_sha256="0",
        result="{}",
        total=1.0,
        declared_unit="1 t",
        state="published",
        submitted_by="t",
    )


def _footprint(i: int, row: Row) -> Footprint:
    return Footprint(
        id=row.id,
        submission_id=f"s{i}",
        product_id=i,
        enterprise_id=row.enterprise,
        pcr_id=row.pcr,
        pcr_version="1",
        status=row.status,
        document=json.dumps({"id": row.id}),
        total=1.0,
        declared_unit="1 t",
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        published_by="t",
        published_at=row.published,
    )


def _matches(row: Row, chosen: queries.Filters, visible: set[int] | None) -> bool:
    """The filters' answer, worked out from the row as inserted."""
    for kind, wanted in chosen.values.items():
        if not {(kind, w.lower()) for w in wanted} & row.keys:
            return False
    on, after, before = chosen.valid_on, chosen.valid_after, chosen.valid_before
    return (
        (on is None or row.valid_from <= on <= row.valid_until)
        and (after is None or row.valid_from > after)
        and (before is None or row.valid_until < before)
        and chosen.status in (None, row.status)
        and chosen.pcr_id in (None, row.pcr)
        and chosen.enterprise in (None, f"Plant {row.enterprise}")
        and (visible is None or row.enterprise in visible)
    )


# Each criterion with a value or two; the test takes them one, two and three at a time.
CRITERIA: dict[str, dict[str, object]] = {
    "product": {"values": {"productId": ("urn:p:3",)}},
    "products": {"values": {"productId": ("URN:P:3", "urn:p:7", "urn:p:11")}},
    "company": {"values": {"companyId": ("urn:c:2",)}},
    "geographies": {"values": {"geography": ("CN-JS", "cn")}},
    "classification": {"values": {"classification": ("urn:pact:hs:7208",)}},
    "deprecated": {"status": "Deprecated"},
    "active": {"status": "Active"},
    "pcr": {"pcr_id": "steel"},
    "enterprise": {"enterprise": "Plant 3"},
    "valid_on": {"valid_on": START + timedelta(days=400)},
    "valid_after": {"valid_after": START + timedelta(days=300)},
    "valid_before": {"valid_before": START + timedelta(days=900)},
}


def _filters(names: tuple[str, ...]) -> queries.Filters:
    values: dict[str, tuple[str, ...]] = {}
    rest: dict[str, object] = {}
    for name in names:
        for key, value in CRITERIA[name].items():
            if key == "values":
                values.update(value)  # type: ignore[call-overload]
            else:
                rest[key] = value
    return queries.Filters(values=values, **rest)  # type: ignore[arg-type]


def _all_pages(
    session: Session, chosen: queries.Filters, visible: list[int] | None, limit: int = 7
) -> list[str]:
    ids: list[str] = []
    after = None
    while True:
        page = queries.footprint_page(session, chosen, limit, after, visible)
        assert len(page.footprints) <= limit
        ids += [d["id"] for d in page.footprints]
        if page.next_after is None:
            return ids
        assert page.next_after == ids[-1]
        after = page.next_after


COMBINATIONS = sorted(
    random.Random(3).sample(
        [c for k in (1, 2, 3) for c in itertools.combinations(sorted(CRITERIA), k)], 60
    )
)


@pytest.mark.parametrize(("probe", "walks"), [(1000, 16), (2, 1)])
def test_every_filtered_listing_answers_what_the_filters_say(
    catalogue_db: str, monkeypatch: pytest.MonkeyPatch, probe: int, walks: int
) -> None:
    # probe=2, walks=1: every criterion counts as dense and one of several values is tested,
    # not walked, so the other ways a page starts are taken too.
    monkeypatch.setattr(queries, "PROBE", probe)
    monkeypatch.setattr(queries, "MOST_WALKS", walks)
    with store.open_store(catalogue_db) as db:
        rows = _catalogue(db, 300)
        with db.reading() as session:
            for names in COMBINATIONS:
                for visible in (None, [1, 3, 5]):
                    chosen = _filters(names)
                    seen = None if visible is None else set(visible)
                    expected = sorted(r.id for r in rows if _matches(r, chosen, seen))
                    assert _all_pages(session, chosen, visible) == expected, (names, visible)
            # Sanity of the data: the criteria do select (neither nothing nor everything).
            sizes = {len([r for r in rows if _matches(r, _filters((n,)), None)]) for n in CRITERIA}
            assert 0 not in sizes and len(rows) not in sizes


@pytest.mark.parametrize("sorted_below", [10_000, 2])
def test_the_catalogues_own_lists_are_newest_first(
    catalogue_db: str, monkeypatch: pytest.MonkeyPatch, sorted_below: int
) -> None:
    # sorted_below=2: every criterion is too large to sort, so the lists walk the dates.
    monkeypatch.setattr(queries, "SORTED", sorted_below)
    own = ("pcr", "enterprise", "deprecated", "active")
    with store.open_store(catalogue_db) as db:
        rows = _catalogue(db, 300)
        with db.reading() as session:
            for names in [c for k in (0, 1, 2, 3) for c in itertools.combinations(own, k)]:
                chosen = _filters(names)
                matching = [r for r in rows if _matches(r, chosen, None)]
                expected = sorted(matching, key=lambda r: (r.published, r.id), reverse=True)
                listed = records.footprint_rows(session, chosen, 12)
                assert [r.id for r in listed] == [r.id for r in expected[:12]], names


def _made_at(given: str, revision: str) -> store.Store:
    """A catalogue whose schema stops at `revision`, as a Zuji of that time made it."""
    engine = store._engine(store.database_url(given))
    config = Config()
    config.set_main_option("script_location", str(store._MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    return store.Store(engine)


def _indexes(db: store.Store, table: str) -> set[str]:
    with db.engine.connect() as connection:
        return {str(ix["name"]) for ix in inspect(connection).get_indexes(table)}


def test_a_catalogue_made_at_0001_is_upgraded_and_lists_the_same(catalogue_db: str) -> None:
    old = _made_at(catalogue_db, "0001")
    with old:
        assert store.schema_revision(old.engine) == "0001"
        assert "ix_footprint_keys_lookup" in _indexes(old, "footprint_keys")
        rows = _catalogue(old, 120)
        chosen = _filters(("geographies", "active"))
        with old.reading() as session:
            before = _all_pages(session, chosen, None)
    with store.open_store(catalogue_db, create=False) as db:
        assert store.schema_revision(db.engine) == store.HEAD == "0006"
        assert _indexes(db, "footprint_keys") >= {"ix_footprint_keys_walk"}
        assert "ix_footprint_keys_lookup" not in _indexes(db, "footprint_keys")
        assert _indexes(db, "footprints") >= {
            "ix_footprints_pcr_walk",
            "ix_footprints_enterprise_walk",
            "ix_footprints_status_walk",
            "ix_footprints_published_walk",
        }
        with db.reading() as session:
            after = _all_pages(session, chosen, None)
    assert after == before == sorted(r.id for r in rows if _matches(r, chosen, None))
    assert len(before) > 7  # more than one page


def test_a_filtered_page_starts_from_an_index_on_sqlite(tmp_path: Path) -> None:
    """SQLite's plan of a filtered page reads the chosen criterion's index and never scans
    the footprints table (PostgreSQL plans by its statistics; the timings are the benchmark's)."""
    with store.open_store(str(tmp_path / "c.db")) as db:
        _catalogue(db, 200)
        cases = {
            ("company", "active"): "ix_footprint_keys_walk",
            ("product", "geographies", "valid_on"): "ix_footprint_keys_walk",
            ("pcr", "active"): "ix_footprints_pcr_walk",
            ("enterprise",): "ix_footprints_enterprise_walk",
            ("deprecated",): "ix_footprints_status_walk",
            # No criterion with an index: the footprints are walked by id, each tested.
            (
                "valid_on",
                "valid_before",
            ): "walked USING COVERING INDEX sqlite_autoindex_footprints_1",
        }
        with db.reading() as session:
            for names, index in cases.items():
                query = queries.page_query(session, _filters(names), 10, "4")
                assert query is not None
                compiled = query.compile(db.engine, compile_kwargs={"literal_binds": True})
                plan = " | ".join(
                    str(row[-1]) for row in session.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))
                )
                assert index in plan, (names, plan)
                assert not re.search(r"SCAN (footprints|walked|footprint_keys)\b", plan), plan
