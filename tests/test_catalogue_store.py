"""The catalogue's store and workflow, on SQLite and on PostgreSQL: submit → verify → publish,
immutability of published footprints, the audit log, and nothing stored half-way."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import func, select

import zuji
from zuji.catalogue import queries, store, workflow
from zuji.catalogue.tables import AuditEntry, Footprint, Submission
from zuji.core.errors import CatalogueError, InventoryError, UsageError

CASE = Path(__file__).parents[1] / "pcr" / "cement" / "cases" / "typical_plant.yaml"
STAFF = workflow.programme_staff("staff")


@pytest.fixture(scope="module")
def cement() -> zuji.PCR:
    return zuji.load("cement")


def _published(db: store.Store, cement: zuji.PCR) -> tuple[str, str]:
    sub = workflow.submit(db, cement, CASE.read_bytes(), CASE.name, STAFF, hs_code="2523.29")
    workflow.verify(db, sub.submission_id, STAFF, accept=True)
    return sub.submission_id, workflow.publish(db, sub.submission_id, STAFF)


def test_head_is_the_newest_migration() -> None:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(store._MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_current_head() == store.HEAD


def test_the_workflow_files_a_footprint(catalogue_db: str, cement: zuji.PCR) -> None:
    with store.open_store(catalogue_db) as db:
        submission_id, footprint_id = _published(db, cement)
        with db.reading() as session:
            submission = session.get(Submission, submission_id)
            assert submission is not None and submission.state == "published"
            # The inventory is kept byte for byte, and the result pins those bytes.
            assert submission.inventory == CASE.read_bytes()
            result = json.loads(submission.result)
            assert result["provenance"]["inventory"]["sha256"] == submission.inventory_sha256
            page = queries.footprint_page(session, queries.Filters(), limit=10)
        assert [d["id"] for d in page.footprints] == [footprint_id]
        document = page.footprints[0]
        assert document["status"] == "Active"
        # typical_plant.yaml's expected total (its case file computes it by hand) is what the
        # PACT document carries per declared unit, in kg CO2e per tonne.
        expected = json.loads(json.dumps(zuji.load("cement").evaluate(CASE).total))
        assert float(document["pcf"]["pcfExcludingBiogenicUptake"]) == pytest.approx(expected)


def test_a_new_version_supersedes_and_leaves_the_old_unchanged(
    catalogue_db: str, cement: zuji.PCR
) -> None:
    with store.open_store(catalogue_db) as db:
        _, first = _published(db, cement)
        with db.reading() as session:
            before = session.get(Footprint, first)
            assert before is not None
            stored = before.document
        _, second = _published(db, cement)
        with db.reading() as session:
            old, new = session.get(Footprint, first), session.get(Footprint, second)
            assert old is not None and new is not None
            assert (old.status, new.status) == ("Deprecated", "Active")
            assert old.document == stored  # immutable: only the status moves
            assert old.superseded_by == second
            assert json.loads(new.document)["precedingPfIds"] == [first]
            active = queries.footprint_page(session, queries.Filters(status="Active"), 10)
        assert [d["id"] for d in active.footprints] == [second]


def test_steps_out_of_order_are_refused_and_store_nothing(
    catalogue_db: str, cement: zuji.PCR
) -> None:
    with store.open_store(catalogue_db) as db:
        sub = workflow.submit(db, cement, CASE.read_bytes(), CASE.name, STAFF)
        with pytest.raises(CatalogueError) as refused:
            workflow.publish(db, sub.submission_id, STAFF)  # not yet verified
        assert refused.value.code == "E948" and refused.value.status == 409
        workflow.verify(db, sub.submission_id, STAFF, accept=False, comments="kiln fuels missing")
        with pytest.raises(CatalogueError) as again:
            workflow.verify(db, sub.submission_id, STAFF, accept=True)
        assert again.value.code == "E948"
        with db.reading() as session:
            assert session.scalar(select(func.count()).select_from(Footprint)) == 0
            actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
        assert actions == ["register", "submit", "return"]


def test_roles_are_checked(catalogue_db: str, cement: zuji.PCR) -> None:
    with store.open_store(catalogue_db) as db:
        verifier = workflow.Actor("v1", frozenset({"verifier"}))
        with pytest.raises(CatalogueError) as refused:
            workflow.submit(db, cement, CASE.read_bytes(), CASE.name, verifier)
        assert refused.value.code == "E945" and refused.value.status == 403
        enterprise = workflow.Actor("e1", frozenset({"enterprise"}))
        sub = workflow.submit(db, cement, CASE.read_bytes(), CASE.name, enterprise)
        with pytest.raises(CatalogueError):
            workflow.verify(db, sub.submission_id, enterprise, accept=True)
        workflow.verify(db, sub.submission_id, verifier, accept=True)
        with pytest.raises(CatalogueError):
            workflow.publish(db, sub.submission_id, verifier)


def test_a_bad_inventory_stores_nothing(catalogue_db: str, cement: zuji.PCR) -> None:
    with store.open_store(catalogue_db) as db:
        text = CASE.read_text(encoding="utf-8").replace("clinker_produced", "clinker_prodused", 1)
        with pytest.raises(InventoryError) as refused:
            workflow.submit(db, cement, text.encode(), "bad.yaml", STAFF)
        assert refused.value.diagnostics[0].span is not None  # positioned in the file
        with db.reading() as session:
            assert session.scalar(select(func.count()).select_from(Submission)) == 0
            assert session.scalar(select(func.count()).select_from(AuditEntry)) == 0


def test_a_database_url_it_cannot_use_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as refused:
        store.open_store("mysql://root:secret@localhost/x")
    assert refused.value.code == "E940"
    assert "secret" not in str(refused.value)
    with pytest.raises(UsageError) as missing:
        store.open_store(str(tmp_path / "none.db"), create=False)
    assert missing.value.code == "E941"
