"""A re-evaluation killed mid-run (SIGKILL, no chance to clean up) leaves nothing half-written:
every item is pending or complete, nothing is published, and the next run completes it with the
figures an uninterrupted run gives."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from catalogue_kit import ROOT, case, publish, renamed
from sqlalchemy import func, select

import zuji
from zuji.catalogue import reevaluate, store
from zuji.catalogue.tables import Footprint, Reevaluation, ReevaluationItem, Submission

FOOTPRINTS = 30


def _zuji(*args: str) -> subprocess.Popen[bytes]:
    environment = {**os.environ, "PYTHONPATH": str(ROOT / "engine"), "ZUJI_LANG": "en"}
    return subprocess.Popen(
        [sys.executable, "-m", "zuji", "catalogue", *args],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _states(db: store.Store) -> dict[str, int]:
    with db.reading() as session:
        query = select(ReevaluationItem.state, func.count()).group_by(ReevaluationItem.state)
        return {state: int(n) for state, n in session.execute(query).all()}


@pytest.mark.slow
def test_a_killed_run_leaves_nothing_half_written_and_the_next_completes_it(
    catalogue_db: str,
) -> None:
    cement = zuji.load("cement")
    source = case("cement", "efficient_plant")
    with store.open_store(catalogue_db) as db:
        for k in range(FOOTPRINTS):
            raw = renamed(source, f"Plant {k:02d}", "P·O 42.5 cement")
            publish(db, cement, raw, source.name)
        with db.reading() as session:
            submissions = session.scalar(select(func.count()).select_from(Submission))
        # One footprint per transaction, so the process is killed between two of them.
        process = _zuji("reevaluate", "--pcr", "cement", "--chunk", "1", "--db", catalogue_db)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None:
            if sum(n for s, n in _states(db).items() if s != "pending") >= 3:
                break
            time.sleep(0.01)
        process.send_signal(signal.SIGKILL)
        _, said = process.communicate(timeout=30)
        assert process.returncode == -signal.SIGKILL, said.decode()

        states = _states(db)
        assert sum(states.values()) == FOOTPRINTS
        assert 3 <= FOOTPRINTS - states.get("pending", 0) < FOOTPRINTS, states
        with db.reading() as session:
            [run] = session.scalars(select(Reevaluation)).all()
            assert run.state == "running"
            for item in session.scalars(select(ReevaluationItem)):
                if item.state == "pending":
                    assert item.after is None and item.detail == {}
                else:  # complete: its figure and its change, written together
                    assert item.state == "same" and item.after == pytest.approx(item.before)
                    assert set(item.detail) == {"change", "percent"}
            assert session.scalar(select(func.count()).select_from(Submission)) == submissions
            active = select(func.count()).where(Footprint.status == "Active")
            assert session.scalar(active) == FOOTPRINTS

        again = _zuji("reevaluate", "--resume", "--db", catalogue_db)
        out, err = again.communicate(timeout=300)
        assert again.returncode == 0, err.decode()
        assert f"resumed {run.id}" in err.decode()
        assert f"run {run.id} (computed): 0 moved, {FOOTPRINTS} unchanged" in out.decode()
        assert _states(db) == {"same": FOOTPRINTS}
        assert reevaluate.summary(db, run.id).state == "computed"
