"""The official PACT conformance suite (wbcsd/pact-conformance-service, the V3.0 test cases,
asynchronous ones included) against `zuji serve --catalogue … --tls-self-signed`, seeded from
the library's worked cases. docs/pact-host.md gives the steps around it.

    python benchmarks/pact_conformance.py --suite PATH/TO/pact-conformance-service

It builds a catalogue in a temporary folder (every worked case of the library submitted,
accepted and published, one of them twice so that a Deprecated footprint is listed too), adds
the client the suite authenticates as (a customer the enterprises share their footprints with)
and the suite's own host as a partner (the suite's published credentials, test_client_id and
test_client_secret, used to send it the answers to its asynchronous requests); starts the host
over TLS with a self-signed certificate, a private PostgreSQL cluster for the suite, and the
suite's own server (which runs the tests and receives the callbacks); starts a test run, waits
for the callbacks, prints every test case's outcome and exits 0 when the run passes.

The suite's code is not part of Zuji: the tester checks it out (git clone) and installs it
(`npm ci`); this script never copies it.
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from pact_kit import Host, all_cases, publish, start_host  # noqa: E402
from postgres_cluster import cluster, fresh_database  # noqa: E402
from serve_kit import free_port  # noqa: E402

from zuji.catalogue import clients, partners, store  # noqa: E402
from zuji.catalogue.tables import Enterprise  # noqa: E402
from zuji.core.errors import ZujiError  # noqa: E402

CLIENT = "pact-conformance"
# The credentials the suite's host accepts at its /auth/token (its FAQ and event handler).
SUITE_CLIENT, SUITE_SECRET = "test_client_id", "test_client_secret"


def seed(catalogue: str, suite_url: str) -> tuple[int, str]:
    """The catalogue the suite tests: (footprints published, the suite's client secret)."""
    published = 0
    with store.open_store(catalogue) as db:
        for pcr_id, case in all_cases():
            try:
                publish(db, pcr_id, case)
                published += 1
            except ZujiError as exc:  # a case the catalogue refuses is reported, not hidden
                print(f"  not published: {pcr_id}/{case}: {exc.diagnostics[0].message}")
        publish(db, "cement", "typical_plant")  # supersedes the first: one footprint Deprecated
        secret = clients.add_client(db, CLIENT, ["customer"], "conformance", events_url=suite_url)
        with db.reading() as session:
            names = list(session.scalars(select(Enterprise.name)))
        for name in names:
            clients.share(db, name, CLIENT, "conformance")
        partners.add_partner(db, suite_url, SUITE_CLIENT, SUITE_SECRET, "conformance")
    return published + 1, secret


@contextmanager
def suite_server(suite: Path, port: int, database: str, cert: Path, log: Path) -> Iterator[str]:
    """The suite's own server (it runs the tests and receives the callbacks)."""
    environment = {
        **os.environ,
        "NODE_ENV": "development",
        "PORT": str(port),
        "DB_CONNECTION_STRING": database,
        "CONFORMANCE_API": f"http://localhost:{port}",
        "LOG_OUTPUT": "console",
        "JWT_SECRET": secrets.token_hex(16),
        "NODE_EXTRA_CA_CERTS": str(cert),  # the host's self-signed certificate
    }
    npx = ["npx", "--no-install", "ts-node"]
    subprocess.run(
        [*npx, "src/data/migrate.ts", "latest"],
        cwd=suite,
        env=environment,
        check=True,
        capture_output=True,
        timeout=300,
    )
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*npx, "src/server.ts"],
            cwd=suite,
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://localhost:{port}"
    try:
        _wait(url + "/health-check", process, log)
        yield url
    finally:
        process.terminate()
        process.wait(30)


def _wait(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the suite's server exited:\n{log.read_text(errors='replace')}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"the suite's server did not start:\n{log.read_text(errors='replace')}")


def run(suite_url: str, host: Host, secret: str, wait: float) -> dict[str, Any]:
    """A V3.0 test run; the run once no test case is pending (or `wait` seconds passed)."""
    started = httpx.post(
        suite_url + "/testruns",
        json={
            "baseUrl": host.url,
            "clientId": CLIENT,
            "clientSecret": secret,
            "version": "V3.0",
            "organizationName": "Zuji",
            "adminEmail": "tester@example.com",
            "adminName": "Zuji tester",
        },
        timeout=600,
    )
    started.raise_for_status()
    result: dict[str, Any] = started.json()
    deadline = time.monotonic() + wait
    while any(r["status"] == "PENDING" for r in result["results"]) and time.monotonic() < deadline:
        time.sleep(1)
        result = httpx.get(f"{suite_url}/testruns/{result['testRunId']}", timeout=30).json()
    return result


def report(result: dict[str, Any]) -> None:
    for case in result["results"]:
        mark = {"SUCCESS": "pass", "FAILURE": "FAIL", "PENDING": "pending"}[case["status"]]
        kind = "mandatory" if case.get("mandatory") else "optional "
        print(f"  {mark:8} {kind} {case['name']}")
        if case["status"] != "SUCCESS" and case.get("errorMessage"):
            print(f"           {case['errorMessage'][:400]}")
    counts = {
        s: sum(r["status"] == s for r in result["results"])
        for s in ("SUCCESS", "FAILURE", "PENDING")
    }
    passed, failed, pending = counts["SUCCESS"], counts["FAILURE"], counts["PENDING"]
    print(
        f"run {result['testRunId']}: {result['status']}, {passed} passed, {failed} failed, "
        f"{pending} pending of {len(result['results'])}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--suite",
        type=Path,
        required=True,
        help="a checkout of wbcsd/pact-conformance-service, after npm ci",
    )
    parser.add_argument("--wait", type=float, default=60, help="seconds to wait for the callbacks")
    parser.add_argument(
        "--keep", action="store_true", help="keep the working folder (logs, catalogue)"
    )
    arguments = parser.parse_args()
    suite = arguments.suite.resolve()
    if not (suite / "node_modules" / ".bin" / "ts-node").exists():
        print(f"{suite} has no node_modules: run `npm ci` in it first", file=sys.stderr)
        return 2
    folder = Path(tempfile.mkdtemp(prefix="zuji-pact-conformance-"))
    suite_port = free_port()
    catalogue = str(folder / "catalogue.db")
    published, secret = seed(catalogue, f"http://localhost:{suite_port}")
    print(f"catalogue {catalogue}: {published} footprints published")
    host = start_host(catalogue, folder, self_signed=True)
    print(f"PACT host {host.url} (certificate {host.cert})")
    try:
        with cluster() as postgres:
            database = fresh_database(postgres, "pact_conformance")
            with suite_server(
                suite, suite_port, database, host.cert, folder / "suite.log"
            ) as suite_url:
                result = run(suite_url, host, secret, arguments.wait)
    finally:
        host.stop()
    report(result)
    print(f"logs and catalogue in {folder}" if arguments.keep else "")
    if not arguments.keep:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)
    passed = result["status"] == "PASS" and all(r["status"] == "SUCCESS" for r in result["results"])
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
