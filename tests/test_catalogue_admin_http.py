"""The administrator's and the enterprises' catalogue routes on a real `zuji serve --catalogue`:
an administrator starts a re-evaluation and reads what moved, sends a notice; an enterprise reads
its notices and marks one read; each role is checked."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from catalogue_kit import publish_case
from serve_kit import start

from zuji.catalogue import clients, store


@pytest.mark.slow
def test_admin_and_enterprise_routes(catalogue_db: str, tmp_path: Path) -> None:
    with store.open_store(catalogue_db) as db:
        publish_case(db, "clinker", "typical_kiln", "CN-SD")
        publish_case(db, "clinker", "organic_carbon", "CN-JS")
        admin = "admin1:" + clients.add_client(db, "admin1", ["admin"], "staff")
        company = "Example Shandong Cement Co. (invented example company)"
        plant = "plant1:" + clients.add_client(db, "plant1", ["enterprise"], "staff", company)
    service = start(tmp_path / "clients.json", tmp_path, "--catalogue", catalogue_db)
    try:
        with httpx.Client(base_url=service.url, timeout=60) as http:
            as_admin, as_plant = {"X-API-Key": admin}, {"X-API-Key": plant}
            refused = http.post(
                "/catalogue/reevaluations", json={"pcr": "clinker"}, headers=as_plant
            )
            assert refused.status_code == 403
            started = http.post(
                "/catalogue/reevaluations", json={"pcr": "clinker"}, headers=as_admin
            )
            assert started.status_code == 202, started.text
            where = started.headers["Location"]
            assert started.json()["items"] == 2
            deadline, shown = time.monotonic() + 120, None
            while time.monotonic() < deadline:
                shown = http.get(where, headers=as_admin).json()
                if shown["state"] == "computed":
                    break
                time.sleep(0.2)
            assert shown is not None and shown["counts"] == {"same": 2} and shown["moved"] == []
            missing = http.get("/catalogue/reevaluations/nope", headers=as_admin)
            assert missing.status_code == 404 and missing.json()["code"] == "E961"
            rejected = http.post(f"{where}/reject", json={"reason": "no change"}, headers=as_admin)
            assert rejected.json()["state"] == "rejected"

            notice = {"kind": "policy", "title": "Quota", "body": "New rules.", "region": "CN-SD"}
            sent = http.post("/catalogue/notices", json=notice, headers=as_admin)
            assert sent.status_code == 201 and sent.json()["recipients"] == 1
            assert http.post("/catalogue/notices", json=notice, headers=as_plant).status_code == 403
            mine = http.get("/catalogue/notices", headers=as_plant).json()
            assert [(n["title"], n["readAt"]) for n in mine] == [("Quota", None)]
            read = http.post(f"/catalogue/notices/{mine[0]['id']}/read", headers=as_plant)
            assert read.status_code == 200
            again = http.get("/catalogue/notices", headers=as_plant).json()
            assert again[0]["readAt"] == read.json()["readAt"]
            nobody = {**notice, "region": "CN-GD"}
            none = http.post("/catalogue/notices", json=nobody, headers=as_admin)
            assert none.status_code == 400 and none.json()["code"] == "E966"
    finally:
        service.stop()
