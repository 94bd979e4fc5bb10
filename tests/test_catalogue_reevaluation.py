"""Re-evaluation on SQLite and PostgreSQL: a rule change re-runs the published footprints it
affects with the batch engine; those that move are listed with the lines that moved them and,
on approval, superseded by new versions; the others are left untouched."""

from __future__ import annotations

import json

import pytest
from catalogue_kit import STAFF, committee_with, publish_case
from sqlalchemy import func, select

from zuji.catalogue import reevaluate, reevaluation_publish, store
from zuji.catalogue.tables import Footprint, Notice, NoticeRecipient, Reevaluation, Submission
from zuji.core import library
from zuji.core.errors import CatalogueError

# The rule change: cement kiln bypass dust counted twice over. Of the three worked cases filed,
# only alternative_fuels_and_dust reports bypass dust; its case file computes the line by hand:
#   bypass_dust_co2 = 6 000 t x 0.52663 t CO2/t = 3 159.78 t CO2 -> 3.15978 kg CO2e/t cement
# so doubling it moves that footprint by +3.15978 kg CO2e/t and the line from 3.15978 to 6.31956.
OLD = "bypass_dust * calcination_factor else"
NEW = "bypass_dust * calcination_factor * 2 else"
BYPASS_LINE = 3.15978


@pytest.fixture
def filed(catalogue_db: str) -> dict[str, str]:
    with store.open_store(catalogue_db) as db:
        return {
            "dust": publish_case(db, "cement", "alternative_fuels_and_dust", "CN-SD"),
            "default": publish_case(db, "cement", "default_calcination", "CN-SD"),
            "efficient": publish_case(db, "cement", "efficient_plant", "CN-JS"),
            "aluminium": publish_case(db, "aluminium", "typical_captive_coal", "CN-SD"),
        }


def _documents(db: store.Store) -> dict[str, tuple[str, str]]:
    with db.reading() as session:
        return {f.id: (f.status, f.document) for f in session.scalars(select(Footprint))}


def test_a_rule_change_supersedes_what_moved_and_leaves_the_rest(
    catalogue_db: str, filed: dict[str, str], tmp_path: object
) -> None:
    from pathlib import Path

    library.use(committee_with(Path(str(tmp_path)), "cement", OLD, NEW, "1.3.0"))
    with store.open_store(catalogue_db) as db:
        before = _documents(db)
        started = reevaluate.start(db, STAFF, pcr_id="cement")
        assert started is not None and started.items == 3 and started.pcrs == ("cement",)
        summary = reevaluate.run(db, started.run_id, chunk=2)
        assert summary.counts == {"moved": 1, "same": 2}
        [item] = reevaluation_publish.moved(db, started.run_id)
        assert item.footprint_id == filed["dust"]
        assert item.change == pytest.approx(BYPASS_LINE, abs=1e-9)
        assert item.percent == pytest.approx(100 * BYPASS_LINE / item.before)
        [line] = item.lines
        assert (line.stage, line.line) == ("clinker_production", "bypass_dust_co2")
        assert (line.before, line.after) == (
            pytest.approx(BYPASS_LINE),
            pytest.approx(2 * BYPASS_LINE),
        )
        assert _documents(db) == before  # nothing published before approval

        done = reevaluation_publish.approve(db, started.run_id, STAFF)
        [new_id] = done.published
        after = _documents(db)
        with db.reading() as session:
            old, new = session.get(Footprint, filed["dust"]), session.get(Footprint, new_id)
            assert old is not None and new is not None
            assert (old.status, old.superseded_by, new.status) == ("Deprecated", new_id, "Active")
            assert old.document == before[filed["dust"]][1]  # immutable
            assert json.loads(new.document)["precedingPfIds"] == [filed["dust"]]
            assert new.pcr_version == "1.3.0"
            assert new.total == pytest.approx(item.before + BYPASS_LINE, abs=1e-9)
            resubmitted = session.get(Submission, new.submission_id)
            assert resubmitted is not None and resubmitted.reevaluation_id == started.run_id
            run = session.get(Reevaluation, started.run_id)
            assert run is not None and run.state == "approved"
            notified = session.scalars(
                select(NoticeRecipient.enterprise_id).where(
                    NoticeRecipient.notice_id == done.notice_id
                )
            ).all()
            assert notified == [old.enterprise_id]
            assert session.scalar(select(func.count()).select_from(Notice)) == 1
        for key in ("default", "efficient", "aluminium"):
            assert after[filed[key]] == before[filed[key]]  # untouched
        with pytest.raises(CatalogueError) as again:
            reevaluation_publish.approve(db, started.run_id, STAFF)
        assert again.value.code == "E962"


def test_a_dataset_change_reaches_the_pcrs_that_read_it(
    catalogue_db: str, filed: dict[str, str]
) -> None:
    with store.open_store(catalogue_db) as db:
        started = reevaluate.start(db, STAFF, dataset_id="cement_process")
        assert started is not None and started.pcrs == ("cement",) and started.items == 3
        summary = reevaluate.run(db, started.run_id)
        assert summary.counts == {"same": 3}  # the library did not change: nothing moved
        reevaluation_publish.reject(db, started.run_id, STAFF, "nothing moved")
        assert reevaluate.summary(db, started.run_id).state == "rejected"
        assert reevaluate.start(db, STAFF, dataset_id="no_such_dataset") is None


def test_a_run_under_another_library_is_refused(
    catalogue_db: str, filed: dict[str, str], tmp_path: object
) -> None:
    from pathlib import Path

    with store.open_store(catalogue_db) as db:
        started = reevaluate.start(db, STAFF, pcr_id="cement")
        assert started is not None
        library.use(committee_with(Path(str(tmp_path)), "cement", OLD, NEW, "1.3.0"))
        with pytest.raises(CatalogueError) as refused:
            reevaluate.run(db, started.run_id)
        assert refused.value.code == "E963"
        with pytest.raises(CatalogueError) as nothing:
            reevaluate.start(db, STAFF)
        assert nothing.value.code == "E960"


def test_an_approval_stopped_by_a_library_change_publishes_nothing_and_can_be_rejected(
    catalogue_db: str, filed: dict[str, str], tmp_path: object
) -> None:
    from pathlib import Path

    library.use(committee_with(Path(str(tmp_path)), "cement", OLD, NEW, "1.3.0"))
    with store.open_store(catalogue_db) as db:
        started = reevaluate.start(db, STAFF, pcr_id="cement")
        assert started is not None
        assert reevaluate.run(db, started.run_id).counts == {"moved": 1, "same": 2}
        before = _documents(db)
        library.use(None)  # the bundled cement again: not the rule the run computed with
        with pytest.raises(CatalogueError) as refused:
            reevaluation_publish.approve(db, started.run_id, STAFF)
        assert refused.value.code == "E963"
        assert _documents(db) == before
        reevaluation_publish.reject(db, started.run_id, STAFF, "the library changed")
        assert reevaluate.summary(db, started.run_id).state == "rejected"
