"""Clients, hashed secrets and signed tokens (zuji.core.access), and `zuji clients`."""

from __future__ import annotations

import json
import stat
import time
from pathlib import Path

import pytest
from cli_kit import zuji

from zuji.core.access import (
    Gate,
    add_client,
    check_token,
    hash_secret,
    issue_token,
    read_registry,
    remove_client,
    secret_matches,
    write_registry,
)
from zuji.core.errors import AccessError, UsageError


def test_secret_is_stored_as_a_salted_scrypt_hash() -> None:
    stored = hash_secret("s3cret")
    assert stored.startswith("scrypt$16384$8$1$") and "s3cret" not in stored
    assert stored != hash_secret("s3cret")  # a salt of its own
    assert secret_matches("s3cret", stored)
    assert not secret_matches("s3cret ", stored)
    assert not secret_matches("s3cret", "md5$abc")


def test_clients_file_is_private_and_holds_no_secret(tmp_path: Path) -> None:
    path = tmp_path / "conf" / "clients.json"
    secret = add_client(path, "acme-erp", ["evaluate"])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert secret not in path.read_text(encoding="utf-8")
    client = read_registry(path).clients["acme-erp"]
    assert client.scopes == ("evaluate",) and secret_matches(secret, client.secret_hash)
    assert list(tmp_path.joinpath("conf").iterdir()) == [path]  # no temporary file left


@pytest.mark.parametrize(
    ("client_id", "scopes", "message"),
    [
        ("Acme", (), "is not allowed"),
        ("a:b", (), "is not allowed"),
        ("acme", ("admin",), "unknown scope"),
    ],
)
def test_bad_clients_are_refused(
    tmp_path: Path, client_id: str, scopes: tuple[str, ...], message: str
) -> None:
    with pytest.raises(UsageError) as caught:
        add_client(tmp_path / "c.json", client_id, scopes)
    assert caught.value.code == "E906" and message in str(caught.value)
    assert not (tmp_path / "c.json").exists()


def test_a_damaged_clients_file_is_a_diagnostic(tmp_path: Path) -> None:
    path = tmp_path / "clients.json"
    path.write_text('{"format": "something else"}', encoding="utf-8")
    with pytest.raises(UsageError) as caught:
        read_registry(path)
    assert caught.value.code == "E906" and "clients.json" in str(caught.value)


def test_token_round_trip_tampering_expiry_and_revocation(tmp_path: Path) -> None:
    path = tmp_path / "clients.json"
    add_client(path, "acme", ["evaluate", "check"])
    registry = read_registry(path)
    token, grant = issue_token(registry, registry.clients["acme"], ["check"], lifetime=60)
    checked = check_token(registry, token)
    assert checked.client_id == "acme" and checked.scopes == {"check"} == grant.scopes
    head, payload, mac = token.split(".")
    flipped = payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1]
    for bad in (f"{head}.{flipped}.{mac}", f"{head}.{payload}.{mac[:-4]}", "zuji1.x", ""):
        with pytest.raises(AccessError) as caught:
            check_token(registry, bad)
        assert caught.value.reason == "invalid"
    with pytest.raises(AccessError) as caught:
        check_token(registry, token, now=time.time() + 61)
    assert caught.value.reason == "expired" and caught.value.code == "E907"
    # Another server's key does not verify it.
    other = tmp_path / "other.json"
    add_client(other, "acme", ())
    with pytest.raises(AccessError):
        check_token(read_registry(other), token)
    remove_client(path, "acme")
    with pytest.raises(AccessError) as caught:
        check_token(read_registry(path), token)
    assert "no longer exists" in str(caught.value)


def test_a_token_cannot_ask_for_more_than_its_client_has(tmp_path: Path) -> None:
    path = tmp_path / "clients.json"
    add_client(path, "reader", ["evaluate"])
    registry = read_registry(path)
    with pytest.raises(AccessError) as caught:
        issue_token(registry, registry.clients["reader"], ["check"])
    assert caught.value.reason == "scope"
    # Scopes taken from a client later are taken from its tokens too.
    token, _ = issue_token(registry, registry.clients["reader"])
    document = json.loads(path.read_text(encoding="utf-8"))
    document["clients"]["reader"]["scopes"] = []
    path.write_text(json.dumps(document), encoding="utf-8")
    assert not check_token(read_registry(path), token).allows("evaluate")


def test_gate_checks_api_keys_and_follows_the_file(tmp_path: Path) -> None:
    path = tmp_path / "clients.json"
    secret = add_client(path, "acme", ["evaluate"])
    gate = Gate(path)
    assert gate.api_key(f"acme:{secret}").allows("evaluate")
    assert gate.api_key(f"acme:{secret}").client_id == "acme"  # remembered, same answer
    for wrong in (f"acme:{secret}x", f"nobody:{secret}", secret):
        with pytest.raises(AccessError):
            gate.api_key(wrong)
    registry = read_registry(path)
    write_registry(path, type(registry)(registry.signing_key, {}))
    with pytest.raises(AccessError):
        gate.api_key(f"acme:{secret}")  # removed from the file: refused at once


def test_clients_command(tmp_path: Path) -> None:
    path = tmp_path / "clients.json"
    added = zuji("clients", "add", "acme", "--scope", "check", "--clients", str(path))
    assert added.returncode == 0, added.stderr
    secret = added.stdout.split("client_secret:")[1].split()[0]
    assert f"acme:{secret}" in added.stdout
    listed = zuji("clients", "list", "--json", "--clients", str(path))
    rows = json.loads(listed.stdout)
    assert [(r["client_id"], r["scopes"]) for r in rows] == [("acme", ["check"])]
    assert secret not in listed.stdout
    again = zuji("clients", "add", "acme", "--clients", str(path))
    assert again.returncode == 2 and "E906" in again.stderr and "exists already" in again.stderr
    assert zuji("clients", "remove", "acme", "--clients", str(path)).returncode == 0
    assert "no clients" in zuji("clients", "list", "--clients", str(path)).stdout
    gone = zuji("clients", "remove", "acme", "--clients", str(path))
    assert gone.returncode == 2 and "no client 'acme'" in gone.stderr
