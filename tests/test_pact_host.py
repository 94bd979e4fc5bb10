"""The PACT v3 host on a real `zuji serve --catalogue` over TLS on 127.0.0.1, the catalogue on
SQLite and on PostgreSQL: every ListFootprints filter, the pagination links, GetFootprint, the
Error objects of 400, 401, 403 and 404, access per client, and documents that validate against
the official OpenAPI file."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import jsonschema
import pytest
import yaml
from pact_kit import Host, publish, start_host, tls_context

from zuji.catalogue import clients, store
from zuji.core.access import issue_token

# The official file stays outside the repository (its licence), beside the checkout (or beside
# the folder of checkouts, for a checkout one level deeper).
OPENAPI = next(
    (
        folder / "shared" / "pact" / "openapi-v3.0.3.yaml"
        for folder in Path(__file__).resolve().parents[2:4]
        if (folder / "shared" / "pact" / "openapi-v3.0.3.yaml").is_file()
    ),
    Path(__file__).resolve().parents[2] / "shared" / "pact" / "openapi-v3.0.3.yaml",
)
CEMENT = {"company": "Example Cement Co.", "product_ids": ["urn:gtin:06901234500011"]}
CEMENT["company_ids"] = ["urn:pact:zuji.example:company:cement"]
STEEL = {"company": "Example Steel Co.", "product_ids": ["urn:gtin:06901234500028"]}
STEEL["company_ids"] = ["urn:pact:zuji.example:company:steel"]
HYDROGEN = {"company": "Example Hydrogen Co.", "product_ids": ["urn:gtin:06901234500035"]}


@dataclass
class Seeded:
    """A running host over a seeded catalogue, and what a test needs to call it."""

    host: Host
    catalogue: str
    ids: dict[str, str]
    secrets: dict[str, str]
    tokens: dict[str, str] = field(default_factory=dict)

    def token(self, client_id: str) -> str:
        if client_id not in self.tokens:
            self.tokens[client_id] = self.host.token(client_id, self.secrets[client_id])
        return self.tokens[client_id]

    def get(self, path: str, client_id: str = "staff", **headers: str) -> httpx.Response:
        with self.host.client() as http:
            return http.get(
                path, headers={"Authorization": f"Bearer {self.token(client_id)}"} | headers
            )


def _seed(url: str) -> tuple[dict[str, str], dict[str, str]]:
    with store.open_store(url) as db:
        ids = {
            "cement_old": publish(db, "cement", "typical_plant", **CEMENT),
            "cement": publish(db, "cement", "typical_plant", **CEMENT),  # deprecates the first
            "steel": publish(db, "steel", "eaf_rebar", **STEEL),
            "hydrogen": publish(db, "hydrogen", "gas_reforming", **HYDROGEN),
        }
        secrets = {
            "staff": clients.add_client(db, "staff", ["admin"], "test"),
            "buyer": clients.add_client(db, "buyer", ["customer"], "test"),
            "stranger": clients.add_client(db, "stranger", ["customer"], "test"),
        }
        clients.share(db, "Example Cement Co.", "buyer", "test")
    return ids, secrets


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def seeded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Seeded]:
    folder = tmp_path_factory.mktemp("pact-host")
    if request.param == "sqlite":
        url = str(folder / "catalogue.db")
    else:
        from postgres_cluster import fresh_database

        url = fresh_database(
            request.getfixturevalue("postgres_server"), f"pact_{uuid.uuid4().hex[:12]}"
        )
    ids, secrets = _seed(url)
    host = start_host(url, folder)
    try:
        yield Seeded(host, url, ids, secrets)
    finally:
        host.stop()


def _all(seeded: Seeded) -> dict[str, dict[str, Any]]:
    answer = seeded.get("/3/footprints?limit=1000")
    assert answer.status_code == 200
    return {d["id"]: d for d in answer.json()["data"]}


# ----------------------------------------------------------------------------- the filters


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _validity(document: dict[str, Any]) -> tuple[datetime, datetime]:
    """PACT's validity period, worked out here independently of the catalogue: as stated, else
    from the end of the reference period for three calendar years."""
    start = _instant(document.get("validityPeriodStart") or document["pcf"]["referencePeriodEnd"])
    end = document.get("validityPeriodEnd")
    return start, _instant(end) if end else start.replace(year=start.year + 3)


def _geographies(document: dict[str, Any]) -> set[str]:
    pcf = document["pcf"]
    names = ("geographyCountry", "geographyRegionOrSubregion", "geographyCountrySubdivision")
    return {pcf[n].lower() for n in names if n in pcf}


Wanted = Callable[[dict[str, Any]], bool]
CEMENT_END = datetime(2026, 1, 1, tzinfo=UTC)  # typical_plant's period ends 2022-12-31


FILTERS: list[tuple[str, Wanted]] = [
    ("productId=URN:GTIN:06901234500011", lambda d: "urn:gtin:06901234500011" in d["productIds"]),
    (
        "productId=urn:gtin:06901234500011&productId=urn:gtin:06901234500028",
        lambda d: bool(
            {"urn:gtin:06901234500011", "urn:gtin:06901234500028"} & set(d["productIds"])
        ),
    ),
    (
        "companyId=urn:pact:zuji.example:company:steel",
        lambda d: d["companyName"] == "Example Steel Co.",
    ),
    ("geography=cn", lambda d: "cn" in _geographies(d)),
    ("geography=DE", lambda d: "de" in _geographies(d)),
    (
        "classification=urn:pact:productclassification:hs:2523.29",
        lambda d: (
            "urn:pact:productclassification:hs:2523.29" in d.get("productClassifications", [])
        ),
    ),
    ("status=Deprecated", lambda d: d["status"] == "Deprecated"),
    ("status=active", lambda d: d["status"] == "Active"),
    ("status=Bogus", lambda d: False),
    (
        "validOn=2024-06-01T00:00:00Z",
        lambda d: _validity(d)[0] <= _instant("2024-06-01T00:00:00Z") <= _validity(d)[1],
    ),
    (
        "validAfter=2023-01-01T00:00:00Z",
        lambda d: _validity(d)[0] > _instant("2023-01-01T00:00:00Z"),
    ),
    (
        "validBefore=2026-01-02T00:00:00Z",
        lambda d: _validity(d)[1] < _instant("2026-01-02T00:00:00Z"),
    ),
    ("validBefore=2026-01-01T00:00:00Z", lambda d: _validity(d)[1] < CEMENT_END),
    (
        "status=Active&productId=urn:gtin:06901234500011",
        lambda d: d["status"] == "Active" and "urn:gtin:06901234500011" in d["productIds"],
    ),
    (
        "productid=urn:gtin:06901234500035&geography=",
        lambda d: "urn:gtin:06901234500035" in d["productIds"],
    ),
]


@pytest.mark.parametrize(("query", "wanted"), FILTERS, ids=[q for q, _ in FILTERS])
def test_every_filter_matches_what_pact_says(seeded: Seeded, query: str, wanted: Wanted) -> None:
    everything = _all(seeded)
    expected = {i for i, d in everything.items() if wanted(d)}
    answer = seeded.get(f"/3/footprints?{query}")
    assert answer.status_code == 200, answer.text
    assert {d["id"] for d in answer.json()["data"]} == expected


def test_the_filters_select_what_the_seed_put_there(seeded: Seeded) -> None:
    """The expectations above are not empty by accident: the seed's footprints are where the
    filters say (validity from the reference periods of the worked cases)."""
    everything = _all(seeded)
    assert set(everything) == set(seeded.ids.values())
    assert everything[seeded.ids["cement_old"]]["status"] == "Deprecated"
    assert everything[seeded.ids["cement"]]["precedingPfIds"] == [seeded.ids["cement_old"]]
    active = seeded.get("/3/footprints?status=Active").json()["data"]
    assert len(active) == 3
    # typical_plant's reference period ends 2022-12-31 (exclusive end 2023-01-01): valid until
    # 2026-01-01, so validBefore=2026-01-02 takes both cement footprints and =2026-01-01 none.
    cement = everything[seeded.ids["cement"]]
    assert _validity(cement) == (datetime(2023, 1, 1, tzinfo=UTC), CEMENT_END)
    before = seeded.get("/3/footprints?validBefore=2026-01-02T00:00:00Z").json()["data"]
    assert {seeded.ids["cement"], seeded.ids["cement_old"]} <= {d["id"] for d in before}


# ----------------------------------------------------------------------------- pagination


def _pages(seeded: Seeded, first: str) -> list[tuple[list[str], str | None]]:
    pages, link = [], first
    while link is not None and len(pages) < 10:
        answer = seeded.get(link)
        assert answer.status_code == 200
        target = _next(answer)
        pages.append(([d["id"] for d in answer.json()["data"]], target))
        link = target
    return pages


def _next(answer: httpx.Response) -> str | None:
    header = answer.headers.get("link")
    if header is None:
        return None
    target, rel = header.split(";", 1)
    assert rel.strip() == 'rel="next"'
    return target.strip().removeprefix("<").removesuffix(">")


def test_pages_follow_link_headers_to_the_end(seeded: Seeded) -> None:
    pages = _pages(seeded, "/3/footprints?limit=3")
    assert [len(ids) for ids, _ in pages] == [3, 1]
    assert {i for ids, _ in pages for i in ids} == set(seeded.ids.values())
    link = pages[0][1]
    assert link is not None and link.startswith(seeded.host.url + "/3/footprints?")
    assert pages[-1][1] is None


def test_a_link_is_absolute_on_the_requests_host_and_can_be_called_again(seeded: Seeded) -> None:
    port = urlsplit(seeded.host.url).port
    with httpx.Client(verify=tls_context(seeded.host.cert), timeout=30) as http:
        auth = {"Authorization": f"Bearer {seeded.token('staff')}"}
        first = http.get(
            f"https://localhost:{port}/3/footprints?status=Active&limit=1", headers=auth
        )
        link = _next(first)
        assert link is not None
        assert urlsplit(link).netloc == f"localhost:{port}" and urlsplit(link).scheme == "https"
        assert "status=Active" in link and "limit=1" in link
        again = [http.get(link, headers=auth) for _ in range(2)]
    assert again[0].json() == again[1].json()  # repeatable
    assert again[0].headers.get("link") == again[1].headers.get("link")
    assert again[0].json()["data"][0]["status"] == "Active"
    assert again[0].json()["data"][0]["id"] > first.json()["data"][0]["id"]


def test_a_limit_is_never_exceeded(seeded: Seeded) -> None:
    for limit in (1, 2, 4, 1000):
        answer = seeded.get(f"/3/footprints?limit={limit}")
        assert len(answer.json()["data"]) == min(limit, len(seeded.ids))
        assert ("link" in answer.headers) == (limit < len(seeded.ids))


# ----------------------------------------------------------------------------- access and errors


def test_each_client_reads_what_is_shared_with_it(seeded: Seeded) -> None:
    buyer = {d["id"] for d in seeded.get("/3/footprints", "buyer").json()["data"]}
    assert buyer == {seeded.ids["cement"], seeded.ids["cement_old"]}
    assert seeded.get("/3/footprints", "stranger").json() == {"data": []}
    one = seeded.get(f"/3/footprints/{seeded.ids['cement_old']}", "buyer")
    assert one.status_code == 200
    assert one.json()["data"]["id"] == seeded.ids["cement_old"]
    assert one.json()["data"]["status"] == "Deprecated"  # a deprecated one is still served


def _error(answer: httpx.Response, status: int, code: str, diagnostic: str) -> None:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert set(body) == {"code", "message"}
    assert body["code"] == code
    assert body["message"].startswith(f"{diagnostic}: ")


def test_get_footprint_answers_403_404_and_400_with_error_objects(seeded: Seeded) -> None:
    _error(seeded.get(f"/3/footprints/{seeded.ids['steel']}", "buyer"), 403, "AccessDenied", "E945")
    _error(
        seeded.get("/3/footprints/00000000-0000-0000-0000-000000000000"), 404, "NotFound", "E949"
    )
    _error(seeded.get("/3/footprints/not-a-uuid"), 400, "BadRequest", "E955")


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=-3",
        "limit=ten",
        "validOn=yesterday",
        "productIds=urn:x",
        "status=Active&status=Deprecated",
        "after=zzz",
    ],
)
def test_a_malformed_list_request_is_400(seeded: Seeded, query: str) -> None:
    _error(seeded.get(f"/3/footprints?{query}"), 400, "BadRequest", "E955")


def test_tokens_missing_forged_or_expired_are_401(seeded: Seeded) -> None:
    with seeded.host.client() as http:
        missing = http.get("/3/footprints")
        forged = http.get("/3/footprints", headers={"Authorization": "Bearer zuji1.e30.AAAA"})
        with store.open_store(seeded.catalogue) as db:
            registry = clients.registry(db)
        old, _ = issue_token(registry, registry.clients["staff"], lifetime=-5)
        expired = http.get("/3/footprints", headers={"Authorization": f"Bearer {old}"})
    _error(missing, 401, "BadRequest", "E906")
    _error(forged, 401, "BadRequest", "E906")
    _error(expired, 401, "TokenExpired", "E907")
    assert expired.headers["www-authenticate"].startswith("Bearer")


def test_errors_speak_the_callers_language(seeded: Seeded) -> None:
    answer = seeded.get("/3/footprints?limit=0", **{"Accept-Language": "zh-CN"})
    assert answer.json()["code"] == "BadRequest"
    assert "E955" in answer.json()["message"]
    assert any("\u4e00" <= c <= "\u9fff" for c in answer.json()["message"])


def test_plain_http_to_the_tls_port_fails(seeded: Seeded) -> None:
    with pytest.raises(httpx.TransportError):
        httpx.get(seeded.host.url.replace("https:", "http:") + "/3/footprints", timeout=10)


def test_the_openid_configuration_names_the_https_token_endpoint(seeded: Seeded) -> None:
    with seeded.host.client() as http:
        found = http.get("/.well-known/openid-configuration").json()
    assert found["token_endpoint"] == seeded.host.url + "/auth/token"


# ----------------------------------------------------------------------------- the documents


@pytest.fixture(scope="module")
def official() -> jsonschema.Draft202012Validator:
    if not OPENAPI.is_file():
        pytest.fail(f"the official PACT OpenAPI file is not at {OPENAPI}: put shared/pact beside")
    spec = yaml.safe_load(OPENAPI.read_text(encoding="utf-8"))
    defs = json.loads(
        json.dumps(spec["components"]["schemas"]).replace("#/components/schemas/", "#/$defs/")
    )
    listing = spec["paths"]["/3/footprints"]["get"]["responses"]["200"]["content"][
        "application/json"
    ]["schema"]
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$defs": defs, **listing}
    schema = json.loads(json.dumps(schema).replace("#/components/schemas/", "#/$defs/"))
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def test_every_answer_validates_against_the_official_schema(seeded: Seeded, official: Any) -> None:
    listing = seeded.get("/3/footprints").json()
    errors = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in official.iter_errors(listing)
    ]
    assert errors == []
    assert len(listing["data"]) == len(seeded.ids)
    empty = seeded.get("/3/footprints?geography=DE").json()
    assert empty == {"data": []} and not list(official.iter_errors(empty))
