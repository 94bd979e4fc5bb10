"""`zuji serve` as deployed: a real server process on 127.0.0.1 driven over HTTP, for what only
a running service shows — it answers while it computes, keeps its time budget, lets in only
its clients and its host names, and finishes its requests when told to stop."""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from serve_kit import ROOT, WIDGET, Service, huge_rule, start

from zuji.core.access import add_client, issue_token, read_registry, remove_client

INVENTORY = ROOT / "pcr" / "cement" / "cases"


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # The server runs in a folder of its own, outside the checkout, as a deployed one does.
    return tmp_path_factory.mktemp("serve")


@pytest.fixture(scope="module")
def secrets(folder: Path) -> dict[str, str]:
    clients = folder / "clients.json"
    return {
        "full": add_client(clients, "full", ()),
        "reader": add_client(clients, "reader", ["evaluate"]),
        "leaving": add_client(clients, "leaving", ["evaluate"]),
    }


@pytest.fixture(scope="module")
def service(folder: Path, secrets: dict[str, str]) -> Iterator[Service]:
    work = folder / "work"
    work.mkdir()
    running = start(
        folder / "clients.json", folder, "--body-timeout", "2", "--budget", "60", cwd=work
    )
    yield running
    running.stop()


@pytest.fixture(scope="module")
def token(service: Service, secrets: dict[str, str]) -> str:
    response = httpx.post(
        service.url + "/auth/token",
        data={"grant_type": "client_credentials"},
        auth=("full", secrets["full"]),
    )
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert set(body["scope"].split()) == {"evaluate", "check"}
    return str(body["access_token"])


def _inventory(name: str = "typical_plant") -> dict[str, Any]:
    import yaml

    document = yaml.safe_load((INVENTORY / f"{name}.yaml").read_text(encoding="utf-8"))
    return json.loads(json.dumps(document["inventory"], default=str))


def _problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["code"] == code, body
    return body


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# ----------------------------------------------------------------------------- authentication


def test_writes_without_credentials_are_401_problems(service: Service) -> None:
    for path, body in (
        ("/pcrs/cement/evaluate", {"json": _inventory()}),
        ("/pcrs/cement/pact", {"json": _inventory()}),
        ("/check", {"content": b"pcr x {}", "headers": {"content-type": "text/plain"}}),
    ):
        response = httpx.post(service.url + path, **body)  # type: ignore[arg-type]
        problem = _problem(response, 401, "E906")
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert "/auth/token" in problem["diagnostics"][0]["hint"]
    # Reading the library stays open.
    assert httpx.get(service.url + "/pcrs/cement").status_code == 200
    assert httpx.get(service.url + "/pcrs/cement/schema").status_code == 200


def test_token_evaluates_as_the_python_api_does(service: Service, token: str) -> None:
    import zuji

    response = httpx.post(
        service.url + "/pcrs/cement/evaluate", json=_inventory(), headers=_bearer(token)
    )
    assert response.status_code == 200, response.text
    expected = zuji.load("cement").evaluate(_inventory())
    assert response.json()["total"] == pytest.approx(expected.total, rel=1e-12)


def test_bad_forged_and_expired_tokens_are_401(service: Service, token: str, folder: Path) -> None:
    url = service.url + "/pcrs/cement/evaluate"
    _problem(httpx.post(url, json=_inventory(), headers=_bearer("not-a-token")), 401, "E906")
    head, payload, _ = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["exp"] += 10**6  # a longer life, re-encoded: the signature no longer matches
    longer = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    forged = f"{head}.{longer}.{token.split('.')[2]}"
    body = _problem(httpx.post(url, json=_inventory(), headers=_bearer(forged)), 401, "E906")
    assert "signature" in body["detail"]
    registry = read_registry(folder / "clients.json")
    expired, _ = issue_token(registry, registry.clients["full"], lifetime=-1)
    response = httpx.post(url, json=_inventory(), headers=_bearer(expired))
    _problem(response, 401, "E907")
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


def test_the_token_endpoint_is_discoverable(service: Service) -> None:
    found = httpx.get(service.url + "/.well-known/openid-configuration").json()
    assert found["token_endpoint"] == service.url + "/auth/token"
    assert found["grant_types_supported"] == ["client_credentials"]


def test_token_endpoint_refuses_wrong_secrets_in_oauth_shape(
    service: Service, secrets: dict[str, str]
) -> None:
    url = service.url + "/auth/token"
    wrong = httpx.post(url, data={"grant_type": "client_credentials"}, auth=("full", "nope"))
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    grant = httpx.post(url, data={"grant_type": "password"}, auth=("full", secrets["full"]))
    assert grant.status_code == 400 and grant.json()["error"] == "unsupported_grant_type"
    # RFC 6749 also allows the credentials in the form.
    form = {"grant_type": "client_credentials", "client_id": "reader"}
    inline = httpx.post(url, data={**form, "client_secret": secrets["reader"]})
    assert inline.status_code == 200 and inline.json()["scope"] == "evaluate"
    wider = httpx.post(url, data={**form, "client_secret": secrets["reader"], "scope": "check"})
    assert wider.status_code == 400 and wider.json()["error"] == "invalid_scope"


def test_api_key_scope_and_removal(service: Service, secrets: dict[str, str], folder: Path) -> None:
    reader = {"X-API-Key": f"reader:{secrets['reader']}"}
    ok = httpx.post(service.url + "/pcrs/cement/pact", json=_inventory(), headers=reader)
    assert ok.status_code == 200, ok.text
    check = httpx.post(
        service.url + "/check",
        content=b"pcr x {}",
        headers={**reader, "content-type": "text/plain"},
    )
    _problem(check, 403, "E908")
    wrong = {"X-API-Key": f"reader:{secrets['full']}"}
    _problem(httpx.post(service.url + "/pcrs/cement/pact", json={}, headers=wrong), 401, "E906")
    leaving = {"X-API-Key": f"leaving:{secrets['leaving']}"}
    url = service.url + "/pcrs/cement/evaluate"
    assert httpx.post(url, json=_inventory(), headers=leaving).status_code == 200
    remove_client(folder / "clients.json", "leaving")  # the running server rereads the file
    _problem(httpx.post(url, json=_inventory(), headers=leaving), 401, "E906")


# ----------------------------------------------------------------------------- hardening


def test_host_not_allowed_is_refused(service: Service) -> None:
    response = httpx.get(service.url + "/health", headers={"Host": "attacker.example"})
    body = _problem(response, 421, "E909")
    assert "--allow-host" in body["diagnostics"][0]["hint"]
    assert httpx.get(service.url + "/health", headers={"Host": "localhost:1"}).status_code == 200


def test_security_headers(service: Service) -> None:
    response = httpx.get(service.url + "/pcrs")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["content-security-policy"].startswith("default-src 'none'")
    assert "server" not in response.headers
    assert "access-control-allow-origin" not in response.headers  # CORS is off
    page = httpx.get(service.url + "/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "'sha256-" in policy and "unsafe-inline" not in policy


def test_use_outside_the_library_is_refused_without_paths(
    service: Service, token: str, folder: Path
) -> None:
    # Where the old service looked for `use probe.secret`: beside the folder it runs in.
    (folder / "probe").mkdir()
    (folder / "probe" / "secret.pcr").write_text(
        'module secret {\n  version 1.0.0\n  factor s = 7 [t CO2/t] "secret"\n}\n',
        encoding="utf-8",
    )
    text = huge_rule(0).replace("  input widget", "  use probe.secret\n  input widget")
    response = httpx.post(
        service.url + "/check",
        json={"text": text, "file": "/srv/rules/probe.pcr"},
        headers=_bearer(token),
    )
    assert response.status_code == 200, response.text
    codes = [d["code"] for d in response.json()["diagnostics"]]
    assert "E201" in codes
    assert str(folder) not in response.text and str(ROOT) not in response.text
    # A module in the library is found, and named by its place in the library.
    clean = huge_rule(0).replace("  input widget", "  use common.heat\n  input widget")
    report = httpx.post(service.url + "/check", json={"text": clean}, headers=_bearer(token))
    assert "E201" not in [d["code"] for d in report.json()["diagnostics"]], report.text


def test_replies_name_rule_files_by_their_library_place(service: Service, token: str) -> None:
    inventory = _inventory()
    del inventory["inputs"]["mgo"]
    response = httpx.post(
        service.url + "/pcrs/cement/evaluate", json=inventory, headers=_bearer(token)
    )
    body = _problem(response, 422, "E650")
    assert body["where"].startswith("pcr/cement/cement.pcr:")
    assert str(ROOT) not in response.text
    traced = httpx.post(
        service.url + "/pcrs/cement/evaluate?trace=true", json=_inventory(), headers=_bearer(token)
    )
    assert traced.status_code == 200 and "pcr/cement/cement.pcr:" in traced.text
    assert str(ROOT) not in traced.text


def test_a_string_body_is_not_taken_for_a_file(service: Service, token: str) -> None:
    response = httpx.post(
        service.url + "/pcrs/cement/evaluate", json="/etc/hostname", headers=_bearer(token)
    )
    _problem(response, 422, "E500")


def test_slow_body_is_cut_off_and_health_answers(service: Service, token: str) -> None:
    host, port = service.url.removeprefix("http://").split(":")
    started = time.monotonic()
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(
            b"POST /pcrs/cement/evaluate HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nContent-Length: 1000\r\n"
            + f"Authorization: Bearer {token}\r\n\r\n".encode()
        )
        reply = b""
        for _ in range(30):  # a byte a second would take 1 000 s; the server stops it at 2 s
            try:
                sock.sendall(b" ")
            except OSError:
                break
            assert httpx.get(service.url + "/health", timeout=5).status_code == 200
            sock.settimeout(0.5)
            try:
                reply += sock.recv(65536)
            except TimeoutError:
                continue
            if b"\r\n\r\n" in reply:
                break
        # The head may arrive before the body: read on until the server closes the connection.
        sock.settimeout(5)
        while chunk := sock.recv(65536):
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 408"), reply[:200]
    assert b"E911" in reply
    assert time.monotonic() - started < 15


def test_slow_request_head_is_cut_off(service: Service) -> None:
    host, port = service.url.removeprefix("http://").split(":")
    started = time.monotonic()
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        closed = False
        for _ in range(30):  # one header byte every half second, never the end of the head
            try:
                sock.sendall(b"X")
                sock.settimeout(0.5)
                closed = sock.recv(1024) == b""
            except TimeoutError:
                continue
            except OSError:
                closed = True
            if closed:
                break
    assert closed, "the server kept a request head open for 15 s"
    assert time.monotonic() - started < 10  # the deadline is the body timeout, 2 s here


def test_health_answers_within_a_second_while_a_huge_rule_is_checked(
    service: Service, token: str
) -> None:
    outcome: dict[str, Any] = {}

    def check() -> None:
        started = time.monotonic()
        outcome["response"] = httpx.post(
            service.url + "/check",
            content=huge_rule(salt="health").encode(),
            headers={**_bearer(token), "content-type": "text/plain"},
            timeout=120,
        )
        outcome["seconds"] = time.monotonic() - started

    worker = threading.Thread(target=check)
    worker.start()
    latencies = []
    time.sleep(0.3)
    while worker.is_alive():
        started = time.monotonic()
        assert httpx.get(service.url + "/health", timeout=10).status_code == 200
        latencies.append(time.monotonic() - started)
        time.sleep(0.05)
    worker.join()
    assert outcome["response"].status_code == 200, outcome["response"].text
    assert outcome["response"].json()["ok"] is True
    assert outcome["seconds"] > 0.5 and len(latencies) >= 3  # the check did keep it busy
    # A stalled service would answer health only when the check ends; a free one answers at
    # once (the < 50 ms figure is the benchmark's, on a machine not shared with other work).
    assert max(latencies) < max(1.0, outcome["seconds"] / 3), (latencies, outcome["seconds"])


# ----------------------------------------------------------------------------- budget, exposure


def test_over_budget_check_is_503_and_the_service_goes_on(
    folder: Path, secrets: dict[str, str]
) -> None:
    service = start(folder / "clients.json", folder, "--budget", "0.5")
    try:
        key = {"X-API-Key": f"full:{secrets['full']}", "content-type": "text/plain"}
        started = time.monotonic()
        response = httpx.post(
            service.url + "/check", content=huge_rule(salt="budget").encode(), headers=key
        )
        body = _problem(response, 503, "E910")
        assert time.monotonic() - started < 5
        assert "0.5 s" in body["detail"] and "--budget" in body["diagnostics"][0]["hint"]
        # The overrunning checker was replaced: the next check is answered. The rule is a
        # small one, which checks well within the budget even on a loaded machine.
        small = WIDGET.read_bytes()
        deadline = time.monotonic() + 120
        while True:
            again = httpx.post(service.url + "/check", content=small, headers=key, timeout=30)
            if again.status_code == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.5)  # the new checker process is still starting
        assert again.status_code == 200 and again.json()["ok"] is True, again.text
    finally:
        service.stop()


def test_over_budget_evaluation_is_503(folder: Path, secrets: dict[str, str]) -> None:
    # 10 000 fuel items (the list limit) with the trace of every line: far more than a
    # thousandth of a second, however fast the engine and the machine.
    service = start(folder / "clients.json", folder, "--budget", "0.001")
    try:
        inventory = _inventory()
        inventory["inputs"]["kiln_fuels"] = [{"fuel": "raw_coal", "amount": "1 t"}] * 10_000
        evaluation = httpx.post(
            service.url + "/pcrs/cement/evaluate?trace=true",
            json=inventory,
            headers={"X-API-Key": f"full:{secrets['full']}"},
            timeout=60,
        )
        body = _problem(evaluation, 503, "E910")
        assert "0.001 s" in body["detail"]
        assert evaluation.headers["retry-after"] == "1"
        assert httpx.get(service.url + "/health", timeout=10).status_code == 200
    finally:
        service.stop()


def test_listening_beyond_loopback_needs_the_public_flag(folder: Path) -> None:
    refused = subprocess.run(
        [sys.executable, "-m", "zuji", "serve", "--host", "0.0.0.0", "--port", "1"],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(ROOT / "engine"), "PATH": "/usr/bin:/bin"},
        cwd=folder,
    )
    assert refused.returncode == 2
    assert "E912" in refused.stderr and "--public" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_a_damaged_clients_file_stops_the_start(folder: Path) -> None:
    damaged = folder / "damaged.json"
    damaged.write_text('{"format": "zuji-clients/1"}', encoding="utf-8")
    refused = subprocess.run(
        [sys.executable, "-m", "zuji", "serve", "--clients", str(damaged), "--port", "1"],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(ROOT / "engine"), "PATH": "/usr/bin:/bin"},
        cwd=folder,
    )
    assert refused.returncode == 2
    assert "E906" in refused.stderr and "damaged.json" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_sigterm_lets_a_running_request_finish(folder: Path, secrets: dict[str, str]) -> None:
    service = start(folder / "clients.json", folder, "--workers", "2", "--budget", "60")
    outcome: dict[str, httpx.Response] = {}

    def check() -> None:
        outcome["response"] = httpx.post(
            service.url + "/check",
            content=huge_rule(salt="shutdown").encode(),
            headers={"X-API-Key": f"full:{secrets['full']}", "content-type": "text/plain"},
            timeout=120,
        )

    worker = threading.Thread(target=check)
    worker.start()
    time.sleep(1.0)  # the check is under way
    code = service.stop()
    worker.join()
    assert outcome["response"].status_code == 200, outcome["response"].text
    assert outcome["response"].json()["ok"] is True
    assert code == 0, service.output()
    assert "Traceback" not in service.output()


_SETTLING = """
import gc
from fastapi.testclient import TestClient
from zuji.interfaces.serve import app_from_environment, create_app
for app in (create_app(), app_from_environment()):
    before = gc.get_freeze_count()
    with TestClient(app, base_url="http://127.0.0.1") as client:
        assert client.get("/health").status_code == 200
    print(gc.get_freeze_count() - before)
"""


def test_a_workers_loaded_objects_are_out_of_the_collectors_sight(folder: Path) -> None:
    # A full collection walking what a worker loaded to serve stalled every request then
    # arriving (serve_work.settle): a worker of `zuji serve` freezes it; an app built among
    # other work (a test, an embedding program) leaves the collector be.
    ran = subprocess.run(
        [sys.executable, "-c", _SETTLING],
        capture_output=True,
        text=True,
        cwd=folder,
        env={**os.environ, "PYTHONPATH": str(ROOT / "engine")},
        timeout=300,
    )
    assert ran.returncode == 0, ran.stderr
    embedded, worker = (int(n) for n in ran.stdout.split())
    assert embedded == 0 and worker > 10_000
