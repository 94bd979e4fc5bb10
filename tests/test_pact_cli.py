"""The PACT host's commands and settings: partners and their credentials, the events queue,
`zuji serve`'s TLS options and self-signed certificate, and the HTTPS-only rule of the PACT
actions and of an exposed token endpoint."""

from __future__ import annotations

import json
import stat
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn
from cli_kit import zuji
from serve_kit import free_port

from zuji.catalogue import clients, pact_events, partners, store
from zuji.interfaces.serve import create_app
from zuji.interfaces.serve_config import ServiceConfig
from zuji.interfaces.serve_tls import self_signed


def test_partners_are_added_listed_and_removed(catalogue_db: str) -> None:
    store.open_store(catalogue_db).close()
    added = zuji(
        "catalogue", "partner", "add", "https://PACT.Supplier.example/3/events/",
        "--client-id", "zuji-buyer", "--client-secret", "s3cret-value", "--db", catalogue_db,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert "partner https://pact.supplier.example: client zuji-buyer" in added.stdout
    assert "stored as given" in added.stderr and "s3cret-value" not in added.stdout + added.stderr
    listed = zuji("catalogue", "partner", "list", "--json", "--db", catalogue_db)
    assert json.loads(listed.stdout) == [
        {"url": "https://pact.supplier.example", "client_id": "zuji-buyer", "ca": False}
    ]
    assert "s3cret" not in listed.stdout
    with store.open_store(catalogue_db) as db, db.reading() as session:
        found = partners.partner_for(session, "//pact.supplier.example/3/events")
    assert found is not None and found.client_secret == "s3cret-value"  # usable, as it must be
    removed = zuji(
        "catalogue", "partner", "remove", "https://pact.supplier.example", "--db", catalogue_db
    )
    assert removed.returncode == 0
    assert (
        zuji("catalogue", "partner", "list", "--json", "--db", catalogue_db).stdout.strip() == "[]"
    )


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://pact.supplier.example", "is plain HTTP"),
        ("ftp://pact.supplier.example", "is not a PACT host's URL"),
        ("https://user:pw@pact.supplier.example", "is not a PACT host's URL"),
    ],
)
def test_a_partner_url_must_be_https(catalogue_db: str, url: str, says: str) -> None:
    store.open_store(catalogue_db).close()
    ran = zuji(
        "catalogue", "partner", "add", url, "--client-id", "a", "--client-secret", "b",
        "--db", catalogue_db,
    )  # fmt: skip
    assert ran.returncode == 1
    assert "error[E957]" in ran.stderr and says in ran.stderr
    with store.open_store(catalogue_db) as db:
        assert partners.partners(db) == []
    loopback = zuji(
        "catalogue", "partner", "add", "http://localhost:8004", "--client-id", "a",
        "--client-secret", "b", "--db", catalogue_db,
    )  # fmt: skip
    assert loopback.returncode == 0  # a host on this machine may be plain HTTP (a test tool)


def test_events_are_listed_and_sent_by_hand(catalogue_db: str) -> None:
    with store.open_store(catalogue_db) as db:
        clients.add_client(db, "buyer", ["customer"], "test")
        url = f"https://127.0.0.1:{free_port()}"  # nothing listens there
        partners.add_partner(db, url, "a", "b", "test")
        request = {
            "type": pact_events.CREATED,
            "specversion": "1.0",
            "id": "req-1",
            "source": url,
            "time": "2026-12-01T10:00:00Z",
            "data": {"productId": ["urn:pact:null"]},
        }
        pact_events.receive(db, "buyer", pact_events.checked(request), "https://us.example")
    sent = zuji("catalogue", "events", "send", "--db", catalogue_db)
    assert sent.returncode == 1
    assert "answered 1 requests; sent 0 events, 1 failed, 0 abandoned" in sent.stdout
    listed = json.loads(zuji("catalogue", "events", "list", "--json", "--db", catalogue_db).stdout)
    by_direction = {row["direction"]: row for row in listed}
    assert by_direction["in"]["state"] == "done" and by_direction["in"]["id"] == "req-1"
    out = by_direction["out"]
    assert (out["type"], out["state"], out["attempts"]) == ("RequestRejectedEvent", "pending", 1)
    assert "cannot be reached" in out["last_error"]


# ----------------------------------------------------------------------------- TLS


def test_a_self_signed_certificate_is_private_and_names_this_machine(tmp_path: Path) -> None:
    from cryptography import x509

    cert, key = self_signed()
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(cert.parent.stat().st_mode) == 0o700
    names = x509.load_pem_x509_certificate(cert.read_bytes()).extensions.get_extension_for_class(
        x509.SubjectAlternativeName
    )
    assert {str(n.value) for n in names.value} == {"localhost", "127.0.0.1", "::1"}


@pytest.mark.parametrize(
    ("options", "says"),
    [
        (["--tls-cert", "CERT"], "--tls-cert and --tls-key are given together"),
        (["--tls-self-signed", "--tls-key", "KEY"], "--tls-self-signed makes its own"),
        (["--tls-cert", "CERT", "--tls-key", "OTHER_KEY"], "cannot be used together"),
        (["--tls-cert", "MISSING", "--tls-key", "KEY"], "--tls-cert missing.pem: no such file"),
    ],
)
def test_tls_options_that_cannot_work_are_refused_before_serving(
    tmp_path: Path, options: list[str], says: str
) -> None:
    cert, key = self_signed(tmp_path / "one")
    _, other_key = self_signed(tmp_path / "two")
    files = {"CERT": cert, "KEY": key, "OTHER_KEY": other_key, "MISSING": tmp_path / "missing.pem"}
    ran = zuji("serve", *[str(files.get(o, o)) for o in options])
    assert ran.returncode == 2
    assert "error[E958]" in ran.stderr and says in ran.stderr


# ----------------------------------------------------------------------------- HTTPS only


@contextmanager
def _serving(catalogue_db: str, **settings: bool) -> Iterator[tuple[httpx.Client, str]]:
    """The catalogue's service on uvicorn in a thread, speaking plain HTTP on 127.0.0.1, and
    a client secret of it."""
    with store.open_store(catalogue_db) as db:
        secret = clients.add_client(db, "buyer", ["customer"], "test")
    app = create_app(config=ServiceConfig(catalogue=catalogue_db, **settings))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            yield http, secret
    finally:
        server.should_exit = True
        thread.join(timeout=30)


FORM = {"grant_type": "client_credentials"}
# What a TLS-terminating proxy on this machine adds; uvicorn trusts it from 127.0.0.1.
PROXIED = {"X-Forwarded-Proto": "https"}


# The rule is the service's, whatever the database: these run on SQLite only.


def test_pact_actions_refuse_plain_http(tmp_path: Path) -> None:
    with _serving(str(tmp_path / "c.db")) as (http, secret):
        for path in ("/3/footprints", "/3/footprints/3a6c14a7-4deb-498a-b5ea-16ce2535b576"):
            refused = http.get(path)
            assert refused.status_code == 403
            assert refused.json()["code"] == "AccessDenied"
            assert refused.json()["message"].startswith("E958: the PACT actions are offered over")
        assert http.post("/3/events", content=b"{}").status_code == 403
        # Through an HTTPS proxy the same request reaches the action (which wants a token).
        assert http.get("/3/footprints", headers=PROXIED).status_code == 401
        # On loopback the token endpoint answers plain HTTP (nothing leaves the machine).
        assert http.post("/auth/token", data=FORM, auth=("buyer", secret)).status_code == 200


def test_an_exposed_service_refuses_tokens_over_plain_http(tmp_path: Path) -> None:
    with _serving(str(tmp_path / "c.db"), exposed=True) as (http, secret):
        refused = http.post("/auth/token", data=FORM, auth=("buyer", secret))
        assert refused.status_code == 400
        assert refused.json()["error"] == "invalid_request"
        assert "E958" in refused.json()["error_description"]
        proxied = http.post("/auth/token", data=FORM, auth=("buyer", secret), headers=PROXIED)
        assert proxied.status_code == 200


def test_insecure_pact_lets_plain_http_through(tmp_path: Path) -> None:
    with _serving(str(tmp_path / "c.db"), insecure_pact=True, exposed=True) as (http, secret):
        token = http.post("/auth/token", data=FORM, auth=("buyer", secret))
        assert token.status_code == 200
        bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
        assert http.get("/3/footprints", headers=bearer).json() == {"data": []}


def test_the_openapi_document_describes_the_pact_routes(tmp_path: Path) -> None:
    with _serving(str(tmp_path / "c.db")) as (http, _):
        document = http.get("/openapi.json").json()
    listing = document["paths"]["/3/footprints"]["get"]
    names = {p["name"] for p in listing["parameters"]}
    assert {"productId", "companyId", "geography", "classification", "status", "limit"} <= names
    assert {"validOn", "validAfter", "validBefore", "after"} <= names
    error = listing["responses"]["401"]["content"]["application/json"]["schema"]
    assert error == {"$ref": "#/components/schemas/PactErrorOut"}
    schema = document["components"]["schemas"]["PactErrorOut"]
    assert set(schema["properties"]) == {"code", "message"}
    events = document["paths"]["/3/events"]["post"]["requestBody"]["content"]
    assert "application/cloudevents+json" in events
