"""The catalogue's scale benchmark runs end to end on a small catalogue, on SQLite and on
PostgreSQL: it seeds, lists, pages and re-evaluates, and every re-evaluated footprint comes out
unchanged (the stored totals are those the engine computes from the stored inventories)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import catalogue_scale


@pytest.mark.slow
def test_the_scale_benchmark_runs_on_both_databases() -> None:
    n = 600
    rows = catalogue_scale.rows(n)
    whats = [row.what for row in rows]
    for kind in ("sqlite", "postgresql"):
        assert f"{kind}: seed {n:,} footprints" in whats
        assert any(w.startswith(f"{kind}: deep page (90 %)") for w in whats)
        [again] = [w for w in whats if w.startswith(f"{kind}: re-evaluation of ")]
        # Every footprint of the PCRs reading the dataset was re-run and none moved.
        assert "'same'" in again and "'moved'" not in again and "'failed'" not in again
    assert all(row.ratio.endswith("x") for row in rows if row.target)
