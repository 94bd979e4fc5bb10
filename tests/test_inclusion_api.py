"""The carbon-inclusion API over real HTTP (uvicorn on 127.0.0.1, a seeded SQLite catalogue):
a product by its GTIN with the reduction against the category baseline, computed by hand here
from the worked case's hand-computed total; the 404s that say why in the app's language; bad
GTINs; baskets; categories; app keys (401, 403, a removed client refused); the rate limit
(429 with Retry-After and RateLimit-*); and the OpenAPI document, validated and exercised by
schemathesis."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from inclusion_kit import (
    DEPRECATED_GTIN,
    FRESH_GTIN,
    TYPICAL_TOTAL,
    UNKNOWN_GTIN,
    inventory,
    last_year_end,
    publish,
)
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from web_kit import SEEDED, STAFF, seed
from web_kit import served as serving

from zuji.catalogue import baselines, clients, grades, store, workflow

# The category baseline the tests set, kg CO2e per t cement: the upper end of the plausibility
# band typical_plant.yaml cites for Chinese P·O 42.5 cement (published_range 600–750, from the
# domain fact sheet §4.4).
BASELINE = 750.0
SOURCE = "typical_plant.yaml published_range high (facts.md §4.4), for the tests"
EXPIRED_GTIN = SEEDED[0][4]  # typical_plant, reference period 2022: valid until 2026-01-01
PREFIX = "/inclusion/v1"


@dataclass
class Catalogue:
    url: str
    db: str
    keys: dict[str, str]
    fresh: str

    def app(self, name: str = "shop", **headers: str) -> httpx.Client:
        return httpx.Client(
            base_url=self.url + PREFIX,
            headers={"X-API-Key": f"{name}:{self.keys[name]}", **headers},
            timeout=60,
        )


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Catalogue]:
    folder = tmp_path_factory.mktemp("inclusion")
    db = str(folder / "catalogue.db")
    keys, _ = seed(db, folder / "keys")
    fresh = publish(db, inventory("P·O 42.5 袋装", FRESH_GTIN, last_year_end()))
    gone = publish(db, inventory("P·O 42.5 散装", DEPRECATED_GTIN, last_year_end()))
    with store.open_store(db) as opened:
        workflow.deprecate(opened, gone, STAFF, "withdrawn by the enterprise")
        baselines.set_baseline(opened, "cement", BASELINE, SOURCE, "programme", date(2025, 1, 1))
        for name in ("shop", "gone"):
            keys[name] = clients.add_client(opened, name, ["app"], "programme")
    with serving(db) as url:
        yield Catalogue(url, db, keys, fresh)


def test_a_product_by_its_gtin_with_its_reduction_against_the_baseline(
    catalogue: Catalogue,
) -> None:
    with catalogue.app() as app:
        answer = app.get(f"/products/{FRESH_GTIN}")
        short = app.get(f"/products/{FRESH_GTIN.lstrip('0')}")  # its GTIN-13 form
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["footprint_id"] == catalogue.fresh
    assert body["product"] == "P·O 42.5 袋装"
    assert body["pcr"]["id"] == "cement" and body["pcr"]["name_zh"] == "通用硅酸盐水泥（出厂）"
    assert body["declared_unit"] == "1 t" and body["unit"] == "kg CO2e"
    assert body["footprint"] == pytest.approx(TYPICAL_TOTAL, abs=1e-4)
    assert body["baseline"]["value"] == BASELINE and body["baseline"]["source"] == SOURCE
    # By hand: 750 − 675.8219 = 74.1781 kg CO2e per t below the baseline, and
    # 74.1781 / 750 = 0.0989041 of it.
    assert body["reduction"]["per_unit"] == pytest.approx(74.1781, abs=1e-4)
    assert body["reduction"]["share"] == pytest.approx(0.0989041, abs=1e-6)
    with store.open_store(catalogue.db) as opened, opened.reading() as session:
        graded = grades.grade_lines(session, catalogue.fresh)
    assert [(g["basis"], g["grade"]) for g in body["grades"]] == [
        (line.basis, line.grade) for line in graded
    ]
    assert body["verifier"] == STAFF.name
    assert body["page"] == f"{catalogue.url}/products/{catalogue.fresh}"
    assert datetime.fromisoformat(body["validity"]["end"]) > datetime.now(UTC)
    assert short.json()["footprint_id"] == catalogue.fresh
    assert answer.headers["RateLimit-Limit"] == "600"
    assert int(answer.headers["RateLimit-Remaining"]) < 600


@pytest.mark.parametrize(
    ("gtin", "reason", "zh", "en"),
    [
        (DEPRECATED_GTIN, "deprecated", "已撤销", "withdrawn (Deprecated)"),
        (EXPIRED_GTIN, "expired", "已过有效期", "has expired"),
        (UNKNOWN_GTIN, "unknown", "没有已发布的碳足迹", "no published footprint"),
    ],
)
def test_no_footprint_to_give_is_a_404_saying_why_in_the_apps_language(
    catalogue: Catalogue, gtin: str, reason: str, zh: str, en: str
) -> None:
    for language, words in (("zh-CN,zh;q=0.9", zh), ("en", en)):
        with catalogue.app(**{"Accept-Language": language}) as app:
            answer = app.get(f"/products/{gtin}")
        assert answer.status_code == 404
        assert answer.headers["content-type"] == "application/problem+json"
        problem = answer.json()
        assert problem["code"] == "E988" and problem["where"] == gtin
        assert words in problem["detail"], problem
    with catalogue.app() as app:
        basket = app.get("/products", params={"gtin": [gtin]}).json()
    assert basket["not_answered"][0]["reason"] == reason


@pytest.mark.parametrize(
    ("gtin", "words"),
    [
        ("06901234500104", "check digit 4, but its digits give 3"),
        ("690123450", "8, 12, 13 or 14 digits"),
        ("0690123450010x", "is not a GTIN"),
    ],
)
def test_a_bad_gtin_is_422_naming_it(catalogue: Catalogue, gtin: str, words: str) -> None:
    with catalogue.app(**{"Accept-Language": "en"}) as app:
        answer = app.get(f"/products/{gtin}")
        in_basket = app.get("/products", params={"gtin": [FRESH_GTIN, gtin]})
    assert answer.status_code == 422
    assert answer.json()["code"] == "E987" and answer.json()["where"] == gtin
    assert words in answer.json()["detail"]
    assert in_basket.status_code == 422 and in_basket.json()["where"] == gtin


def test_a_basket_answers_each_gtin_in_one_request(catalogue: Catalogue) -> None:
    asked = [FRESH_GTIN, UNKNOWN_GTIN, EXPIRED_GTIN, FRESH_GTIN]
    with catalogue.app() as app:
        basket = app.get("/products", params={"gtin": asked})
        too_many = app.get("/products", params={"gtin": [FRESH_GTIN] * 101})
        none = app.get("/products")
    assert basket.status_code == 200
    body = basket.json()
    assert [p["gtin"] for p in body["products"]] == [FRESH_GTIN]
    assert [(n["gtin"], n["reason"]) for n in body["not_answered"]] == [
        (UNKNOWN_GTIN, "unknown"),
        (EXPIRED_GTIN, "expired"),
    ]
    assert too_many.status_code == 422 and too_many.json()["code"] == "E987"
    assert none.status_code == 422


def test_categories_list_the_pcrs_with_their_baselines(catalogue: Catalogue) -> None:
    with catalogue.app() as app:
        answer = app.get("/categories")
    assert answer.status_code == 200
    by_id = {c["pcr"]["id"]: c for c in answer.json()}
    assert by_id["cement"]["baseline"]["value"] == BASELINE
    assert by_id["cement"]["declared_unit"] == "1 t"
    assert by_id["steel"]["baseline"] is None


def test_only_an_apps_key_is_let_in(catalogue: Catalogue) -> None:
    path = f"{catalogue.url}{PREFIX}/products/{FRESH_GTIN}"
    none = httpx.get(path)
    wrong = httpx.get(path, headers={"X-API-Key": "shop:not-its-secret"})
    admin = httpx.get(path, headers={"X-API-Key": f"a1:{catalogue.keys['a1']}"})
    assert none.status_code == 401 and "X-API-Key" in none.headers["WWW-Authenticate"]
    assert none.json()["code"] == "E906"
    assert wrong.status_code == 401
    assert admin.status_code == 403 and admin.json()["code"] == "E908"
    with catalogue.app("gone") as app:
        assert app.get(f"/products/{FRESH_GTIN}").status_code == 200  # checked and remembered
        with store.open_store(catalogue.db) as opened:
            clients.remove_client(opened, "gone", "programme")
        deadline = time.monotonic() + 10
        while (status := app.get(f"/products/{FRESH_GTIN}").status_code) == 200:
            assert time.monotonic() < deadline, "a removed client's key still works"
            time.sleep(0.2)
    assert status == 401


def test_a_key_over_its_rate_is_told_when_to_come_back(catalogue: Catalogue) -> None:
    with serving(catalogue.db, inclusion_rate=3) as url:
        headers = {"X-API-Key": f"shop:{catalogue.keys['shop']}"}
        answers = [
            httpx.get(f"{url}{PREFIX}/products/{FRESH_GTIN}", headers=headers) for _ in range(4)
        ]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a.headers["RateLimit-Remaining"] for a in answers] == ["2", "1", "0", "0"]
    over = answers[-1]
    # 3 a minute refill one request every 20 s.
    assert 1 <= int(over.headers["Retry-After"]) <= 20
    assert over.headers["RateLimit-Limit"] == "3"
    assert over.json()["code"] == "E989"
    assert over.headers["content-type"] == "application/problem+json"


def test_the_reference_page_is_served_from_the_package(catalogue: Catalogue) -> None:
    page = httpx.get(f"{catalogue.url}{PREFIX}/docs", headers={"Accept-Language": "zh-CN"})
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "<script" not in page.text
    assert f"GET {PREFIX}/products/{{gtin}}" in page.text
    assert "按条码（GTIN）查询产品" in page.text


def _document(url: str) -> dict[str, Any]:
    answer = httpx.get(f"{url}{PREFIX}/openapi.json")
    assert answer.status_code == 200
    document: dict[str, Any] = answer.json()
    return document


def test_the_openapi_document_is_valid(catalogue: Catalogue) -> None:
    document = _document(catalogue.url)
    assert document["openapi"].startswith("3.1")
    assert document["servers"] == [{"url": PREFIX}]
    assert set(document["paths"]) == {"/products/{gtin}", "/products", "/categories"}
    assert document["components"]["securitySchemes"]["APIKeyHeader"]["name"] == "X-API-Key"
    # Against the OpenAPI 3.1 specification's own JSON Schema (schemathesis carries it), which
    # a document with a wrong part fails.
    schemathesis.openapi.from_dict(document).validate()
    broken = {**document, "paths": {"/products": {"get": {"responses": "none"}}}}
    with pytest.raises(Exception, match="is not of type"):
        schemathesis.openapi.from_dict(broken).validate()


@pytest.fixture(scope="module")
def fuzzed(catalogue: Catalogue) -> Iterator[str]:
    """The service with a rate no fuzzing run reaches, for schemathesis."""
    with serving(catalogue.db, inclusion_rate=100_000) as url:
        yield url


def test_every_operation_answers_as_its_document_says(fuzzed: str, catalogue: Catalogue) -> None:
    """schemathesis's cases of each operation, generated from the served document (a brief
    run: 15 each), all answered as the document says."""
    schema = schemathesis.openapi.from_url(f"{fuzzed}{PREFIX}/openapi.json")
    headers = {"X-API-Key": f"shop:{catalogue.keys['shop']}"}
    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 3
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=15,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
        )
        def conforms(case: Any) -> None:
            case.call_and_validate(base_url=f"{fuzzed}{PREFIX}", headers=headers, checks=checks)

        conforms()
