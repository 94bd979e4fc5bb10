"""Shared fixtures: the bundled library's cement PCR and a minimal valid cement inventory."""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator
from typing import Any

import pytest

import zuji


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--regen-golden",
        action="store_true",
        help="rewrite the golden files (tests/diagnostics/*.expected, tests/golden/) from what "
        "the engine prints now; review their diff with the change",
    )


def pytest_configure(config: pytest.Config) -> None:
    # The goldens are English; a tester's Chinese locale must not change them. Tests of the
    # language choice give each child process its own environment.
    os.environ["ZUJI_LANG"] = "en"
    # The golden tests read ZUJI_REGEN_GOLDEN when they are collected, after this hook.
    if config.getoption("--regen-golden"):
        os.environ["ZUJI_REGEN_GOLDEN"] = "1"


# A small plant, figures chosen for easy hand arithmetic; see test_engine.py for the sums.
CEMENT_INVENTORY: dict[str, Any] = {
    "pcr": "cement",
    "company": "Test plant",
    "reference_period": {"start": "2022-01-01", "end": "2022-12-31"},
    "inputs": {
        "cement": "1000 t",
        "clinker_produced": "800 t",
        "clinker_used": "800 t",
        "cao": "65 %",
        "mgo": "1.5 %",
        "kiln_fuels": [{"fuel": "raw_coal", "amount": "100 t"}],
        "kiln_electricity": "40 MWh",
        "grinding_electricity": "30 MWh",
        "limestone": "1000 t",
        "gypsum": "50 t",
        "slag": "150 t",
        "deliveries": [{"mass": "100 t", "distance": "100 km", "mode": "rail"}],
    },
}


@pytest.fixture(scope="session")
def cement() -> zuji.PCR:
    return zuji.load("cement")


@pytest.fixture
def inventory() -> dict[str, Any]:
    return copy.deepcopy(CEMENT_INVENTORY)


@pytest.fixture(autouse=True)
def _bundled_library_after_each_test() -> Iterator[None]:
    """A test that runs the command line in a committee's folder makes that library active (and
    names it in ZUJI_LIBRARY for worker processes); the next test starts from the bundled one."""
    yield
    from zuji.core import library

    library.use(None)
    os.environ.pop(library.ENVIRONMENT, None)


# ----------------------------------------------------------------------------- the catalogue


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A private PostgreSQL cluster on 127.0.0.1, started once for the run and stopped after
    (tests/postgres_cluster.py); the URL of its maintenance database."""
    from postgres_cluster import cluster

    with cluster() as url:
        yield url


_databases = iter(range(10**9))


@pytest.fixture(params=["sqlite", "postgresql"])
def catalogue_db(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    """A new, empty catalogue database: a SQLite file, then a PostgreSQL database; each
    catalogue test runs against both."""
    if request.param == "sqlite":
        return str(tmp_path / "catalogue.db")
    from postgres_cluster import fresh_database

    server: str = request.getfixturevalue("postgres_server")
    return fresh_database(server, f"catalogue_{next(_databases)}")
