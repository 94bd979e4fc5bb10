"""Signed results: Ed25519 keys, and signatures over a result's RFC 8785 canonical JSON.

What is signed is the result document as it stands in its file without its `signature` block,
written in the JSON Canonicalization Scheme (RFC 8785, core.canonical): any JCS implementation
and any Ed25519 library can check a Zuji signature. The key id is ``sha256:`` and the hex sha256
of the raw 32-byte public key. The signature value is base64url without padding.

Private keys are PKCS#8 PEM files created with mode 0600; public keys SubjectPublicKeyInfo PEM
files beside them. Keys are made by the `cryptography` package, never by hand.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from zuji.core.canonical import NotCanonical, canonical_json, sha256_hex
from zuji.core.errors import Diagnostic, ResultError, Span, UsageError, file_label
from zuji.core.files import write_atomic
from zuji.runtime.result import Signature

ALGORITHM: Literal["Ed25519"] = "Ed25519"
PRIVATE_NAME = "zuji-signing.key"
PUBLIC_NAME = "zuji-signing.pub"
MOST_KEY_BYTES = 16_384  # a PEM Ed25519 key is ~120 bytes; anything far larger is not one


@dataclass(frozen=True)
class KeyPair:
    private: Path
    public: Path
    key_id: str


def new_keys(folder: Path) -> KeyPair:
    """A new Ed25519 key pair in `folder`; an existing key there is never overwritten (E735)."""
    private, public = folder / PRIVATE_NAME, folder / PUBLIC_NAME
    for path in (private, public):
        if path.exists() or path.is_symlink():
            raise UsageError(
                Diagnostic(
                    "E735",
                    f"{file_label(path)} exists; a key is never overwritten",
                    hint="move it away, or give another folder with --out",
                )
            )
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    write_atomic(private, pem, mode=0o600)
    write_atomic(public, public_pem(key.public_key()))
    return KeyPair(private, public, key_id(key.public_key()))


def public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def key_id(key: Ed25519PublicKey) -> str:
    """sha256:<hex> of the raw 32-byte public key: what a signature names its key by."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "sha256:" + sha256_hex(raw)


def load_private(path: Path) -> Ed25519PrivateKey:
    """An Ed25519 private key from a PEM file; a missing or wrong file is a UsageError (exit 2)."""
    data = _key_bytes(path)
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        raise _not_a_key(path, "an unencrypted PEM private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise _not_a_key(path, "an Ed25519 private key")
    return key


def load_public(path: Path) -> Ed25519PublicKey:
    """An Ed25519 public key from a PEM file (a private key file gives its public half)."""
    data = _key_bytes(path)
    if b"PRIVATE KEY" in data:
        return load_private(path).public_key()
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError):
        raise _not_a_key(path, "a PEM public key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise _not_a_key(path, "an Ed25519 public key")
    return key


def _key_bytes(path: Path) -> bytes:
    label = file_label(path)
    try:
        if not path.is_file():
            raise UsageError(Diagnostic("E002", f"key file {label} not found"))
        if path.stat().st_size > MOST_KEY_BYTES:
            raise _not_a_key(path, "a key file (it is far too large)")
        with path.open("rb") as stream:
            return stream.read(MOST_KEY_BYTES + 1)
    except OSError as exc:
        raise UsageError(
            Diagnostic("E002", f"cannot read key file {label}: {exc.strerror}")
        ) from None


def _not_a_key(path: Path, what: str) -> UsageError:
    label = file_label(path)
    return UsageError(
        Diagnostic(
            "E730",
            f"{label} is not {what}",
            Span(label, 1, 1),
            hint="make a key pair with 'zuji keys new'",
        )
    )


def signed_bytes(document: dict[str, Any], label: str) -> bytes:
    """What a signature covers: the result document without its signature, in RFC 8785 form."""
    unsigned = {k: v for k, v in document.items() if k != "signature"}
    try:
        return canonical_json(unsigned)
    except NotCanonical as exc:
        raise ResultError(
            Diagnostic(
                "E736",
                f"{label}: the result has no canonical JSON form to sign: {exc}",
                Span(label, 1, 1),
            )
        ) from None


def sign(document: dict[str, Any], key: Ed25519PrivateKey, label: str) -> Signature:
    value = key.sign(signed_bytes(document, label))
    return Signature(alg=ALGORITHM, key_id=key_id(key.public_key()), value=_b64(value))


def check_signature(
    document: dict[str, Any], signature: Signature, key: Ed25519PublicKey, label: str
) -> str:
    """ "" when `signature` is the key's signature over the document, else what is wrong."""
    mine = key_id(key)
    if signature.key_id != mine:
        return (
            f"signed with key {signature.key_id[:23]}..., but the key given is {mine[:23]}...; "
            "give the public key of the signer"
        )
    try:
        raw = base64.urlsafe_b64decode(signature.value + "==")
    except (binascii.Error, ValueError):
        return "the signature value is not base64url"
    try:
        key.verify(raw, signed_bytes(document, label))
    except InvalidSignature:
        return (
            "the signature does not match the result: the file was changed after it was "
            "signed, or the signature was"
        )
    return ""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


__all__ = [
    "ALGORITHM",
    "PRIVATE_NAME",
    "PUBLIC_NAME",
    "KeyPair",
    "check_signature",
    "key_id",
    "load_private",
    "load_public",
    "new_keys",
    "sign",
    "signed_bytes",
]
