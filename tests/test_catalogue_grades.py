"""Grades and notices on SQLite and PostgreSQL: each published footprint against its product's
benchmark levels and the catalogue's distribution for its PCR, figures computed by hand below;
notices addressed by product, grade and region."""

from __future__ import annotations

import pytest
from catalogue_kit import STAFF, publish_case
from cli_kit import zuji
from sqlalchemy import func, select

from zuji.catalogue import grades, notices, store
from zuji.catalogue.tables import Enterprise, Notice
from zuji.core.errors import CatalogueError

# The worked cases' totals, computed by hand in their case files (kg CO2e per t clinker):
#   typical_kiln 858.7406 < organic_carbon 867.2106 < bypass_dust 890.7140
# Clinker's benchmarks in force on 2023-12-31, the cases' reference period end
# (standards/benchmarks/product_benchmarks.yaml):
#   eu_ets_2021_2025: benchmark 693         -> all three are above it: "none"
#   cbam_transitional_default: default 870  -> 858.74 and 867.21 at or below: "default";
#                                              890.71 above: "none"
#   gb16780_2021: grades 791.37 / 804.69 / 836.65 -> all three above grade_3: "none"
# Distribution among the 3 Active clinker footprints, percentile = 100 x lower / 3:
#   typical_kiln 0 lower -> 0 %; organic_carbon 1 -> 33.33 %; bypass_dust 2 -> 66.67 %
#   advanced share 0.05: lower < 0.15, typical_kiln only; share 0.5: lower < 1.5, two.
CASES = {"bypass_dust": "CN-SD", "organic_carbon": "CN-JS", "typical_kiln": "CN-SD"}
EXPECTED_BENCHMARKS = {
    "bypass_dust": {"eu_ets_2021_2025": "none", "cbam_transitional_default": "none"},
    "organic_carbon": {"eu_ets_2021_2025": "none", "cbam_transitional_default": "default"},
    "typical_kiln": {"eu_ets_2021_2025": "none", "cbam_transitional_default": "default"},
}


@pytest.fixture
def graded(catalogue_db: str) -> dict[str, str]:
    """The three clinker cases and one cement case (efficient_plant, 541.9712 kg/t, 2023:
    CBAM's cement default 810 kg/t is met) published, in that order."""
    with store.open_store(catalogue_db) as db:
        found = {name: publish_case(db, "clinker", name, region) for name, region in CASES.items()}
        found["cement"] = publish_case(db, "cement", "efficient_plant", "CN-SD")
        return found


def _by_basis(db: store.Store, footprint: str) -> dict[str, dict[str, grades.GradeLine]]:
    with db.reading() as session:
        lines = grades.grade_lines(session, footprint)
    out: dict[str, dict[str, grades.GradeLine]] = {}
    for line in lines:
        key = line.detail["benchmark"] if line.basis == "benchmark" else "distribution"
        out.setdefault(line.basis, {})[key] = line
    return out


def test_footprints_are_graded_against_benchmarks_and_the_distribution(
    catalogue_db: str, graded: dict[str, str]
) -> None:
    with store.open_store(catalogue_db) as db:
        # At publication each was the lowest of those published so far: all advanced.
        for name in CASES:
            assert _by_basis(db, graded[name])["distribution"]["distribution"].grade == "advanced"
        grades.regrade(db, "staff", everything=True)
        places = {n: _by_basis(db, graded[n])["distribution"]["distribution"] for n in CASES}
        assert {n: p.value for n, p in places.items()} == {
            "typical_kiln": pytest.approx(0.0),
            "organic_carbon": pytest.approx(100 / 3),
            "bypass_dust": pytest.approx(200 / 3),
        }
        assert [n for n, p in places.items() if p.grade == "advanced"] == ["typical_kiln"]
        assert places["bypass_dust"].detail["size"] == 3
        for name, expected in EXPECTED_BENCHMARKS.items():
            benchmark = _by_basis(db, graded[name])["benchmark"]
            assert {k: benchmark[k].grade for k in expected} == expected
            gb = benchmark["gb16780_2021"]
            assert gb.grade == "none"
            assert [lv["kg_co2e_per_t"] for lv in gb.detail["levels"]] == [791.37, 804.69, 836.65]
            assert gb.detail["source"].startswith("GB 16780-2021")
            assert gb.detail["on"] == "2023-12-31"
        grades.set_advanced_share(db, 0.5, "staff")
        grades.regrade(db, "staff", everything=True)
        advanced = [
            n
            for n in CASES
            if _by_basis(db, graded[n])["distribution"]["distribution"].grade == "advanced"
        ]
        assert advanced == ["organic_carbon", "typical_kiln"]
        with pytest.raises(CatalogueError) as refused:
            grades.set_advanced_share(db, 5, "staff")
        assert refused.value.code == "E968"


def test_notices_reach_the_enterprises_their_filters_name(
    catalogue_db: str, graded: dict[str, str]
) -> None:
    with store.open_store(catalogue_db) as db:
        grades.regrade(db, "staff", everything=True)
        with db.reading() as session:
            ids = dict(session.execute(select(Enterprise.name, Enterprise.id)).all())
        named = {n: next(i for k, i in ids.items() if _company(n) in k) for n in (*CASES, "cement")}

        def reach(**criteria: str | None) -> set[str]:
            with db.reading() as session:
                found = notices.recipients(session, notices.Audience(**criteria))
            return {n for n, i in named.items() if i in found}

        assert reach(pcr="clinker") == set(CASES)
        assert reach(grade="advanced") == {"typical_kiln", "cement"}
        assert reach(grade="default") == {"organic_carbon", "typical_kiln", "cement"}
        assert reach(region="CN-SD") == {"bypass_dust", "typical_kiln", "cement"}
        assert reach(region="CN") == {*CASES, "cement"}
        assert reach(pcr="clinker", region="CN-SD") == {"bypass_dust", "typical_kiln"}

        audience = notices.Audience(pcr="clinker", region="cn-sd")
        notice_id, n = notices.send(db, STAFF, "finance", "Green loans", "Apply by June.", audience)
        assert n == 2
        mine = notices.listing(db, named["typical_kiln"])
        assert [(r.id, r.read_at) for r in mine] == [(notice_id, None)]
        assert notices.listing(db, named["organic_carbon"]) == []
        read_at = notices.mark_read(db, notice_id, named["typical_kiln"])
        assert notices.listing(db, named["typical_kiln"])[0].read_at == read_at
        with pytest.raises(CatalogueError) as not_yours:
            notices.mark_read(db, notice_id, named["organic_carbon"])
        assert not_yours.value.code == "E967" and not_yours.value.status == 404

        nobody = notices.Audience(region="CN-GD")
        with pytest.raises(CatalogueError) as none:
            notices.send(db, STAFF, "policy", "Title", "Body", nobody)
        assert none.value.code == "E966"
        with pytest.raises(CatalogueError) as kind:
            notices.send(db, STAFF, "gossip", "Title", "Body", audience)
        assert kind.value.code == "E965"
        with db.reading() as session:
            assert session.scalar(select(func.count()).select_from(Notice)) == 1


def _company(case: str) -> str:
    return {
        "bypass_dust": "Bypass",
        "organic_carbon": "Central",
        "typical_kiln": "Shandong",
        "cement": "Northern",
    }[case]


def test_show_gives_each_grade_with_its_basis_in_both_languages(
    catalogue_db: str, graded: dict[str, str]
) -> None:
    with store.open_store(catalogue_db) as db:
        grades.regrade(db, "staff", everything=True)
    footprint = graded["organic_carbon"]
    shown = {
        lang: zuji("--lang", lang, "catalogue", "show", footprint, "--db", catalogue_db).stdout
        for lang in ("en", "zh")
    }
    # organic_carbon, 867.2106 kg CO2e/t (867.211 to 6 figures): 1 of the 3 clinker footprints
    # is lower, 100 x 1 / 3 = 33.3 %; the advanced share is the default 5 %. Against GB 16780's
    # three levels (above them all: none) with the set's version, the dates and the source.
    distribution = {
        "en": "  distribution: ordinary: 33.3 % of the 3 Active footprints under clinker are "
        "lower (advanced: under 5 %; as of ",
        "zh": "  目录分布：一般：clinker 下 3 个有效碳足迹中有 33.3 % 低于它"
        "（先进：低于 5 %；截至 ",
    }
    benchmark = {
        "en": (
            "  benchmark: none: 867.211 kg CO2e/t against gb16780_2021 GB 16780-2021 ",
            "2022-11-01 to in force; levels grade_1 791.37, grade_2 804.69, grade_3 836.65 "
            "kg CO2e/t; source: GB 16780-2021",
            "; unconfirmed figure; set product_benchmarks ",
        ),
        "zh": (
            "  对标：未达任一水平：867.211 kg CO2e/t，对标 gb16780_2021 GB 16780-2021 ",
            "2022-11-01 至 现行有效；各级水平 grade_1 791.37, grade_2 804.69, grade_3 836.65 "
            "kg CO2e/t；来源：GB 16780-2021",
            "；数值尚未核实；基准集 product_benchmarks ",
        ),
    }
    for lang, text in shown.items():
        assert distribution[lang] in text
        [line] = [ln for ln in text.splitlines() if "gb16780_2021" in ln]
        assert line.startswith(benchmark[lang][0])
        assert all(part in line for part in benchmark[lang][1:])
    assert "先进" not in shown["en"] and "ordinary" not in shown["zh"]
