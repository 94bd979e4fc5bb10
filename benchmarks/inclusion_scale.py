"""The carbon-inclusion lookups and the open data at scale: a synthetic catalogue of N published
footprints (10^5 by default, made as benchmarks/catalogue_scale.py makes its own), each given a
GTIN and a verifier's acceptance, timing

- one product by its GTIN, as the API's route reads it (catalogue.inclusion.lookup in its own
  session): the median and the 99th percentile over 1 000 GTINs drawn at random;
- a basket of 100 GTINs in one lookup;
- building the open data (CSV, Parquet and the dictionary) of all N footprints;

each lookup beside a hand-written baseline in the same run: the driver alone running the one
SQL statement that finds the footprint by its GTIN through the same index and reads what an
answer needs (its row, its verification, its grades, the baseline in force), four statements
per GTIN as the catalogue makes them.

    python benchmarks/inclusion_scale.py [--quick] [--rows N] [--only sqlite,postgresql]

`--quick` uses 10^4 footprints. PostgreSQL runs on a private cluster (tests/postgres_cluster.py).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from catalogue_scale import database, plants, seed
from table import Row, render

from zuji.catalogue import baselines, store
from zuji.catalogue.inclusion import check_digit, lookup
from zuji.catalogue.opendata_files import write

FULL, QUICK = 100_000, 10_000
SAMPLE = 1_000
BASKET = 100


def gtin(i: int) -> str:
    """The i-th synthetic GTIN-14: GS1 China's prefix 690, the row's number, its check digit."""
    body = f"0690{i:09d}"
    return body + str(check_digit(body))


def label(db: store.Store, n: int) -> None:
    """Give every footprint a GTIN key and its submission an accepted verification."""
    sqlite = db.kind == "sqlite"
    mark = "?" if sqlite else "%s"
    connection = db.engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute("SELECT id, submission_id FROM footprints ORDER BY submission_id")
        rows = cursor.fetchall()
        keys = [(fid, "productId", f"urn:gtin:{gtin(k + 1)}") for k, (fid, _) in enumerate(rows)]
        when = "2024-01-01 00:00:00.000000" if sqlite else "2024-01-01 00:00:00+00"
        checks = [(sub, "benchmark", "accepted", "", when) for _, sub in rows]
        cursor.executemany(
            "INSERT INTO footprint_keys (footprint_id, kind, value) "
            f"VALUES ({mark}, {mark}, {mark})",
            keys,
        )
        cursor.executemany(
            "INSERT INTO verifications (submission_id, verifier, decision, comments, at) "
            f"VALUES ({mark}, {mark}, {mark}, {mark}, {mark})",
            checks,
        )
        connection.commit()
    finally:
        connection.close()
    assert len(rows) == n


def _percentile(times: list[float], share: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _lookups(db: store.Store, asked: list[str]) -> list[float]:
    times = []
    now = datetime.now(UTC)
    for one in asked:
        began = time.perf_counter()
        with db.reading() as session:
            answer = lookup(session, [one], now)[one]
        times.append(time.perf_counter() - began)
        assert answer.__class__.__name__ == "ProductAnswer", answer
    return times


_RAW = (
    "SELECT f.id, f.submission_id, f.status, f.valid_from, f.valid_until, f.total, "
    "f.declared_unit, f.pcr_id, f.pcr_version, f.published_at, p.name, e.name, e.name_zh, e.region "
    "FROM footprint_keys k JOIN footprints f ON f.id = k.footprint_id "
    "JOIN products p ON p.id = f.product_id JOIN enterprises e ON e.id = f.enterprise_id "
    "WHERE k.kind = 'productId' AND k.value IN ({marks})"
)


def _raw_lookups(db: store.Store, asked: list[str]) -> list[float]:
    """The baseline: the driver alone, the same four statements per GTIN."""
    sqlite = db.kind == "sqlite"
    mark = "?" if sqlite else "%s"
    times = []
    connection = db.engine.raw_connection()
    try:
        for one in asked:
            began = time.perf_counter()
            cursor = connection.cursor()
            values = [f"urn:gtin:{one}", f"urn:gtin:{one.lstrip('0')}"]
            cursor.execute(_RAW.format(marks=", ".join([mark] * 2)), values)
            found = cursor.fetchall()
            sub, fid, pcr = found[0][1], found[0][0], found[0][7]
            cursor.execute(
                "SELECT verifier FROM verifications WHERE submission_id = "
                f"{mark} AND decision = 'accepted' ORDER BY at DESC, id DESC LIMIT 1",
                (sub,),
            )
            cursor.fetchall()
            cursor.execute(
                f"SELECT basis, grade FROM grades WHERE footprint_id = {mark} ORDER BY basis, id",
                (fid,),
            )
            cursor.fetchall()
            cursor.execute(
                f"SELECT * FROM baselines WHERE pcr_id = {mark} "
                "ORDER BY valid_from DESC, id DESC LIMIT 1",
                (pcr,),
            )
            cursor.fetchall()
            connection.rollback()
            times.append(time.perf_counter() - began)
    finally:
        connection.close()
    return times


def _ms(seconds: float) -> str:
    return f"{1000 * seconds:.2f} ms"


def rows_for(db: store.Store, n: int, kind: str) -> list[Row]:
    rng = random.Random(2026)
    asked = [gtin(rng.randrange(1, n + 1)) for _ in range(SAMPLE)]
    for pcr_id in ("cement", "steel", "aluminium"):
        baselines.set_baseline(db, pcr_id, 1000.0, "benchmark", "benchmark", date(2024, 1, 1))
    _lookups(db, asked[:50])  # warm the PCR headers and the connection pool
    mine, raw = _lookups(db, asked), _raw_lookups(db, asked)
    out = []
    for name, share in (("median", 0.5), ("p99", 0.99)):
        ours, theirs = _percentile(mine, share), _percentile(raw, share)
        out.append(
            Row(
                f"{kind}: one GTIN of {n:,}, {name}",
                _ms(ours),
                _ms(theirs),
                f"{ours / theirs:.1f}×",
                "",
                "",
            )
        )
    basket = [gtin(rng.randrange(1, n + 1)) for _ in range(BASKET)]
    began = time.perf_counter()
    with db.reading() as session:
        lookup(session, basket, datetime.now(UTC))
    out.append(
        Row(f"{kind}: a basket of {BASKET}", _ms(time.perf_counter() - began), "", "", "", "")
    )
    with tempfile.TemporaryDirectory(prefix="zuji-open-data-") as folder:
        began = time.perf_counter()
        with db.reading() as session:
            written = write(session, Path(folder))
        took = time.perf_counter() - began
        size = sum(p.stat().st_size for p in Path(folder).iterdir())
    assert written == n
    out.append(
        Row(
            f"{kind}: open data of {n:,} footprints (4 files, {size / 1e6:.1f} MB)",
            f"{took:.1f} s",
            "",
            "",
            "",
            "",
        )
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK:,} footprints")
    parser.add_argument("--only", default="sqlite,postgresql")
    args = parser.parse_args()
    n = args.rows or (QUICK if args.quick else FULL)
    made = plants(n)
    out: list[Row] = []
    for kind in args.only.split(","):
        with (
            tempfile.TemporaryDirectory(prefix="zuji-inclusion-") as folder,
            database(kind, Path(folder)) as url,
            store.open_store(url) as db,
        ):
            seconds = seed(db, n, made)
            label(db, n)
            out.append(Row(f"{kind}: seed {n:,} footprints", f"{seconds:.1f} s", "", "", "", ""))
            out += rows_for(db, n, kind)
    print(render(out))


if __name__ == "__main__":
    main()
