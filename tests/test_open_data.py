"""The published catalogue as open data: the CSV and Parquet files read back (pandas) equal the
catalogue, on SQLite and PostgreSQL; the dictionary names every column of both; the files served
at /open-data are rebuilt after a publication or a deprecation, and never half written; the
command line writes the same four files."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pandas as pd
from cli_kit import zuji
from inclusion_kit import FRESH_GTIN, inventory, last_year_end, publish
from sqlalchemy import select
from web_kit import SEEDED, STAFF, seed
from web_kit import served as serving

from zuji.catalogue import opendata, opendata_files, store, workflow
from zuji.catalogue.tables import Footprint, Submission

FILES = ("footprints.csv", "footprints.parquet", "dictionary.json", "dictionary.csv")


def _catalogue(db: str) -> dict[str, dict[str, object]]:
    """What the catalogue itself holds of each footprint, by id."""
    with store.open_store(db) as opened, opened.reading() as session:
        rows = session.execute(select(Footprint, Submission.result).join(Submission)).all()
    return {
        f.id: {
            "total": f.total,
            "status": f.status,
            "declared_unit": f.declared_unit,
            "pcr_id": f.pcr_id,
            "by_stage": json.loads(result)["by_stage"],
            "valid_until": f.valid_until,
        }
        for f, result in rows
    }


def _read(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame, list[dict[str, str]]]:
    csv = pd.read_csv(folder / "footprints.csv", encoding="utf-8-sig", dtype={"gtins": str})
    parquet = pd.read_parquet(folder / "footprints.parquet")
    dictionary = json.loads((folder / "dictionary.json").read_text(encoding="utf-8"))["columns"]
    return csv, parquet, dictionary


def test_the_files_read_back_equal_the_catalogue(catalogue_db: str, tmp_path: Path) -> None:
    _, footprints = seed(catalogue_db, tmp_path / "keys")
    with store.open_store(catalogue_db) as opened:
        workflow.deprecate(opened, footprints[SEEDED[0][3]], STAFF, "superseded by a new plant")
        with opened.reading() as session:
            rows = opendata_files.write(session, tmp_path / "out")
    assert rows == len(SEEDED)
    assert (tmp_path / "out" / "footprints.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    csv, parquet, dictionary = _read(tmp_path / "out")
    held = _catalogue(catalogue_db)
    for table in (csv, parquet):
        assert sorted(table["footprint_id"]) == sorted(held)
        for row in table.to_dict("records"):
            mine = held[row["footprint_id"]]
            assert row["total"] == mine["total"]  # the same float, not a rounding of it
            assert row["status"] == mine["status"] and row["pcr_id"] == mine["pcr_id"]
            assert row["declared_unit"] == mine["declared_unit"]
            stages = {k[len("stage_") :]: v for k, v in row.items() if k.startswith("stage_")}
            assert {k: v for k, v in stages.items() if pd.notna(v)} == mine["by_stage"]
            assert row["verifier"] == STAFF.name
    by_product = parquet.set_index("product")
    assert by_product.loc[SEEDED[0][3], "status"] == "Deprecated"
    assert by_product.loc[SEEDED[2][3], "gtins"] == SEEDED[2][4]
    assert by_product.loc[SEEDED[0][3], "hs_codes"] == "2523.29"
    assert by_product.loc[SEEDED[0][3], "pcr_name_zh"] == "通用硅酸盐水泥（出厂）"
    assert str(parquet["valid_until"].dtype) == "datetime64[us, UTC]"
    assert list(parquet.columns) == list(csv.columns) == [c["name"] for c in dictionary]
    for column in dictionary:
        assert column["type"] in ("string", "number", "timestamp")
        assert column["meaning_zh"] and column["meaning_en"]
    listed = pd.read_csv(tmp_path / "out" / "dictionary.csv", encoding="utf-8-sig")
    assert list(listed["name"]) == [c["name"] for c in dictionary]


def test_the_stamp_moves_with_each_publication_and_deprecation(
    catalogue_db: str, tmp_path: Path
) -> None:
    seed(catalogue_db, tmp_path / "keys")
    stamps = []
    with store.open_store(catalogue_db) as opened, opened.reading() as session:
        stamps.append(opendata.stamp(session))
    fresh = publish(catalogue_db, inventory("P·O 42.5 袋装", FRESH_GTIN, last_year_end()))
    with store.open_store(catalogue_db) as opened:
        with opened.reading() as session:
            stamps.append(opendata.stamp(session))
        workflow.deprecate(opened, fresh, STAFF, "withdrawn by the enterprise")
        with opened.reading() as session:
            stamps.append(opendata.stamp(session))
            stamps.append(opendata.stamp(session))
    assert [s.footprints for s in stamps] == [3, 4, 4, 4]
    assert [s.deprecated for s in stamps] == [0, 0, 1, 1]
    assert len({s.key for s in stamps}) == 3  # the same state, the same key


def test_the_served_files_are_rebuilt_after_a_publication(tmp_path: Path) -> None:
    db = str(tmp_path / "catalogue.db")
    seed(db, tmp_path / "keys")
    with serving(db) as url:
        first = {name: httpx.get(f"{url}/open-data/{name}") for name in FILES}
        publish(db, inventory("P·O 42.5 袋装", FRESH_GTIN, last_year_end()))
        second = httpx.get(f"{url}/open-data/footprints.csv")
        again = httpx.get(f"{url}/open-data/footprints.csv")
    for answer in first.values():
        assert answer.status_code == 200
        assert answer.headers["content-disposition"].startswith("attachment")
    assert first["footprints.csv"].headers["content-type"] == "text/csv; charset=utf-8"
    before = first["footprints.csv"].content.decode("utf-8-sig").splitlines()
    after = second.content.decode("utf-8-sig").splitlines()
    assert len(before) == 1 + len(SEEDED) and len(after) == 2 + len(SEEDED)
    assert "P·O 42.5 袋装" in second.text
    assert second.headers["etag"] != first["footprints.csv"].headers["etag"]
    assert again.headers["etag"] == second.headers["etag"]
    cache = Path(f"{tmp_path / 'catalogue.db'}.open-data")
    built = sorted(p.name for p in cache.iterdir())
    # Two stamps' folders, each complete; no build left behind.
    assert len(built) == 2 and not any(name.startswith(".") for name in built)
    for folder in cache.iterdir():
        assert sorted(p.name for p in folder.iterdir()) == sorted([*FILES, "built.json"])


def test_the_command_line_writes_the_open_data(tmp_path: Path) -> None:
    db = str(tmp_path / "catalogue.db")
    seed(db, tmp_path / "keys")
    out = tmp_path / "open"
    ran = zuji("catalogue", "open-data", str(out), "--db", db)
    assert ran.returncode == 0, ran.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(FILES)
    assert ran.stdout.split() == [str(out / name) for name in FILES]
    csv, parquet, _ = _read(out)
    assert len(csv) == len(parquet) == len(SEEDED)
    (tmp_path / "a-file").write_text("not a folder", encoding="utf-8")
    refused = zuji("catalogue", "open-data", str(tmp_path / "a-file"), "--db", db)
    assert refused.returncode == 2 and "error[E952]" in refused.stderr


def test_the_licence_is_the_programmes_or_the_default(tmp_path: Path) -> None:
    db = str(tmp_path / "catalogue.db")
    shown = zuji("catalogue", "open-data-licence", "--db", db)
    assert shown.returncode == 0 and "CC BY 4.0" in shown.stdout
    stated = ("--zh", "依《政府信息公开条例》公开", "--en", "Published under the regulations")
    made = zuji("catalogue", "open-data-licence", *stated, "--db", db)
    assert made.returncode == 0
    with store.open_store(db) as opened, opened.reading() as session:
        assert opendata_files.licence(session) == {
            "zh": "依《政府信息公开条例》公开",
            "en": "Published under the regulations",
        }
