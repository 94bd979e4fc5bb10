"""The public platform's search, on SQLite and on PostgreSQL: Chinese words find the products
whose names hold them and no others, the filters (company, HS code, region, grade, validity)
answer what they say, every page of a search read with the keyset equals the answer worked out
here in Python, and a catalogue made at migration 0002 gets its footprints' words when opened."""

from __future__ import annotations

import json
import random
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import select
from sqlalchemy.orm import Session
from web_kit import CEMENT_CO, STAFF, _named, seed

import zuji
from zuji.catalogue import search, store, workflow
from zuji.catalogue.tables import (
    Enterprise,
    Footprint,
    Grade,
    Product,
    SearchTerm,
    Submission,
)

# A moment at which every seeded footprint is in force (their reference periods end in 2022 and
# 2023, and they are valid for three years after: PACT's default, workflow.validity).
IN_FORCE = datetime(2025, 6, 1, tzinfo=UTC)
# After the 2022 footprints' validity ended (2026-01-01), before the 2023 one's (2027-01-01).
LATER = datetime(2026, 6, 1, tzinfo=UTC)
CHLOR_ALKALI = "Example Chlor-Alkali Co. (invented example company)"
LYE = "离子膜烧碱 液碱 32%"


def _seeded(db: str, keys: Path) -> dict[str, str]:
    """web_kit's catalogue and a caustic soda footprint of another enterprise in CN-JS, with
    the HS code of sodium hydroxide in aqueous solution (HS 2022 subheading 2815.12)."""
    _, footprints = seed(db, keys)
    raw = _named("caustic_soda", "typical_membrane_plant", CHLOR_ALKALI, LYE, "06901234500042")
    with store.open_store(db) as opened:
        made = workflow.submit(
            opened,
            zuji.load("caustic_soda"),
            raw,
            "typical_membrane_plant.yaml",
            STAFF,
            hs_code="2815.12",
            region="CN-JS",
        )
        workflow.verify(opened, made.submission_id, STAFF, accept=True)
        footprints[LYE] = workflow.publish(opened, made.submission_id, STAFF)
    return footprints


@pytest.fixture
def seeded(catalogue_db: str, tmp_path: Path) -> tuple[str, dict[str, str]]:
    return catalogue_db, _seeded(catalogue_db, tmp_path / "keys")


def _all(session: Session, query: search.Query, limit: int = 50) -> list[str]:
    ids: list[str] = []
    after = None
    while True:
        found = search.search(session, query, limit, after)
        assert len(found.ids) <= limit
        ids += found.ids
        if found.next_after is None:
            return ids
        assert found.next_after == ids[-1]
        after = found.next_after


def test_a_products_words_are_cut_lower_cased_and_without_punctuation() -> None:
    assert search.words("普通硅酸盐水泥 P·O 42.5") == [
        "普通",
        "硅酸",
        "酸盐",
        "硅酸盐",
        "水泥",
        "p",
        "o",
        "42.5",
    ]
    assert search.words("粗钢及热轧钢材（出厂）") == ["粗钢", "热轧", "钢材", "出厂"]
    assert search.words("，。 ·") == []
    assert all(len(w) <= search.MOST_CHARS for w in search.words("x" * 300))
    found = search.terms(
        "热轧卷板 Q235B",
        ("Steel Co.", None),
        "steel",
        "7208.51",
        "CN-SD",
        [
            "urn:gtin:06901234500028",
            "urn:uuid:0f6c",
        ],
    )
    assert {"热轧", "q235b", "steel", "co", "粗钢", "钢材", "7208.51", "7208", "cn-sd"} <= found
    assert {"06901234500028", "crude", "hot", "rolled"} <= found
    assert "urn:uuid:0f6c" not in found


def test_chinese_words_find_their_products_and_no_others(
    seeded: tuple[str, dict[str, str]],
) -> None:
    db, footprints = seeded
    cement = {footprints["普通硅酸盐水泥 P·O 42.5"], footprints["低碳硅酸盐水泥 P·O 52.5"]}
    with store.open_store(db) as opened, opened.reading() as session:
        assert set(_all(session, search.Query("水泥", at=IN_FORCE))) == cement
        assert footprints[LYE] not in _all(session, search.Query("水泥", at=IN_FORCE))
        assert _all(session, search.Query("热轧", at=IN_FORCE)) == [footprints["热轧卷板 Q235B"]]
        assert _all(session, search.Query("烧碱", at=IN_FORCE)) == [footprints[LYE]]
        both = _all(session, search.Query("低碳 水泥", at=IN_FORCE))
        assert both == [footprints["低碳硅酸盐水泥 P·O 52.5"]]
        # The category's names find a product whose own name lacks the word (粗钢: the PCR's).
        assert _all(session, search.Query("粗钢", at=IN_FORCE)) == [footprints["热轧卷板 Q235B"]]
        assert _all(session, search.Query("06901234500042", at=IN_FORCE)) == [footprints[LYE]]
        assert _all(session, search.Query("水泥 烧碱", at=IN_FORCE)) == []
        assert _all(session, search.Query("不存在的产品", at=IN_FORCE)) == []
        # No words: the filters alone list.
        assert len(_all(session, search.Query("", at=IN_FORCE))) == 4


def test_the_filters_answer_what_they_say(seeded: tuple[str, dict[str, str]]) -> None:
    db, footprints = seeded
    with store.open_store(db) as opened, opened.reading() as session:
        cement_co = session.scalar(select(Enterprise.id).where(Enterprise.name == CEMENT_CO))
        everyone = set(footprints.values())

        def found(**given: object) -> set[str]:
            return set(_all(session, search.Query(at=IN_FORCE, **given)))  # type: ignore[arg-type]

        assert found(enterprise_id=cement_co) == {
            footprints["普通硅酸盐水泥 P·O 42.5"],
            footprints["低碳硅酸盐水泥 P·O 52.5"],
        }
        assert found(pcr_id="steel") == {footprints["热轧卷板 Q235B"]}
        assert found(hs_prefix="2815") == found(hs_prefix="2815.12") == {footprints[LYE]}
        assert found(hs_prefix="2523") == set()
        assert found(region="cn-js") == {footprints[LYE]}
        assert found(region="CN-SD") == everyone - {footprints[LYE]}
        for grade in ("advanced", "none", "default"):
            graded = set(session.scalars(select(Grade.footprint_id).where(Grade.grade == grade)))
            assert found(grade=grade) == graded, grade
        assert found(grade="none")  # the steel is above its benchmark's levels
        # Validity: on LATER only the 2023 footprint is in force; `everything` finds them all.
        later = set(_all(session, search.Query(at=LATER)))
        assert later == {footprints["低碳硅酸盐水泥 P·O 52.5"]}
        assert set(_all(session, search.Query(at=LATER, everything=True))) == everyone


def test_a_deprecated_footprint_is_hidden_unless_asked_for(
    seeded: tuple[str, dict[str, str]],
) -> None:
    db, footprints = seeded
    steel = footprints["热轧卷板 Q235B"]
    with store.open_store(db) as opened:
        workflow.deprecate(opened, steel, STAFF, "withdrawn by the enterprise (test)")
        with opened.reading() as session:
            assert _all(session, search.Query("热轧", at=IN_FORCE)) == []
            shown = _all(session, search.Query("热轧", at=IN_FORCE, everything=True))
            assert shown == [steel]


# ----------------------------------------------------------------------------- every page

VOCABULARY = ("水泥", "熟料", "钢材", "热轧", "烧碱", "甲醇", "轮胎", "铝锭", "低碳", "普通")
START = datetime(2024, 1, 1, tzinfo=UTC)


def _many(opened: store.Store, n: int) -> dict[str, tuple[set[str], str, int, bool]]:
    """N footprints named by one to three words of VOCABULARY, of 3 enterprises and 2 PCRs,
    a fifth Deprecated, their validity spread over 2024–2026: each id's words, PCR,
    enterprise, and whether it is in force at IN_FORCE."""
    rng = random.Random(17)
    made: dict[str, tuple[set[str], str, int, bool]] = {}
    with opened.transaction() as session:
        session.add_all(Enterprise(id=e, name=f"Works {e}", region="CN-SD") for e in (1, 2, 3))
        session.flush()
        for i in range(n):
            name = "".join(rng.sample(VOCABULARY, rng.randint(1, 3))) + f" {i}"
            row_id = str(uuid.UUID(int=rng.getrandbits(128)))
            pcr = rng.choice(("cement", "steel"))
            enterprise = rng.randint(1, 3)
            until = START + timedelta(days=rng.randint(100, 1000))
            active = rng.random() >= 0.2
            _insert(session, i, row_id, name, pcr, enterprise, until, active)
            terms = search.terms(name, (f"Works {enterprise}",), pcr, None, "CN-SD", ())
            session.add_all(SearchTerm(term=t, footprint_id=row_id, pcr_id=pcr) for t in terms)
            made[row_id] = (terms, pcr, enterprise, active and until >= IN_FORCE)
    return made


def _insert(
    session: Session,
    i: int,
    row_id: str,
    name: str,
    pcr: str,
    enterprise: int,
    until: datetime,
    active: bool,
) -> None:
    session.add(Product(id=i + 1, enterprise_id=enterprise, pcr_id=pcr, name=name))
    session.flush()
    session.add(
        Submission(
            id=f"s{i}",
            product_id=i + 1,
            pcr_id=pcr,
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
    )
    session.flush()
    session.add(
        Footprint(
            id=row_id,
            submission_id=f"s{i}",
            product_id=i + 1,
            enterprise_id=enterprise,
            pcr_id=pcr,
            pcr_version="1",
            status="Active" if active else "Deprecated",
            document=json.dumps({"id": row_id}),
            total=1.0,
            declared_unit="1 t",
            valid_from=START,
            valid_until=until,
            published_by="t",
        )
    )
    session.flush()


@pytest.mark.parametrize("probe", [1000, 2])
def test_every_page_of_a_search_equals_the_answer_worked_out_here(
    catalogue_db: str, probe: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search, "PROBE", probe)  # a bound of 2 makes the walk start anywhere
    with store.open_store(catalogue_db) as opened:
        made = _many(opened, 150)
        queries = [
            ("水泥", None, None, False),
            ("低碳 水泥", None, None, False),
            ("热轧 钢材", "steel", None, False),
            ("甲醇", None, 2, True),
            ("works", "cement", None, False),
            ("", None, 3, False),
            ("", None, None, True),
        ]
        with opened.reading() as session:
            for text, pcr, enterprise, everything in queries:
                asked = search.Query(text, pcr, enterprise, everything=everything, at=IN_FORCE)
                wanted = set(search.words(text))
                expected = sorted(
                    row_id
                    for row_id, (terms, row_pcr, row_enterprise, in_force) in made.items()
                    if wanted <= terms
                    and pcr in (None, row_pcr)
                    and enterprise in (None, row_enterprise)
                    and (everything or in_force)
                )
                for limit in (1, 7, 500):
                    assert _all(session, asked, limit) == expected, (text, limit)
                assert len(expected) > 1, text  # each query has something to page through


# ----------------------------------------------------------------------------- the backfill


def _made_at(given: str, revision: str) -> store.Store:
    """A catalogue whose schema stops at `revision`, as a Zuji of that time made it."""
    engine = store._engine(store.database_url(given))
    config = Config()
    config.set_main_option("script_location", str(store._MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    return store.Store(engine)


def test_a_catalogue_made_at_0002_gets_its_footprints_words(catalogue_db: str) -> None:
    old = _made_at(catalogue_db, "0002")
    with old, old.transaction() as session:
        session.add(Enterprise(id=1, name="Works 1", name_zh="示例水泥厂", region="CN-SD"))
        session.flush()
        for i in range(45):
            name = ["普通硅酸盐水泥", "热轧卷板", "离子膜烧碱"][i % 3] + f" {i}"
            _insert(session, i, f"f{i:03}", name, "cement", 1, START, True)
        session.get(Product, 3).hs_code = "2523.29"  # type: ignore[union-attr]
        session.get(Product, 3).product_ids = ["urn:gtin:06901234500011"]  # type: ignore[union-attr]
    with store.open_store(catalogue_db, create=False) as db:
        assert store.schema_revision(db.engine) == store.HEAD
        with db.reading() as session:
            stored: dict[str, set[str]] = {}
            for term, footprint_id in session.execute(
                select(SearchTerm.term, SearchTerm.footprint_id)
            ):
                stored.setdefault(footprint_id, set()).add(term)
            assert len(stored) == 45
            for footprint in session.scalars(select(Footprint)):
                product = session.get(Product, footprint.product_id)
                assert product is not None
                expected = search.terms(
                    product.name,
                    ("Works 1", "示例水泥厂"),
                    "cement",
                    product.hs_code,
                    "CN-SD",
                    product.product_ids,
                )
                assert stored[footprint.id] == expected
            assert {"2523.29", "2523", "06901234500011", "水泥"} <= stored["f002"]
            found = _all(session, search.Query("烧碱", at=START))
            assert found == [f"f{i:03}" for i in range(2, 45, 3)]
            # 0004 gave each word row its footprint's PCR: the walk within a category finds
            # them there, and nowhere else.
            assert _all(session, search.Query("烧碱", pcr_id="cement", at=START)) == found
            assert _all(session, search.Query("烧碱", pcr_id="steel", at=START)) == []


def test_a_count_held_from_before_a_publication_never_hides_what_it_published(
    catalogue_db: str,
) -> None:
    """The counts that choose where a walk starts are held for minutes: a word counted rare,
    then published many times over, is walked from a stale count, and still found in full."""
    with store.open_store(catalogue_db) as opened:
        made = _many(opened, 40)
        query = search.Query("甲醇 水泥", at=IN_FORCE, everything=True)
        with opened.reading() as session:
            before = _all(session, query)
        with opened.transaction() as session:
            for i in range(40, 100):
                row_id = f"z{i:03}"
                _insert(session, i, row_id, f"甲醇水泥 {i}", "cement", 1, START, True)
                terms = search.terms(f"甲醇水泥 {i}", ("Works 1",), "cement", None, "CN-SD", ())
                session.add_all(
                    SearchTerm(term=t, footprint_id=row_id, pcr_id="cement") for t in terms
                )
        with opened.reading() as session:
            after = _all(session, query)
    wanted = {"甲醇", "水泥"}
    assert before == sorted(i for i, (terms, *_) in made.items() if wanted <= terms)
    assert after == sorted([*before, *(f"z{i:03}" for i in range(40, 100))])
