"""Zuji as a PACT client: `zuji catalogue pull` against a real Zuji host over TLS, following its
pagination links, fetching the ids it announced, keeping the footprints (catalogue on SQLite and
PostgreSQL) so that an inventory uses one as a supplier input."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from cli_kit import zuji as zuji_cli
from pact_kit import ROOT, Host, publish, start_host
from sqlalchemy import select

import zuji
from zuji.catalogue import clients, pact_events, received, store
from zuji.catalogue.tables import PactEvent


@dataclass
class Supplier:
    host: Host
    secret: str
    ids: dict[str, str]
    cert: Path


@pytest.fixture(scope="module")
def supplier(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Supplier]:
    folder = tmp_path_factory.mktemp("pact-supplier")
    catalogue = str(folder / "supplier.db")
    clinker = {"company": "Example Clinker Co.", "product_ids": ["urn:gtin:06901234500042"]}
    with store.open_store(catalogue) as db:
        ids = {
            "kiln": publish(db, "clinker", "typical_kiln", product="Clinker A", **clinker),
            "dust": publish(db, "clinker", "bypass_dust", product="Clinker B", **clinker),
            "steel": publish(db, "steel", "eaf_rebar", company="Example Steel Co."),
        }
        secret = clients.add_client(db, "grinder", ["customer"], "test")
        clients.share(db, "Example Clinker Co.", "grinder", "test")
    host = start_host(catalogue, folder)
    try:
        yield Supplier(host, secret, ids, host.cert)
    finally:
        host.stop()


def _pull(supplier: Supplier, db: str, *extra: str) -> tuple[int, str, str]:
    ran = zuji_cli(
        "catalogue",
        "pull",
        supplier.host.url,
        "--client-id",
        "grinder",
        "--client-secret",
        supplier.secret,
        "--ca",
        str(supplier.cert),
        "--db",
        db,
        *extra,
    )
    return ran.returncode, ran.stdout, ran.stderr


def test_pull_follows_the_pages_and_keeps_the_footprints(
    supplier: Supplier, catalogue_db: str
) -> None:
    store.open_store(catalogue_db).close()
    code, out, err = _pull(supplier, catalogue_db, "--page", "1")
    assert code == 0, err
    assert "2 new, 0 updated, 0 unchanged, 0 refused" in out
    with store.open_store(catalogue_db) as db:
        kept = received.received(db)
    assert {r.id for r in kept} == {supplier.ids["kiln"], supplier.ids["dust"]}
    assert {r.source for r in kept} == {supplier.host.url}
    assert {r.company for r in kept} == {"Example Clinker Co."}
    code, out, _ = _pull(supplier, catalogue_db)
    assert code == 0 and "0 new, 0 updated, 2 unchanged" in out


def test_a_pulled_footprint_is_a_supplier_input(
    supplier: Supplier, catalogue_db: str, tmp_path: Path
) -> None:
    store.open_store(catalogue_db).close()
    assert _pull(supplier, catalogue_db)[0] == 0
    folder = tmp_path / "suppliers"
    ran = zuji_cli("catalogue", "suppliers", "--export", str(folder), "--db", catalogue_db)
    assert ran.returncode == 0 and "wrote 2 footprints" in ran.stdout
    case = yaml.safe_load(
        (ROOT / "pcr" / "cement" / "cases" / "purchased_clinker.yaml").read_text(encoding="utf-8")
    )
    inventory = case["inventory"]
    inventory["inputs"]["bought_clinker_footprint"] = {
        "pact": f"suppliers/{supplier.ids['kiln']}.json"
    }
    path = tmp_path / "inventory.yaml"
    path.write_text(yaml.safe_dump(inventory, allow_unicode=True), encoding="utf-8")
    result = zuji.load("cement").evaluate(path)
    used = [v["supplier"] for v in result.data_quality.inputs.values() if v.get("supplier")]
    assert [u["id"] for u in used] == [supplier.ids["kiln"]]
    document = json.loads((folder / f"{supplier.ids['kiln']}.json").read_text(encoding="utf-8"))
    assert used[0]["company"] == document["companyName"] == "Example Clinker Co."


def test_announced_ids_are_fetched_and_those_not_shared_refused(
    supplier: Supplier, catalogue_db: str
) -> None:
    announced = {
        "type": pact_events.PUBLISHED,
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": supplier.host.url + "/3/events",
        "time": "2026-12-01T10:00:00Z",
        "data": {"pfIds": [supplier.ids["kiln"], supplier.ids["steel"]]},
    }
    with store.open_store(catalogue_db) as db:
        pact_events.receive(db, "grinder", pact_events.checked(announced), "https://us.example")
    code, out, err = _pull(supplier, catalogue_db)
    assert code == 1  # one announced footprint could not be fetched
    assert "2 new" in out and "1 refused" in out
    assert f"{supplier.ids['steel']}: GetFootprint answered 403 AccessDenied" in err
    with store.open_store(catalogue_db) as db, db.reading() as session:
        row = session.scalars(
            select(PactEvent).where(PactEvent.type == pact_events.PUBLISHED)
        ).one()
    assert row.state == "done"


def test_a_partners_stored_credentials_are_used(supplier: Supplier, catalogue_db: str) -> None:
    store.open_store(catalogue_db).close()
    added = zuji_cli(
        "catalogue", "partner", "add", supplier.host.url, "--client-id", "grinder",
        "--client-secret", supplier.secret, "--ca", str(supplier.cert), "--db", catalogue_db,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert supplier.secret not in added.stdout + added.stderr
    ran = zuji_cli("catalogue", "pull", supplier.host.url, "--db", catalogue_db)
    assert ran.returncode == 0 and "2 new" in ran.stdout


def test_wrong_credentials_are_a_clear_error(supplier: Supplier, catalogue_db: str) -> None:
    store.open_store(catalogue_db).close()
    ran = zuji_cli(
        "catalogue", "pull", supplier.host.url, "--client-id", "grinder",
        "--client-secret", "wrong", "--ca", str(supplier.cert), "--db", catalogue_db,
    )  # fmt: skip
    assert ran.returncode == 1
    assert "error[E959]" in ran.stderr and "refused the credentials of 'grinder' (401" in ran.stderr
    assert "Traceback" not in ran.stderr
    unknown = zuji_cli("catalogue", "pull", "https://127.0.0.1:9/", "--db", catalogue_db)
    assert (
        unknown.returncode == 1
        and "error[E959]: no credentials for https://127.0.0.1:9" in unknown.stderr
    )
