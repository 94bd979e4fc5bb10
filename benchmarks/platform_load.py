"""The public platform under load: the product page and search of `zuji serve --catalogue DB
--workers 4` on a catalogue of 10^5 published footprints, driven by wrk over loopback, beside a
hand-written baseline in the same run.

The issue's target: the product page and search each at >= 500 requests/s with 4 workers on 10^5
products, p99 < 100 ms.

The catalogue (SQLite unless --database postgresql): 10^5 footprints made as the catalogue's
scale benchmark makes them (catalogue_scale.py: the library's worked cases varied into plants
of other sizes and efficiencies, each evaluated once), here with what the public pages read:
each plant's full result file, signed with the catalogue's key (the product page checks the
signature on every view), a verifier's acceptance, Chinese product and company names, GTINs,
HS codes, the search words publication writes, and the grades `zuji catalogue grade --all`
gives. Enterprises file 167 products each (600 enterprises for 10^5, the programme's size); the
names come from a small vocabulary, so a word like 水泥 matches thousands of products, as on a
real platform.

The load: wrk (Debian's package; installed with apt-get when missing and run as root) with 16
connections for 20 s per figure, each request a path drawn at random from
  - product pages: 3 000 footprints drawn at random from the 10^5,
  - search: 40 queries (Chinese words, a word with a filter, filters alone, a second page).
Each kind is measured twice: as served (each worker keeps the pages it wrote, and leaves them
in a folder the machine's workers share, and sends one again while the catalogue's revision is
unchanged; every path is fetched once before the load, as the baseline needs its bytes; each
service starts with an empty cache folder) and with `--page-cache 0`, every page written
afresh: what a page costs the first time it is asked for, or on a catalogue that changes
between views.
The baseline (platform_baseline.py): a bare ASGI application under uvicorn with the same 4
workers answering each of those paths with the bytes Zuji served for it (fetched before the
load): what sending these pages costs at the least. The load generator shares the machine's
cores with the server.

    python benchmarks/platform_load.py [--rows N] [--seconds S] [--database sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import quote

import httpx
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import catalogue_scale as scale
import catalogue_synthetic as synthetic
import wrk_kit
from http_kit import tree_cpu
from serve_kit import free_port, start
from table import Row, met, render

import zuji
from zuji.catalogue import grades, publishing, search, store
from zuji.catalogue.categories import category
from zuji.catalogue.tables import Footprint
from zuji.catalogue.workflow import result_json
from zuji.core.access import add_client
from zuji.core.canonical import sha256_hex
from zuji.exchange.signing import key_id, new_keys

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 4
PER_ENTERPRISE = 167
CONNECTIONS = 16
PRODUCT_SAMPLE = 3_000
TARGET_RATE, TARGET_P99 = 500.0, 0.100
ADJECTIVES = ("低碳", "高强", "优质", "环保", "节能", "普通", "绿色", "高端")
# Customs headings (HS 2022) of some of the library's products, for the HS filter and words.
HS = {
    "cement": "2523.29",
    "clinker": "2523.10",
    "steel": "7208.39",
    "aluminium": "7601.10",
    "methanol": "2905.11",
    "ammonia": "2814.10",
    "urea": "3102.10",
    "caustic_soda": "2815.12",
    "plastics": "3901.20",
    "tyre": "4011.10",
}
PLATFORM_TABLES = {
    **scale.TABLES,
    "products": ("id", "enterprise_id", "pcr_id", "name", "hs_code", "product_ids"),
    "enterprises": ("id", "name", "name_zh", "company_ids", "region", "created_at"),
    "verifications": ("submission_id", "verifier", "decision", "comments", "at"),
    "search_terms": ("term", "footprint_id", "pcr_id"),
    "signature_checks": ("result_sha256", "key_id", "state", "checked_at"),
}


# ----------------------------------------------------------------------------- the catalogue


def gtin(i: int) -> str:
    """A GTIN-13 under GS1 China's 690 prefix, with its mod-10 check digit."""
    body = f"690{i:09d}"
    total = sum(int(d) * (3 if k % 2 else 1) for k, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def signed_results(made: scale.Plants, key: Path) -> list[str]:
    """Each plant's full result file, signed as publication signs it."""
    sign = publishing._signing(publishing.load_private(key))
    plants, documents, _totals, _pact = made
    out = []
    for template, document in zip(plants, documents, strict=True):
        pcr = zuji.load(template.pcr)
        out.append(result_json(sign(pcr.evaluate(pcr.inventory(document)))))
    return out


def _rows(n: int, made: scale.Plants, results: list[str], when: str, until: str) -> Iterator[Any]:
    plants, documents, totals, pact = made
    rng = random.Random(7)
    for i in range(1, n + 1):
        k = (i - 1) % len(plants)
        pcr_id = plants[k].pcr
        e = (i - 1) // PER_ENTERPRISE + 1
        footprint_id = str(uuid.UUID(int=rng.getrandbits(128)))
        sub = f"s{i:035d}"
        region = ("CN-SD", "CN-JS", "CN-GD")[e % 3]
        named = category(pcr_id)
        product = f"{ADJECTIVES[i % len(ADJECTIVES)]}{named.name_zh} 型号{i % 97}"
        ids = [f"urn:gtin:{gtin(i)}"]
        document = {**documents[k], "company": f"Example Enterprise {e}", "product": product}
        tables: dict[str, list[tuple[Any, ...]]] = {
            "products": [(i, e, pcr_id, product, HS.get(pcr_id), json.dumps(ids))],
            "submissions": [
                (
                    sub,
                    i,
                    pcr_id,
                    "1.0.0",
                    "0" * 64,
                    synthetic.as_bytes(document),
                    "inventory.json",
                    "0" * 64,
                    results[k],
                    totals[k],
                    "1 t",
                    "2023-01-01",
                    "2023-12-31",
                    "published",
                    "benchmark",
                    when,
                )
            ],
            "verifications": [(sub, "client:v1", "accepted", "", when)],
            "footprints": [
                (
                    footprint_id,
                    sub,
                    i,
                    e,
                    pcr_id,
                    "1.0.0",
                    "Active",
                    pact[k].replace(scale._ID, footprint_id, 1),
                    totals[k],
                    "1 t",
                    when,
                    until,
                    "[]",
                    "benchmark",
                    when,
                )
            ],
            "footprint_keys": [
                (footprint_id, "productId", ids[0]),
                (footprint_id, "companyId", f"urn:zuji:company:{e}"),
                (footprint_id, "geography", region.lower()),
            ],
        }
        if (i - 1) % PER_ENTERPRISE == 0:
            tables["enterprises"] = [
                (e, f"Example Enterprise {e}", f"示例企业{e}有限公司", "[]", region, when)
            ]
        words = search.terms(
            product,
            (f"Example Enterprise {e}", f"示例企业{e}有限公司"),
            pcr_id,
            HS.get(pcr_id),
            region,
            ids,
        )
        tables["search_terms"] = [(w, footprint_id, pcr_id) for w in sorted(words)]
        yield footprint_id, tables


def build(db: store.Store, n: int, key: Path) -> tuple[list[str], dict[str, float]]:
    """The catalogue of N footprints; their ids and how long each step took (s)."""
    took: dict[str, float] = {}
    began = time.perf_counter()
    made = scale.plants(n)
    results = signed_results(made, key)
    took["evaluate and sign the plants"] = time.perf_counter() - began
    # Names repeat across rows (a vocabulary): the words of each text are cut once. This is the
    # benchmark's own set-up, not what it measures.
    search.words = functools.lru_cache(maxsize=None)(search.words)  # type: ignore[assignment]
    began = time.perf_counter()
    sqlite = db.kind == "sqlite"
    when = "2024-01-01 00:00:00.000000" if sqlite else "2024-01-01 00:00:00+00"
    until = "2099-01-01 00:00:00.000000" if sqlite else "2099-01-01 00:00:00+00"
    buffers: dict[str, list[tuple[Any, ...]]] = {t: [] for t in PLATFORM_TABLES}
    ids = []
    # Publication checks each signed result once and keeps the outcome by its sha256
    # (public.remember_signature_check): the plants' results, each checked here.
    signer = key_id(publishing.load_private(key).public_key())
    buffers["signature_checks"] = [
        (sha256_hex(text.encode("utf-8")), signer, "valid", when) for text in set(results)
    ]
    connection = db.engine.raw_connection()
    saved, scale.TABLES = scale.TABLES, PLATFORM_TABLES
    try:
        for footprint_id, tables in _rows(n, made, results, when, until):
            ids.append(footprint_id)
            for table, values in tables.items():
                buffers[table] += values
            if len(buffers["footprints"]) >= 20_000:
                scale._flush(connection, buffers, sqlite)
        scale._flush(connection, buffers, sqlite)
        connection.commit()
    finally:
        scale.TABLES = saved
        connection.close()
    took["insert the footprints"] = time.perf_counter() - began
    began = time.perf_counter()
    grades.regrade(db, "benchmark", everything=True)
    took["grade every footprint"] = time.perf_counter() - began
    return ids, took


# ----------------------------------------------------------------------------- the load


def search_paths() -> list[str]:
    """40 searches a reader makes: words, words with a filter, filters alone, a next page."""
    words = [
        "水泥",
        "钢",
        "铝",
        "甲醇",
        "低碳 水泥",
        "环保",
        "示例企业12",
        "热轧",
        "型号5",
        "合成氨",
    ]
    out = [f"/?q={w}" for w in words]
    out += [f"/?q={w}&region=CN-SD" for w in words[:6]]
    out += [f"/?pcr={p}" for p in ("cement", "steel", "aluminium", "methanol", "ammonia")]
    out += [f"/?pcr={p}&region=CN-JS" for p in ("cement", "steel", "methanol")]
    out += ["/?hs=2523", "/?hs=7208", "/?region=CN-GD", "/?q=7601", "/?q=6900000012"]
    out += [f"/?q={w}&grade=" for w in words[:3]]
    while len(out) < 40:
        out.append(f"/?q={words[len(out) % len(words)]}&pcr=cement")
    return out


_LUA = """
local paths = {}
for line in io.lines(os.getenv("ZUJI_PATHS")) do paths[#paths + 1] = line end
math.randomseed(7)
request = function() return wrk.format("GET", paths[math.random(#paths)]) end
"""


def load(url: str, paths: list[str], seconds: int, folder: Path, pid: int) -> Figures:
    """wrk against `url` with paths drawn at random: requests/s, p99 (s), non-2xx answers, and
    the CPU seconds the server (process `pid` and its children) spent per request."""
    spent = tree_cpu(pid)
    listed = folder / f"paths-{free_port()}.txt"
    # wrk sends the request line as written: Chinese words go percent-encoded, as browsers do.
    encoded = [quote(p, safe="/?=&") for p in paths]
    listed.write_text("\n".join(encoded) + "\n", encoding="utf-8")
    script = folder / "paths.lua"
    script.write_text(_LUA, encoding="utf-8")
    found = wrk_kit.run(url, script, CONNECTIONS, seconds, {"ZUJI_PATHS": str(listed)})
    spent = tree_cpu(pid) - spent
    return Figures(found.rate, found.p99, found.bad, spent / max(found.requests, 1))


class Figures(NamedTuple):
    rate: float  # requests/s
    p99: float  # seconds
    bad: int  # answers other than 2xx
    cpu: float  # CPU seconds of the server's processes per request


@contextmanager
def baseline(pages: dict[str, str], folder: Path) -> Iterator[tuple[str, int]]:
    """The bare ASGI baseline under uvicorn with WORKERS workers, serving `pages`."""
    file = folder / "pages.json"
    file.write_text(json.dumps(pages, ensure_ascii=False), encoding="utf-8")
    port = free_port()
    env = {**os.environ, "ZUJI_BASELINE_PAGES": str(file), "PYTHONPATH": str(ROOT / "benchmarks")}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "platform_baseline:app",
            "--port",
            str(port),
            "--workers",
            str(WORKERS),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env=env,
        cwd=folder,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(url + "/", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the baseline did not start"
                time.sleep(0.2)
        yield url, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


def measure(db_url: str, ids: list[str], seconds: int, folder: Path) -> list[Row]:
    clients = folder / "clients.json"
    add_client(clients, "bench", ())
    rng = random.Random(11)
    kinds = {
        "product page": [f"/products/{i}" for i in rng.sample(ids, min(PRODUCT_SAMPLE, len(ids)))],
        "search": search_paths(),
    }
    pages: dict[str, str] = {}
    # As served (each worker keeps the pages it wrote while the catalogue is unchanged), then
    # with every page written afresh (--page-cache 0): what a page costs the first time.
    kept = _zuji_figures(db_url, kinds, seconds, folder, pages, "96")
    afresh = _zuji_figures(db_url, kinds, seconds, folder, {}, "0")
    with baseline(pages, folder) as (url, pid):
        base = {k: load(url, p, seconds, folder, pid) for k, p in kinds.items()}
    rows = []
    for kind in kinds:
        rows += _table_rows(kind, kept[kind], base[kind], targets=True)
        rows += _table_rows(f"{kind}, each written afresh", afresh[kind], base[kind], targets=False)
    return rows


def _zuji_figures(
    db_url: str,
    kinds: dict[str, list[str]],
    seconds: int,
    folder: Path,
    pages: dict[str, str],
    page_cache: str,
) -> dict[str, Figures]:
    """`zuji serve` with `--page-cache page_cache` under wrk, each kind of page in turn; every
    path fetched once first (its text put in `pages`, for the baseline to send)."""
    clients = folder / "clients.json"
    options = ("--catalogue", db_url, "--workers", str(WORKERS), "--page-cache", page_cache)
    # A cache folder of its own for each service: the pages a run before left in the shared
    # folder (page_files.py) would be sent from the first request, as after a restart.
    os.environ["ZUJI_CACHE"] = tempfile.mkdtemp(prefix="cache-", dir=folder)
    service = start(clients, folder, *options)
    try:
        with httpx.Client(base_url=service.url, timeout=60) as http:
            for paths in kinds.values():
                for path in paths:
                    answer = http.get(path)
                    assert answer.status_code == 200, f"{path}: {answer.status_code}"
                    pages[path] = answer.text
        # Every worker warmed on both kinds: its word cutter loaded, its search counts held
        # (a service that has run a few seconds has both; one fetch per path reaches one worker).
        pid = service.process.pid
        for paths in kinds.values():
            load(service.url, paths, 5, folder, pid)
        return {k: load(service.url, p, seconds, folder, pid) for k, p in kinds.items()}
    finally:
        service.stop()


def _table_rows(kind: str, zuji_figures: Figures, base: Figures, targets: bool) -> list[Row]:
    rate, p99, bad, cpu = zuji_figures
    return [
        Row(
            f"{kind}: requests/s (4 workers)",
            f"{rate:,.0f}",
            f"{base.rate:,.0f}",
            f"{base.rate / rate:.1f}x",
            f">= {TARGET_RATE:.0f}/s" if targets else "-",
            met(rate >= TARGET_RATE and bad == 0) if targets else "-",
        ),
        Row(
            f"{kind}: p99 latency",
            f"{p99 * 1e3:.1f} ms",
            f"{base.p99 * 1e3:.1f} ms",
            f"{p99 / base.p99:.1f}x",
            "< 100 ms" if targets else "-",
            met(p99 < TARGET_P99) if targets else "-",
        ),
        # CPU per request moves far less with the machine's other load than the rate does.
        Row(
            f"{kind}: server CPU per request",
            f"{cpu * 1e3:.2f} ms",
            f"{base.cpu * 1e3:.2f} ms",
            f"{cpu / base.cpu:.1f}x",
            "-",
            "-",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--keep", type=Path, help="a SQLite file to build the catalogue in, or reuse if it exists"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="zuji-platform-") as name:
        folder = Path(name)
        if args.keep is not None and args.keep.exists():
            with store.open_store(str(args.keep)) as db, db.reading() as session:
                ids = list(session.scalars(select(Footprint.id)))
            rows = measure(str(args.keep), ids, args.seconds, folder)
        else:
            rows = _built_and_measured(args, folder)
    print(
        f"{args.rows:,} footprints on {args.database}, wrk -c{CONNECTIONS}, {args.seconds} s each"
    )
    print(render(rows))


def _built_and_measured(args: argparse.Namespace, folder: Path) -> list[Row]:
    keys = args.keep.with_suffix(".keys") if args.keep else folder / "keys"
    keys.mkdir(exist_ok=True)
    with scale.database(args.database, folder) as url:
        url = str(args.keep) if args.keep else url
        with store.open_store(url) as db:
            pair = new_keys(keys)
            publishing.set_signing_key(db, pair.private, "benchmark")
            ids, took = build(db, args.rows, pair.private)
        rows = [Row(step, f"{s:.1f} s", "", "", "", "") for step, s in took.items()]
        return rows + measure(url, ids, args.seconds, folder)


if __name__ == "__main__":
    main()
