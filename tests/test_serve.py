"""The HTTP service over real HTTP on 127.0.0.1: routes, problem details, limits, and a
schemathesis run of every operation of its OpenAPI document."""

from __future__ import annotations

import hashlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
import uvicorn
import yaml
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

import zuji
from zuji.core.access import add_client
from zuji.interfaces.serve import create_app
from zuji.interfaces.serve_config import ServiceConfig

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "pcr" / "cement" / "cases"
MAX_BODY = 200_000  # small, so the limit tests send little
MAX_RULE = 50_000


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def clients(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    path = tmp_path_factory.mktemp("clients") / "clients.json"
    return path, add_client(path, "tester", ())


@contextmanager
def _serving(config: ServiceConfig) -> Iterator[str]:
    """The app on uvicorn in a thread of this process, on a free 127.0.0.1 port."""
    port = _free_port()
    settings_ = uvicorn.Config(
        create_app(config=config), host="127.0.0.1", port=port, log_level="warning"
    )
    instance = uvicorn.Server(settings_)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not instance.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        instance.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def server(clients: tuple[Path, str]) -> Iterator[str]:
    config = ServiceConfig(max_body=MAX_BODY, max_rule=MAX_RULE, clients_file=clients[0])
    with _serving(config) as url:
        yield url


@pytest.fixture(scope="module")
def token(server: str, clients: tuple[Path, str]) -> str:
    response = httpx.post(
        server + "/auth/token",
        data={"grant_type": "client_credentials"},
        auth=("tester", clients[1]),
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


@pytest.fixture(scope="module")
def http(server: str, token: str) -> Iterator[httpx.Client]:
    # A client's bearer token on every request: the routes that cost need it, the others not.
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=server, timeout=30, headers=headers) as client:
        yield client


def _case_inventory(name: str) -> dict[str, Any]:
    document = yaml.safe_load((CASES / f"{name}.yaml").read_text(encoding="utf-8"))
    return json.loads(json.dumps(document["inventory"], default=str))  # dates as ISO strings


def _is_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    for key in ("type", "title", "status", "detail", "instance", "code"):
        assert key in body, key
    assert body["status"] == status and body["code"] == code, body
    return body


# ----------------------------------------------------------------------------- routes


def test_health_and_library(http: httpx.Client) -> None:
    health = http.get("/health").json()
    assert health["status"] == "ok" and health["engine"] == f"zuji {zuji.__version__}"
    listed = {p["id"]: p for p in http.get("/pcrs").json()}
    assert listed["cement"]["version"] == zuji.load("cement").version
    assert listed["cement"]["links"]["docs"]["href"] == "pcr/cement/"


def test_pcr_metadata_schema_and_docs_link(http: httpx.Client) -> None:
    detail = http.get("/pcrs/cement").json()
    cement = zuji.load("cement")
    assert detail["source_hash"] == cement.rule.source_hash
    assert detail["links"]["docs"]["href"] == "pcr/cement/"  # relative: the docs site's page
    assert detail["links"]["schema"]["href"] == "/pcrs/cement/schema"
    inputs = {i["name"]: i for i in detail["inputs"]}
    assert inputs["bought_clinker_footprint"]["accepts_pact"] is True
    assert inputs["cement"]["accepts_pact"] is False and inputs["cement"]["quality"] == "primary"
    assert "national" in inputs["grid_region"]["options"]
    assert {c["version"] for c in detail["changelog"]} >= {"1.0.0", "1.1.0"}
    assert http.get("/pcrs/cement/schema").json() == cement.schema()


def test_evaluate_agrees_with_the_python_api(http: httpx.Client) -> None:
    inventory = _case_inventory("typical_plant")
    response = http.post("/pcrs/cement/evaluate", json=inventory)
    assert response.status_code == 200, response.text
    expected = zuji.load("cement").evaluate(inventory)
    assert response.json()["total"] == pytest.approx(expected.total, rel=1e-12)
    assert response.json()["trace"] is None
    traced = http.post("/pcrs/cement/evaluate", params={"trace": "true"}, json=inventory).json()
    assert {line["name"] for line in traced["trace"]["lines"]} == {x.name for x in expected.lines}


def test_a_result_pins_the_exact_bytes_of_the_request_body(http: httpx.Client) -> None:
    # A verifier holding the body the caller sent must find its sha256 in the result.
    body = json.dumps(_case_inventory("typical_plant"), indent=1).encode()
    response = http.post(
        "/pcrs/cement/evaluate", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 200, response.text
    pinned = response.json()["provenance"]["inventory"]
    assert pinned == {"sha256": hashlib.sha256(body).hexdigest(), "of": "bytes"}


def test_supplier_pact_document_inline_over_http(http: httpx.Client) -> None:
    inventory = _case_inventory("purchased_clinker")
    supplier = json.loads((CASES / "supplier-clinker.json").read_text(encoding="utf-8"))
    inventory["inputs"]["bought_clinker_footprint"] = {"pact": supplier}
    result = http.post("/pcrs/cement/evaluate", json=inventory).json()
    line = next(x for x in result["lines"] if x["name"] == "bought_clinker_supply")
    # 150 000 t × 0.8405 t CO2e/t over 1 000 000 t cement, in kg per t
    assert line["co2e_kg"] == pytest.approx(150000 * 0.8405 * 1000 / 1e6, rel=1e-12)
    assert (
        result["data_quality"]["inputs"]["bought_clinker_footprint"]["supplier"]["id"]
        == supplier["id"]
    )
    # A server reads no files named in a request: the document must come inline.
    inventory["inputs"]["bought_clinker_footprint"] = {"pact": "supplier-clinker.json"}
    body = _is_problem(http.post("/pcrs/cement/evaluate", json=inventory), 422, "E501")
    assert body["where"] == "bought_clinker_footprint"
    assert "by file only in an inventory file" in body["detail"]


def test_pact_route(http: httpx.Client) -> None:
    document = http.post("/pcrs/cement/pact", json=_case_inventory("typical_plant")).json()
    assert zuji.check_pact(document) == []
    assert document["pcf"]["pcfExcludingBiogenicUptake"].startswith("675.82182")


# ----------------------------------------------------------------------------- problems


def test_unknown_pcr_is_a_404_problem(http: httpx.Client) -> None:
    body = _is_problem(http.get("/pcrs/no_such_pcr"), 404, "E002")
    assert body["instance"] == "/pcrs/no_such_pcr" and body["where"] == "pcr_id"
    _is_problem(http.post("/pcrs/no_such_pcr/evaluate", json={"inputs": {}}), 404, "E002")


def test_problems_speak_the_language_of_accept_language(http: httpx.Client) -> None:
    asked = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}
    chinese = _is_problem(http.get("/pcrs/no_such_pcr", headers=asked), 404, "E002")
    english = _is_problem(http.get("/pcrs/no_such_pcr"), 404, "E002")
    assert (chinese["title"], english["title"]) == ("未找到", "Not found")
    assert chinese["detail"] == "库中没有 PCR 'no_such_pcr'"
    assert english["detail"] == "no PCR 'no_such_pcr' in the library"
    # Only the words change: the type, the code, the place and the field names stay.
    for key in ("type", "status", "instance", "code", "where"):
        assert chinese[key] == english[key], key
    assert chinese["diagnostics"][0].keys() == english["diagnostics"][0].keys()
    inventory = _case_inventory("typical_plant")
    del inventory["inputs"]["cement"]
    body = _is_problem(
        http.post("/pcrs/cement/evaluate", json=inventory, headers=asked), 422, "E501"
    )
    assert body["title"] == "清单与 PCR 不符"
    # Refused before any route reads it, by the body limit: still in the language asked for.
    big = b"{" + b" " * (MAX_BODY + 10) + b"}"
    too_large = http.post(
        "/pcrs/cement/evaluate",
        content=big,
        headers={"content-type": "application/json", **asked},
    )
    body = _is_problem(too_large, 413, "E900")
    assert body["title"] == "请求体过大" and "字节" in body["detail"]


def _chinese_problems(http: httpx.Client, server: str) -> list[httpx.Response]:
    """A problem of each kind a client meets, asked for in Chinese."""
    asked = {"Accept-Language": "zh-CN"}
    missing = _case_inventory("typical_plant")
    del missing["inputs"]["cement"]
    wrong_unit = _case_inventory("typical_plant")
    wrong_unit["inputs"]["kiln_electricity"] = "5 t"
    return [
        http.get("/pcrs/no_such_pcr", headers=asked),
        http.post("/pcrs/cement/evaluate", json=missing, headers=asked),
        http.post("/pcrs/cement/evaluate", json=wrong_unit, headers=asked),
        http.post("/pcrs/cement/evaluate?trace=maybe", json=missing, headers=asked),
        http.get("/no/such/route", headers=asked),
        http.delete("/pcrs/cement", headers=asked),
        http.post(
            "/pcrs/cement/evaluate",
            content=b"{",
            headers={"content-type": "application/json", **asked},
        ),
        http.post(
            "/pcrs/cement/evaluate",
            content=b"<xml/>",
            headers={"content-type": "application/xml", **asked},
        ),
        httpx.post(server + "/pcrs/cement/evaluate", json=missing, headers=asked),  # no token
    ]


def test_every_problem_reads_in_chinese_when_asked(http: httpx.Client, server: str) -> None:
    """Title, detail, and each diagnostic's message and hint: no English sentence left (the
    names of inputs and units, and the figures, stay as they are)."""
    from i18n_scenarios import english_sentences

    for response in _chinese_problems(http, server):
        body = response.json()
        said = [body["title"], body["detail"]]
        said += [d["message"] for d in body["diagnostics"]]
        said += [d["hint"] for d in body["diagnostics"] if d["hint"]]
        text = "\n".join(said)
        assert not english_sentences(text), (response.request.url, text)
        assert any("\u4e00" <= c <= "\u9fff" for c in body["title"]), body["title"]


def test_path_traversal_in_the_id_is_refused(http: httpx.Client) -> None:
    for pcr_id in ("..", "common", "CEMENT", "cement.pcr"):
        response = http.get(f"/pcrs/{pcr_id}")
        assert response.status_code in (404, 422), pcr_id
        assert response.headers["content-type"].startswith("application/problem+json")


def test_bad_inventory_names_the_input(http: httpx.Client) -> None:
    inventory = _case_inventory("typical_plant")
    inventory["inputs"]["kiln_electricity"] = "41 250 t"
    body = _is_problem(http.post("/pcrs/cement/evaluate", json=inventory), 422, "E501")
    assert body["where"] == "kiln_electricity" and "energy" in body["detail"]
    del inventory["inputs"]["kiln_electricity"]
    body = _is_problem(http.post("/pcrs/cement/evaluate", json=inventory), 422, "E501")
    assert "kiln_electricity" in body["detail"]


def test_failed_assertion_is_a_422_problem_with_the_rule_position(http: httpx.Client) -> None:
    inventory = _case_inventory("typical_plant")
    del inventory["inputs"]["mgo"]
    body = _is_problem(http.post("/pcrs/cement/evaluate", json=inventory), 422, "E650")
    assert body["where"].startswith("pcr/cement/cement.pcr:")
    assert body["diagnostics"][0]["line"] > 0


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b'{"pcr": "cement", "pcr": "x", "inputs": {}}', "E011"),  # duplicate key
        (b"{not json", "E011"),
        (b"[" * 50_000 + b"]" * 50_000, "E012"),
        (b'{"company": "\xe9"}', "E013"),
        (b"", "E902"),
    ],
)
def test_malformed_bodies_are_400_problems(http: httpx.Client, content: bytes, code: str) -> None:
    response = http.post(
        "/pcrs/cement/evaluate", content=content, headers={"content-type": "application/json"}
    )
    _is_problem(response, 400, code)


def test_not_an_inventory_is_a_422_problem(http: httpx.Client) -> None:
    _is_problem(http.post("/pcrs/cement/evaluate", json=[1, 2]), 422, "E500")
    text = json.dumps(_case_inventory("typical_plant")).replace('"1000000 t"', "1e309", 1)
    body = _is_problem(
        http.post(
            "/pcrs/cement/evaluate",
            content=text.encode(),
            headers={"content-type": "application/json"},
        ),
        422,
        "E501",
    )
    assert any(d["where"] == "cement" and "finite" in d["message"] for d in body["diagnostics"])


def test_wrong_media_type_is_415(http: httpx.Client) -> None:
    response = http.post(
        "/pcrs/cement/evaluate", content=b"<xml/>", headers={"content-type": "application/xml"}
    )
    _is_problem(response, 415, "E902")


def test_body_over_the_limit_is_413(http: httpx.Client) -> None:
    big = b"{" + b" " * (MAX_BODY + 10) + b"}"
    response = http.post(
        "/pcrs/cement/evaluate", content=big, headers={"content-type": "application/json"}
    )
    _is_problem(response, 413, "E900")

    def chunks() -> Iterator[bytes]:  # no content-length: the limit is counted as it streams
        yield b"{"
        for _ in range(MAX_BODY // 1000 + 5):
            yield b" " * 1000
        yield b"}"

    response = http.post(
        "/pcrs/cement/evaluate", content=chunks(), headers={"content-type": "application/json"}
    )
    _is_problem(response, 413, "E900")


def test_unknown_route_and_method(http: httpx.Client) -> None:
    _is_problem(http.get("/nowhere"), 404, "E903")
    response = http.delete("/pcrs")
    _is_problem(response, 405, "E903")
    assert "GET" in response.headers.get("allow", "")
    _is_problem(
        http.post(
            "/pcrs/cement/evaluate",
            params={"trace": "perhaps"},
            json=_case_inventory("typical_plant"),
        ),
        422,
        "E904",
    )


def test_evaluation_parameters_are_checked_as_declared(http: httpx.Client, server: str) -> None:
    """The evaluation routes read their own parameters: a bad PCR id or trace flag gets the
    422 a declared parameter would, in pydantic's words, credentials are asked for first, and
    the flag takes the spellings a declared bool takes."""
    inventory = _case_inventory("typical_plant")
    for route in ("evaluate", "pact"):
        body = _is_problem(http.post(f"/pcrs/Cement-X/{route}", json=inventory), 422, "E904")
        assert body["diagnostics"][0]["where"] == "path/pcr_id", body
        assert "String should match pattern" in body["diagnostics"][0]["message"], body
        long_id = "c" * 65
        body = _is_problem(http.post(f"/pcrs/{long_id}/{route}", json=inventory), 422, "E904")
        assert "at most 64 characters" in body["diagnostics"][0]["message"], body
        # No credentials: 401 before anything is said about the parameters.
        _is_problem(httpx.post(f"{server}/pcrs/Cement-X/{route}", json=inventory), 401, "E906")
    body = _is_problem(http.post("/pcrs/cement/evaluate?trace=", json=inventory), 422, "E904")
    assert body["diagnostics"][0]["where"] == "query/trace", body
    assert "valid boolean" in body["diagnostics"][0]["message"], body
    for spelling, traced in (("TRUE", True), ("on", True), ("1", True), ("no", False)):
        result = http.post(f"/pcrs/cement/evaluate?trace={spelling}", json=inventory)
        assert result.status_code == 200, result.text
        assert bool(result.json()["trace"]) is traced, spelling


def test_openapi_describes_the_evaluation_parameters(http: httpx.Client) -> None:
    """Read by hand, the evaluation routes still say what they take and how to authenticate."""
    paths = http.get("/openapi.json").json()["paths"]
    for route, names in (("evaluate", ["pcr_id", "trace"]), ("pact", ["pcr_id"])):
        operation = paths[f"/pcrs/{{pcr_id}}/{route}"]["post"]
        assert [p["name"] for p in operation["parameters"]] == names
        assert operation["parameters"][0]["schema"]["pattern"] == "^[a-z][a-z0-9_]{0,63}$"
        assert operation["security"] == [{"HTTPBearer": []}, {"APIKeyHeader": []}]
        assert "application/json" in operation["requestBody"]["content"]


# ----------------------------------------------------------------------------- check


def test_check_gives_diagnostics_with_positions(http: httpx.Client) -> None:
    text = (ROOT / "pcr" / "cement" / "cement.pcr").read_text(encoding="utf-8")
    clean = http.post("/check", content=text.encode(), headers={"content-type": "text/plain"})
    assert clean.status_code == 200 and clean.json()["ok"] is True
    assert clean.json()["id"] == "cement"
    broken = text.replace("clinker_used * calcination_factor", "clinker_used + calcination_factor")
    report = http.post("/check", json={"text": broken, "file": "../../etc/cement.pcr"}).json()
    assert report["ok"] is False
    diag = next(d for d in report["diagnostics"] if d["code"] == "E305")
    assert diag["file"] == "cement.pcr"  # the name only, never a path on the server
    assert broken.split("\n")[diag["line"] - 1].find("clinker_used + calcination_factor") >= 0
    assert diag["column"] > 0
    syntax = http.post(
        "/check", content=b"pcr x {\n  version 1.0\n}\n", headers={"content-type": "text/plain"}
    ).json()
    assert syntax["diagnostics"][0]["code"] == "E001" and syntax["diagnostics"][0]["line"] == 2


def test_rule_text_over_the_limit_is_413(http: httpx.Client) -> None:
    text = "# padding\n" * (MAX_RULE // 10 + 1)
    _is_problem(
        http.post("/check", content=text.encode(), headers={"content-type": "text/plain"}),
        413,
        "E901",
    )
    _is_problem(http.post("/check", json={"text": 5}), 422, "E902")


# ----------------------------------------------------------------------------- OpenAPI


def test_openapi_is_published_with_problem_responses(http: httpx.Client) -> None:
    document = http.get("/openapi.json").json()
    assert set(document["paths"]) >= {
        "/health",
        "/pcrs",
        "/pcrs/{pcr_id}",
        "/pcrs/{pcr_id}/schema",
        "/pcrs/{pcr_id}/evaluate",
        "/pcrs/{pcr_id}/pact",
        "/check",
    }
    evaluate = document["paths"]["/pcrs/{pcr_id}/evaluate"]["post"]
    assert "application/problem+json" in evaluate["responses"]["422"]["content"]
    assert "Problem" in document["components"]["schemas"]
    assert document == create_app().openapi()


# The operations come from the app's own OpenAPI document (the same one /openapi.json serves,
# compared above); every generated request goes over HTTP to the server on 127.0.0.1.
schema = schemathesis.openapi.from_dict(create_app().openapi())


@schema.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_every_operation_conforms_to_the_openapi(case: Any, server: str, token: str) -> None:
    case.call_and_validate(
        base_url=server,
        headers={"Authorization": f"Bearer {token}"},
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )


def test_check_of_a_text_with_a_lone_surrogate_is_a_finding(http: httpx.Client) -> None:
    text = (zuji.core.library.pcr_root() / "common" / "heat.pcr").read_text(encoding="utf-8")
    body = '{"text": ' + json.dumps(text).replace("Purchased heat", "Purchased \\ud800") + "}"
    response = http.post(
        "/check", content=body.encode(), headers={"content-type": "application/json"}
    )
    assert response.status_code < 500
    codes = [d["code"] for d in response.json().get("diagnostics", [])]
    assert response.status_code == 200 and "E003" in codes


def test_a_damaged_clients_file_lets_nobody_in(tmp_path: Path) -> None:
    path = tmp_path / "clients.json"
    secret = add_client(path, "tester", ())
    with _serving(ServiceConfig(clients_file=path)) as url:
        key = {"X-API-Key": f"tester:{secret}"}
        inventory = _case_inventory("typical_plant")
        assert httpx.post(url + "/pcrs/cement/pact", json=inventory, headers=key).status_code == 200
        path.write_text("{not json", encoding="utf-8")  # a hand edit gone wrong
        response = httpx.post(url + "/pcrs/cement/pact", json=inventory, headers=key)
        body = _is_problem(response, 503, "E906")
        assert str(tmp_path) not in response.text and "clients file" in body["detail"]
        assert httpx.get(url + "/health").status_code == 200


def test_cors_and_host_names_as_configured(tmp_path: Path) -> None:
    config = ServiceConfig(
        clients_file=tmp_path / "clients.json",
        allowed_hosts=("zuji.example.org",),
        cors_origins=("https://app.example.org",),
    )
    with _serving(config) as url:
        named = {"Host": "zuji.example.org"}
        assert httpx.get(url + "/health", headers=named).status_code == 200
        _is_problem(httpx.get(url + "/health"), 421, "E909")  # 127.0.0.1 is not in the list now
        preflight = {
            **named,
            "Origin": "https://app.example.org",
            "Access-Control-Request-Method": "POST",
        }
        allowed = httpx.options(url + "/pcrs/cement/evaluate", headers=preflight)
        assert allowed.headers["access-control-allow-origin"] == "https://app.example.org"
        other = httpx.get(url + "/pcrs", headers={**named, "Origin": "https://evil.example"})
        assert other.status_code == 200
        assert "access-control-allow-origin" not in other.headers
