"""The catalogue at scale: a synthetic catalogue of N published footprints (10^6 by default)
across the library's PCRs, on SQLite and on PostgreSQL, timing

- listing with PACT filters (one company's footprints; a geography with a status),
- keyset pagination: the first page and a deep page (after 90 % of the footprints),
- `zuji catalogue list`, newest first, of one PCR and of one enterprise,
- a full re-evaluation (every Active footprint of the PCRs that read the most widely read
  dataset, re-run from its stored inventory with the batch engine, outcomes committed a chunk
  at a time),

each beside a hand-written baseline doing the same work in the same run: the best SQL for the
same answer run by the database driver alone (for listing and pages: it walks the index the
answer is read from), and for the re-evaluation the driver reading the
inventories, json, `evaluate_many` and one executemany of the figures (no chunks, no ORM, no
crash safety). The ratio says what the catalogue's own machinery costs.

How the catalogue is made (catalogue_synthetic.py says how inventories are varied): 200 plants
of other sizes and efficiencies per worked case are evaluated once; the N rows take them in
turn, each filed under its own enterprise (20 products each) and product, and bulk-inserted
(executemany on SQLite, COPY on PostgreSQL). Each stored inventory is a real JSON inventory that
re-evaluates to its stored total; the stored result is a stub (`{"synthetic": true}`: a result
file is ~12 kB, 12 GB for 10^6) and the PACT document is that of the plant's worked case with
this row's id. The re-evaluation commits its outcomes 20 000 footprints a transaction.

    python benchmarks/catalogue_scale.py [--quick] [--rows N] [--only sqlite,postgresql]
                                         [--no-reevaluation]

`--quick` uses 10^4 footprints. PostgreSQL runs on a private cluster (tests/postgres_cluster.py)
started and stopped here; it needs Debian's postgresql package.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import catalogue_synthetic as synthetic
from table import Row, met, render

import zuji
from zuji.catalogue import queries, records, reevaluate, store, workflow
from zuji.catalogue.tables import Footprint
from zuji.exchange.pact import to_pact

FULL, QUICK = 1_000_000, 10_000
VARIANTS = 200  # plants per worked case, evaluated once each
PER_ENTERPRISE = 20
CHUNK = 20_000  # footprints per transaction of the re-evaluation
_ID = "@@footprint-id@@"
PAGE = 100
STAFF = workflow.programme_staff("benchmark")


# ----------------------------------------------------------------------------- the catalogue


Plants = tuple[list[Any], list[dict[str, Any]], list[float], list[str]]


def plants(n: int) -> Plants:
    """Up to VARIANTS plants per worked case (fewer for a small catalogue), each evaluated
    once: its template, inventory, total and PACT document (its id a placeholder)."""
    found = synthetic.templates()
    variants = max(1, min(VARIANTS, n // len(found)))
    rng = np.random.default_rng(2026)
    plants: list[Any] = []
    documents: list[dict[str, Any]] = []
    for template in found:
        for _ in range(variants):
            plants.append(template)
            documents.append(synthetic.varied(template, rng.uniform(0.5, 2), rng.uniform(0.8, 1.2)))
    by_pcr: dict[str, list[int]] = {}
    for k, template in enumerate(plants):
        by_pcr.setdefault(template.pcr, []).append(k)
    totals, pact = [float("nan")] * len(plants), [""] * len(plants)
    for pcr_id, rows in by_pcr.items():
        pcr = zuji.load(pcr_id)
        frame = pcr.evaluate_many([documents[k] for k in rows])
        sample = pcr.evaluate(pcr.inventory(documents[rows[0]]))
        try:
            shape = to_pact(sample, created=datetime(2026, 1, 1, tzinfo=UTC))
        except zuji.ZujiError:  # a PCR the catalogue cannot publish by PACT (tyres, per piece)
            continue
        document = json.dumps({**shape, "id": _ID}, ensure_ascii=False, separators=(",", ":"))
        for k, total in zip(rows, frame["total"].to_numpy(), strict=True):
            totals[k], pact[k] = float(total), document
    keep = [k for k, t in enumerate(totals) if np.isfinite(t)]
    return (
        [plants[k] for k in keep],
        [documents[k] for k in keep],
        [totals[k] for k in keep],
        [pact[k] for k in keep],
    )


def _rows(n: int, made: Plants) -> Iterator[dict[str, Any]]:
    """The N catalogue rows, each a dict of the values of its tables."""
    plants, documents, totals, pact = made
    ids = np.random.default_rng(7).integers(0, 2**63, size=(n, 2), dtype=np.int64)
    for i in range(n):
        k = i % len(plants)
        template = plants[k]
        footprint_id = str(uuid.UUID(int=(int(ids[i, 0]) << 64 | int(ids[i, 1])) & (2**128 - 1)))
        enterprise = i // PER_ENTERPRISE + 1
        document = {**documents[k], "company": f"Plant {enterprise}", "product": f"P{i}"}
        yield {
            "i": i + 1,
            "enterprise": enterprise,
            "pcr": template.pcr,
            "footprint": footprint_id,
            "inventory": synthetic.as_bytes(document),
            "total": totals[k],
            "pact": pact[k].replace(_ID, footprint_id, 1),
            "region": ("cn-sd", "cn-js", "cn-gd")[enterprise % 3],
        }


TABLES = {
    "enterprises": ("id", "name", "company_ids", "region", "created_at"),
    "products": ("id", "enterprise_id", "pcr_id", "name", "product_ids"),
    "submissions": (
        "id",
        "product_id",
        "pcr_id",
        "pcr_version",
        "pcr_sha256",
        "inventory",
        "inventory_name",
        "inventory_sha256",
        "result",
        "total",
        "declared_unit",
        "period_start",
        "period_end",
        "state",
        "submitted_by",
        "submitted_at",
    ),
    "footprints": (
        "id",
        "submission_id",
        "product_id",
        "enterprise_id",
        "pcr_id",
        "pcr_version",
        "status",
        "document",
        "total",
        "declared_unit",
        "valid_from",
        "valid_until",
        "preceding",
        "published_by",
        "published_at",
    ),
    "footprint_keys": ("footprint_id", "kind", "value"),
}


def _table_rows(row: dict[str, Any], when: Any, until: Any) -> dict[str, list[tuple[Any, ...]]]:
    i, e, fid, pcr = row["i"], row["enterprise"], row["footprint"], row["pcr"]
    sub = f"s{i:035d}"
    out: dict[str, list[tuple[Any, ...]]] = {
        "products": [(i, e, pcr, f"P{i}", "[]")],
        "submissions": [
            (
                sub,
                i,
                pcr,
                "1.0.0",
                "0" * 64,
                row["inventory"],
                "inventory.json",
                "0" * 64,
                '{"synthetic": true}',
                row["total"],
                "1 t",
                "2023-01-01",
                "2023-12-31",
                "published",
                "benchmark",
                when,
            )
        ],
        "footprints": [
            (
                fid,
                sub,
                i,
                e,
                pcr,
                "1.0.0",
                "Active",
                row["pact"],
                row["total"],
                "1 t",
                when,
                until,
                "[]",
                "benchmark",
                when,
            )
        ],
        "footprint_keys": [
            (fid, "productId", f"urn:zuji:product:{i}"),
            (fid, "companyId", f"urn:zuji:company:{e}"),
            (fid, "geography", row["region"]),
        ],
    }
    if i % PER_ENTERPRISE == 1:
        out["enterprises"] = [(e, f"Plant {e}", "[]", row["region"].upper(), when)]
    return out


def seed(db: store.Store, n: int, made: Plants) -> float:
    """Bulk-insert N published footprints; the seconds it took."""
    began = time.perf_counter()
    sqlite = db.kind == "sqlite"
    when = "2024-01-01 00:00:00.000000" if sqlite else "2024-01-01 00:00:00+00"
    until = "2027-01-01 00:00:00.000000" if sqlite else "2027-01-01 00:00:00+00"
    buffers: dict[str, list[tuple[Any, ...]]] = {t: [] for t in TABLES}
    connection = db.engine.raw_connection()
    try:
        for row in _rows(n, made):
            for table, values in _table_rows(row, when, until).items():
                buffers[table] += values
            if len(buffers["footprints"]) >= 50_000:
                _flush(connection, buffers, sqlite)
        _flush(connection, buffers, sqlite)
        connection.commit()
    finally:
        connection.close()
    return time.perf_counter() - began


def _flush(connection: Any, buffers: dict[str, list[tuple[Any, ...]]], sqlite: bool) -> None:
    cursor = connection.cursor()
    for table, columns in TABLES.items():
        values = buffers[table]
        if not values:
            continue
        if sqlite:
            marks = ", ".join("?" * len(columns))
            cursor.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", values
            )
        else:
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for value in values:
                    copy.write_row(value)
        values.clear()
    cursor.close()
    connection.commit()


# ----------------------------------------------------------------------------- timings


def _best(work: Callable[[], Any], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        work()
        times.append(time.perf_counter() - began)
    return min(times)


def _raw(db: store.Store, sql: str, params: tuple[Any, ...], documents: bool = True) -> int:
    """The baseline: the driver alone runs the SQL and the documents are parsed."""
    connection = db.engine.raw_connection()
    try:
        cursor = connection.cursor()
        if db.kind != "sqlite":
            sql = sql.replace("?", "%s").replace("CROSS JOIN", "JOIN")
        cursor.execute(sql, params)
        found = cursor.fetchall()
        return len([json.loads(row[1]) for row in found] if documents else found)
    finally:
        connection.close()


# The best hand-written SQL for a page by one key: walk the key's index in footprint-id order
# and fetch each footprint by its primary key. SQLite is held to that order with CROSS JOIN
# (its way of fixing the join order); PostgreSQL plans it so by its statistics.
_KEYED = (
    "SELECT f.id, f.document FROM footprint_keys k CROSS JOIN footprints f "
    "ON f.id = k.footprint_id WHERE k.kind = ? AND k.value = ?{more} "
    "ORDER BY k.footprint_id LIMIT ?"
)
_PAGE = "SELECT id, document FROM footprints WHERE id > ? ORDER BY id LIMIT ?"
# `zuji catalogue list --pcr P` and `--enterprise NAME`: newest first, with the names. A PCR
# holds thousands: the best SQL walks the dates' index backwards and tests each (SQLite is told
# which index, or it takes the PCR's and sorts them all); an enterprise holds a few, found by
# its name and sorted.
_LISTED = (
    "SELECT f.id, e.name, p.name, f.pcr_id, f.pcr_version, f.status, f.total, "
    "f.declared_unit, f.valid_until, f.published_at FROM footprints f{hint} "
    "JOIN products p ON p.id = f.product_id JOIN enterprises e ON e.id = f.enterprise_id "
    "WHERE {where} ORDER BY f.published_at DESC, f.id DESC LIMIT ?"
)
_BY_DATE = " INDEXED BY ix_footprints_published_walk"


def _cases(db: store.Store, n: int, deep_after: str) -> list[tuple[str, Any, Any]]:
    company = f"urn:zuji:company:{n // PER_ENTERPRISE // 2}"
    enterprise = f"Plant {n // PER_ENTERPRISE // 3}"
    with db.reading() as session:
        pcr = session.scalar(select(Footprint.pcr_id).order_by(Footprint.id).limit(1))

    def page(filters: queries.Filters, after: str | None = None) -> Callable[[], Any]:
        def work() -> Any:
            with db.reading() as session:
                return queries.footprint_page(session, filters, PAGE, after)

        return work

    def listed(filters: queries.Filters) -> Callable[[], Any]:
        def work() -> Any:
            with db.reading() as session:
                return records.footprint_rows(session, filters, PAGE)

        return work

    return [
        (
            "filter companyId",
            page(queries.Filters(values={"companyId": (company,)})),
            lambda: _raw(db, _KEYED.format(more=""), ("companyId", company, PAGE + 1)),
        ),
        (
            "filter geography + status",
            page(queries.Filters(values={"geography": ("cn-sd",)}, status="Active")),
            lambda: _raw(
                db, _KEYED.format(more=" AND f.status = ?"), ("geography", "cn-sd", "Active", 101)
            ),
        ),
        ("first page", page(queries.Filters()), lambda: _raw(db, _PAGE, ("", PAGE + 1))),
        (
            "deep page (90 %)",
            page(queries.Filters(), deep_after),
            lambda: _raw(db, _PAGE, (deep_after, PAGE + 1)),
        ),
        (
            f"list --pcr {pcr}",
            listed(queries.Filters(pcr_id=pcr)),
            lambda: _raw(
                db,
                _LISTED.format(hint=_BY_DATE if db.kind == "sqlite" else "", where="f.pcr_id = ?"),
                (pcr, PAGE),
                False,
            ),
        ),
        (
            "list --enterprise",
            listed(queries.Filters(enterprise=enterprise)),
            lambda: _raw(
                db, _LISTED.format(hint="", where="e.name = ?"), (enterprise, PAGE), False
            ),
        ),
    ]


def listing_rows(db: store.Store, n: int, label: str) -> list[Row]:
    with db.reading() as session:
        ids = session.scalars(select(Footprint.id).order_by(Footprint.id)).all()
    out = []
    for what, mine, theirs in _cases(db, n, ids[int(len(ids) * 0.9)]):
        zuji_s, base_s = _best(mine), _best(theirs)
        out.append(
            Row(
                f"{label}: {what}, {PAGE} of {n:,}",
                f"{zuji_s * 1000:.1f} ms",
                f"{base_s * 1000:.1f} ms",
                f"{zuji_s / base_s:.1f}x",
                "<= 3x",
                met(zuji_s <= 3 * base_s),
            )
        )
    return out


def _widest_dataset(db: store.Store) -> str:
    with db.reading() as session:
        pcrs = session.scalars(select(Footprint.pcr_id).distinct()).all()
    counts: dict[str, int] = {}
    for pcr_id in pcrs:
        for name in reevaluate.datasets_read(zuji.load(pcr_id)):
            counts[name] = counts.get(name, 0) + 1
    return max(sorted(counts), key=lambda name: counts[name])


def reevaluation_row(db: store.Store, n: int, label: str) -> Row:
    dataset = _widest_dataset(db)
    began = time.perf_counter()
    started = reevaluate.start(db, STAFF, dataset_id=dataset)
    assert started is not None
    summary = reevaluate.run(db, started.run_id, chunk=CHUNK)
    zuji_s = time.perf_counter() - began
    base_s = _baseline_reevaluation(db, started.pcrs)
    return Row(
        f"{label}: re-evaluation of {started.items:,} footprints ({dataset}; {summary.counts})",
        f"{zuji_s:.1f} s ({started.items / zuji_s:,.0f}/s)",
        f"{base_s:.1f} s",
        f"{zuji_s / base_s:.1f}x",
        "<= 3x",
        met(zuji_s <= 3 * base_s),
    )


def _baseline_reevaluation(db: store.Store, pcrs: tuple[str, ...]) -> float:
    """The driver reads each PCR's inventories, json parses them, evaluate_many evaluates them,
    and one executemany writes the figures to a scratch table."""
    began = time.perf_counter()
    connection = db.engine.raw_connection()
    mark = "?" if db.kind == "sqlite" else "%s"
    try:
        cursor = connection.cursor()
        cursor.execute("CREATE TEMPORARY TABLE scratch (id VARCHAR(36), total FLOAT)")
        for pcr_id in pcrs:
            cursor.execute(
                "SELECT f.id, s.inventory FROM footprints f JOIN submissions s "
                f"ON s.id = f.submission_id WHERE f.pcr_id = {mark} AND f.status = 'Active'",
                (pcr_id,),
            )
            rows = cursor.fetchall()
            documents = [json.loads(bytes(raw)) for _, raw in rows]
            totals = zuji.load(pcr_id).evaluate_many(documents)["total"].to_numpy()
            cursor.executemany(
                f"INSERT INTO scratch VALUES ({mark}, {mark})",
                [(fid, float(t)) for (fid, _), t in zip(rows, totals, strict=True)],
            )
        connection.commit()
    finally:
        connection.close()
    return time.perf_counter() - began


# ----------------------------------------------------------------------------- databases


@contextmanager
def database(kind: str, folder: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield str(folder / "scale.db")
        return
    from postgres_cluster import cluster, fresh_database

    with cluster() as url:
        yield fresh_database(url, "scale")


def rows(
    n: int, kinds: tuple[str, ...] = ("sqlite", "postgresql"), reevaluation: bool = True
) -> list[Row]:
    out = []
    began = time.perf_counter()
    made = plants(n)
    took = time.perf_counter() - began
    out.append(Row(f"evaluate {len(made[0]):,} plants once", f"{took:.1f} s", "", "", "", ""))
    for kind in kinds:
        with (
            tempfile.TemporaryDirectory(prefix="zuji-scale-") as folder,
            database(kind, Path(folder)) as url,
            store.open_store(url) as db,
        ):
            seconds = seed(db, n, made)
            out.append(
                Row(
                    f"{kind}: seed {n:,} footprints",
                    f"{seconds:.1f} s",
                    f"{n / seconds:,.0f}/s",
                    "",
                    "",
                    "",
                )
            )
            out += listing_rows(db, n, kind)
            if reevaluation:
                out.append(reevaluation_row(db, n, kind))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK:,} footprints")
    parser.add_argument("--only", default="sqlite,postgresql")
    parser.add_argument("--no-reevaluation", action="store_true", help="seed, list and page only")
    args = parser.parse_args()
    n = args.rows or (QUICK if args.quick else FULL)
    print(render(rows(n, tuple(args.only.split(",")), not args.no_reevaluation)))


if __name__ == "__main__":
    main()
