"""The programme's category baselines and the barcode lookup behind the carbon-inclusion API,
on SQLite and PostgreSQL: baselines set, refused (nothing stored, nothing audited), in force by
day, listed; GTINs checked by GS1's check digit; a footprint found by its GTIN however its
enterprise padded it, and the reasons one is not given."""

from __future__ import annotations

import json
import math
import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from cli_kit import zuji
from inclusion_kit import (
    DEPRECATED_GTIN,
    FRESH_GTIN,
    TYPICAL_TOTAL,
    UNKNOWN_GTIN,
    inventory,
    last_year_end,
    publish,
)
from sqlalchemy import func, select, text
from web_kit import SEEDED, STAFF, seed

from zuji.catalogue import baselines, store, workflow
from zuji.catalogue.inclusion import (
    ProductAnswer,
    Unanswered,
    checked_basket,
    checked_gtin,
    gtin_query,
    key_values,
    lookup,
)
from zuji.catalogue.opendata import stamp_query
from zuji.catalogue.tables import AuditEntry, Baseline
from zuji.core.errors import CatalogueError

# The baselines the tests set, kg CO2e per t cement: 750 is the upper end of the plausibility
# band typical_plant.yaml cites for Chinese P·O 42.5 cement (its published_range, 600–750, from
# the domain fact sheet §4.4); 700 a lower one set later, to see which is in force when.
BASELINE = 750.0
LATER = 700.0
SOURCE = "typical_plant.yaml published_range high (facts.md §4.4), for the tests"


def _counts(db: str) -> tuple[int, int]:
    with store.open_store(db) as opened, opened.reading() as session:
        rows = session.scalar(select(func.count()).select_from(Baseline))
        entries = session.scalar(select(func.count()).select_from(AuditEntry))
    return int(rows or 0), int(entries or 0)


@pytest.mark.parametrize(
    ("pcr", "value", "source", "unit", "code"),
    [
        ("cement", 0.0, SOURCE, None, "E985"),
        ("cement", -5.0, SOURCE, None, "E985"),
        ("cement", math.nan, SOURCE, None, "E985"),
        ("cement", math.inf, SOURCE, None, "E985"),
        ("cement", BASELINE, "   ", None, "E985"),
        ("no_such_pcr", BASELINE, SOURCE, None, "E986"),
        ("cement", BASELINE, SOURCE, "1 kg", "E986"),
    ],
)
def test_a_baseline_that_cannot_be_used_is_refused_and_nothing_is_stored(
    catalogue_db: str, pcr: str, value: float, source: str, unit: str | None, code: str
) -> None:
    before = _counts(catalogue_db)
    with store.open_store(catalogue_db) as opened, pytest.raises(CatalogueError) as raised:
        baselines.set_baseline(opened, pcr, value, source, "programme", declared_unit=unit)
    assert raised.value.diagnostics[0].code == code
    assert _counts(catalogue_db) == before


def test_the_baseline_in_force_is_the_latest_set_from_on_or_before_the_day(
    catalogue_db: str,
) -> None:
    with store.open_store(catalogue_db) as opened:
        first = baselines.set_baseline(
            opened, "cement", BASELINE, SOURCE, "programme", date(2025, 1, 1), "1  T"
        )
        baselines.set_baseline(opened, "cement", LATER, SOURCE, "programme", date(2026, 7, 1))
        baselines.set_baseline(opened, "steel", 2000.0, SOURCE, "programme", date(2026, 1, 1))
        with opened.reading() as session:
            on = {
                day: baselines.baseline_on(session, "cement", datetime(*day, tzinfo=UTC))
                for day in ((2024, 12, 31), (2025, 1, 1), (2026, 6, 30), (2026, 7, 1))
            }
            listed = baselines.baseline_list(session)
            audited = session.scalars(
                select(AuditEntry).where(AuditEntry.action == "baseline set")
            ).all()
            in_force = baselines.baselines_on(
                session, ["cement", "steel", "glass"], datetime(2026, 12, 1, tzinfo=UTC)
            )
    assert first.declared_unit == "1 t"  # the PCR's own words, whatever spacing was given
    assert on[(2024, 12, 31)] is None
    assert [on[d].value for d in ((2025, 1, 1), (2026, 6, 30), (2026, 7, 1))] == [
        BASELINE,
        BASELINE,
        LATER,
    ]
    assert [(e.pcr_id, e.value) for e in listed] == [
        ("cement", BASELINE),
        ("cement", LATER),
        ("steel", 2000.0),
    ]
    assert sorted(a.subject_id for a in audited) == ["cement", "cement", "steel"]
    assert {k: v.value for k, v in in_force.items()} == {"cement": LATER, "steel": 2000.0}


def test_gtins_are_checked_by_their_check_digit() -> None:
    for _pcr, _case, _company, _product, gtin in SEEDED:
        assert checked_gtin(gtin) == gtin
        assert checked_gtin(gtin.lstrip("0")) == gtin.lstrip("0")  # its GTIN-13 form
    # 4006381333931 is GS1's own worked example of a GTIN-13 check digit.
    assert checked_gtin("4006381333931") == "4006381333931"
    for bad in ("4006381333932", "400638133393", "40063813339310a", "", "１２３４５６７８"):
        with pytest.raises(CatalogueError) as raised:
            checked_gtin(bad)
        assert raised.value.diagnostics[0].code == "E987"
        assert raised.value.status == 422
    with pytest.raises(CatalogueError):
        checked_basket([])
    with pytest.raises(CatalogueError):
        checked_basket(["4006381333931"] * 101)
    assert checked_basket(["4006381333931", "4006381333931"]) == ["4006381333931"]
    assert key_values("06901234500011") == [
        "urn:gtin:6901234500011",
        "urn:gtin:06901234500011",
    ]


def test_a_footprint_is_found_by_its_gtin_only_while_it_can_be_given(
    catalogue_db: str, tmp_path: Path
) -> None:
    seed(catalogue_db, tmp_path / "keys")
    fresh = publish(catalogue_db, inventory("P·O 42.5 袋装", FRESH_GTIN, last_year_end()))
    gone = publish(catalogue_db, inventory("P·O 42.5 散装", DEPRECATED_GTIN, last_year_end()))
    with store.open_store(catalogue_db) as opened:
        workflow.deprecate(opened, gone, STAFF, "withdrawn by the enterprise")
        baselines.set_baseline(opened, "cement", BASELINE, SOURCE, "programme", date(2025, 1, 1))
        expired = SEEDED[0][4]  # typical_plant, reference period 2022: valid until 2026-01-01
        asked = [FRESH_GTIN, FRESH_GTIN.lstrip("0"), DEPRECATED_GTIN, expired, UNKNOWN_GTIN]
        with opened.reading() as session:
            today = lookup(session, asked, datetime.now(UTC))
            before = lookup(session, [FRESH_GTIN], datetime(2022, 6, 1, tzinfo=UTC))
    found = today[FRESH_GTIN]
    assert isinstance(found, ProductAnswer)
    assert found.footprint_id == fresh
    assert today[FRESH_GTIN.lstrip("0")] == replace(found, gtin=FRESH_GTIN.lstrip("0"))
    assert found.total == pytest.approx(TYPICAL_TOTAL, abs=1e-4)
    # 750 − 675.8219 = 74.1781 kg CO2e per t below the baseline; 74.1781 / 750 = 0.098904.
    assert found.reduction is not None
    assert found.reduction.per_unit == pytest.approx(74.1781, abs=1e-4)
    assert found.reduction.share == pytest.approx(0.098904, abs=1e-6)
    assert found.verifier == STAFF.name
    assert found.valid_until - datetime.now(UTC) > timedelta(days=365)
    reasons = {g: a.reason for g, a in today.items() if isinstance(a, Unanswered)}
    assert reasons == {DEPRECATED_GTIN: "deprecated", expired: "expired", UNKNOWN_GTIN: "unknown"}
    assert before[FRESH_GTIN] == Unanswered(FRESH_GTIN, "not-yet-valid")


def test_baselines_from_the_command_line(tmp_path: Path) -> None:
    db = str(tmp_path / "catalogue.db")
    set_ = zuji("catalogue", "baseline", "set", "cement", "750", "--source", SOURCE, "--db", db)
    assert set_.returncode == 0, set_.stderr
    assert "750 kg CO2e per 1 t" in set_.stdout
    dated = ("--from", "2030-01-01", "--unit", "1 t", "--db", db)
    later = zuji("catalogue", "baseline", "set", "cement", "700", "--source", SOURCE, *dated)
    assert later.returncode == 0, later.stderr
    refused = zuji("catalogue", "baseline", "set", "cement", "0", "--source", SOURCE, "--db", db)
    assert refused.returncode == 1
    assert "error[E985]" in refused.stderr
    listed = zuji("--lang", "zh", "catalogue", "baseline", "list", "--json", "--db", db)
    assert [(e["value"], e["valid_from"]) for e in json.loads(listed.stdout)] == [
        (750.0, datetime.now(UTC).date().isoformat()),
        (700.0, "2030-01-01"),
    ]
    table = zuji("--lang", "zh", "catalogue", "baseline", "list", "--db", db)
    assert "来源" in table.stdout and SOURCE in table.stdout


def test_the_lookups_read_indexes_on_sqlite(tmp_path: Path) -> None:
    """SQLite's plans: a GTIN is found through the index of the PACT filter keys, the baseline
    in force through (pcr_id, valid_from), the open data's stamp from indexes (never a scan of
    the footprints; PostgreSQL plans by its statistics)."""
    db = str(tmp_path / "catalogue.db")
    seed(db, tmp_path / "keys")
    values = key_values(FRESH_GTIN) + key_values(UNKNOWN_GTIN)
    bound = {
        "gtin": gtin_query().params(values=values),
        "baseline": baselines.in_force_query().params(pcr="cement", on=datetime.now(UTC)),
        "stamp": stamp_query(),
    }
    with store.open_store(db) as opened, opened.reading() as session:
        plans = {
            name: " | ".join(
                str(row[-1])
                for row in session.execute(
                    text(
                        "EXPLAIN QUERY PLAN "
                        + str(query.compile(opened.engine, compile_kwargs={"literal_binds": True}))
                    )
                )
            )
            for name, query in bound.items()
        }
    assert "footprint_keys USING COVERING INDEX ix_footprint_keys_walk" in plans["gtin"], plans
    assert "ix_baselines_pcr" in plans["baseline"], plans
    assert "ix_footprints_status_walk" in plans["stamp"], plans
    for plan in plans.values():
        # A count of every footprint reads a covering index; nothing reads the table's rows.
        assert not re.search(
            r"SCAN (footprints|footprint_keys|baselines)\b(?! USING COVERING)", plan
        )
