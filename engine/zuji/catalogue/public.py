"""What the public platform shows of a published footprint, as immutable records: a search's
rows, and a product's page (its figures from the stored result and PACT document, its grades
with their basis, its verification, validity and status, and the check of its signed result
against the catalogue's public key).

Each is read with a few indexed queries; the PCR's names come from categories (read once per
process), the signing key's public half is derived once per key file, and a footprint's
signature is checked once per process (a published result never changes).
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import ValidationError
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from zuji.catalogue.categories import Category, category
from zuji.catalogue.grades import GradeLine
from zuji.catalogue.publishing import SIGNING_KEY
from zuji.catalogue.tables import (
    CheckedSignature,
    Enterprise,
    Footprint,
    Grade,
    Product,
    Setting,
    Submission,
    Verification,
    now,
)
from zuji.core.canonical import sha256_hex
from zuji.core.errors import ZujiError
from zuji.exchange.signing import check_signature, key_id, load_private
from zuji.runtime.result import Signature


def gtins(product_ids: Sequence[Any]) -> tuple[str, ...]:
    """The GTINs among a product's ids (urn:gtin:…), as their digits."""
    return tuple(
        str(p)[len("urn:gtin:") :] for p in product_ids if str(p).lower().startswith("urn:gtin:")
    )


# ----------------------------------------------------------------------------- search rows


@dataclass(frozen=True)
class Hit:
    """A footprint as a search lists it."""

    footprint_id: str
    product: str
    enterprise: str
    enterprise_zh: str
    category: Category
    total: float
    declared_unit: str
    grades: tuple[tuple[str, str], ...]  # (basis, grade), benchmarks first
    valid_until: datetime
    status: str
    expired: bool


# Statements built once: a page pays for running them, not for building them again.
_HITS = (
    select(
        Footprint.id,
        Footprint.pcr_id,
        Footprint.total,
        Footprint.declared_unit,
        Footprint.valid_until,
        Footprint.status,
        Product.name.label("product"),
        Enterprise.name.label("enterprise"),
        Enterprise.name_zh,
    )
    .join(Product, Product.id == Footprint.product_id)
    .join(Enterprise, Enterprise.id == Footprint.enterprise_id)
    .where(Footprint.id.in_(bindparam("ids", expanding=True)))
)
_HIT_GRADES = (
    select(Grade.footprint_id, Grade.basis, Grade.grade)
    .where(Grade.footprint_id.in_(bindparam("ids", expanding=True)))
    .order_by(Grade.basis, Grade.id)
)


def hits(session: Session, ids: Sequence[str]) -> list[Hit]:
    """The rows of the footprints `ids`, in that order (two queries)."""
    if not ids:
        return []
    connection = session.connection()  # plain rows: the ORM's result machinery is not needed
    rows = {row.id: row for row in connection.execute(_HITS, {"ids": list(ids)})}
    graded: dict[str, list[tuple[str, str]]] = {}
    for footprint_id, basis, grade in connection.execute(_HIT_GRADES, {"ids": list(ids)}):
        graded.setdefault(footprint_id, []).append((basis, grade))
    moment = now()
    return [
        Hit(
            footprint_id=r.id,
            product=r.product,
            enterprise=r.enterprise,
            enterprise_zh=r.name_zh or "",
            category=category(r.pcr_id),
            total=r.total,
            declared_unit=r.declared_unit,
            grades=tuple(graded.get(r.id, ())),
            valid_until=r.valid_until,
            status=r.status,
            expired=r.valid_until < moment,
        )
        for r in (rows[i] for i in ids if i in rows)
    ]


_NEXT_EXPIRY = select(func.min(Footprint.valid_until)).where(
    Footprint.valid_until >= bindparam("at")
)


def next_expiry(session: Session) -> datetime | None:
    """The next moment a footprint's validity ends: until then none leaves a search or a
    comparison, nor is shown expired (migration 0006's index finds it without a scan)."""
    found: datetime | None = session.connection().execute(_NEXT_EXPIRY, {"at": now()}).scalar()
    return found


@dataclass(frozen=True)
class Company:
    id: int
    name: str
    name_zh: str


def companies(session: Session) -> list[Company]:
    """The enterprises a search can be narrowed to, by name."""
    query = select(Enterprise.id, Enterprise.name, Enterprise.name_zh).order_by(Enterprise.name)
    return [Company(i, name, zh or "") for i, name, zh in session.execute(query)]


# ----------------------------------------------------------------------------- a product's page


@dataclass(frozen=True)
class Figure:
    """One part of the footprint (a stage or a gas), kg CO2e per declared unit; for a gas also
    its mass in kg."""

    key: str
    label_zh: str
    label_en: str
    co2e: float
    mass: float | None = None


@dataclass(frozen=True)
class Verified:
    verifier: str
    decision: str  # accepted | returned
    at: datetime
    comments: str


@dataclass(frozen=True)
class SignatureCheck:
    """The stored result's signature checked against the catalogue's public key.

    state: valid, invalid (with the problem), unsigned, or unchecked (the catalogue has no key
    this service can read)."""

    state: str
    key_id: str = ""
    problem: str = ""


@dataclass(frozen=True)
class ProductView:
    footprint_id: str
    product: str
    gtins: tuple[str, ...]
    hs_code: str
    enterprise: str
    enterprise_zh: str
    enterprise_id: int
    region: str
    category: Category
    pcr_version: str
    total: float
    declared_unit: str
    declared_description: str
    declared_description_zh: str  # empty in results made before the rules gave it
    stages: tuple[Figure, ...]
    gases: tuple[Figure, ...]
    origins: tuple[Figure, ...]  # fossil, biogenic, land-use change
    credits: float
    removals: float
    grades: tuple[GradeLine, ...]
    quality_rating: str
    quality_dqr: float | None
    primary_share: float | None
    verifications: tuple[Verified, ...]
    valid_from: datetime
    valid_until: datetime
    status: str
    expired: bool
    superseded_by: str | None
    published_at: datetime
    signature: SignatureCheck

    @property
    def verified(self) -> bool:
        return any(v.decision == "accepted" for v in self.verifications)


_VIEW = (
    select(
        Footprint.id,
        Footprint.pcr_id,
        Footprint.pcr_version,
        Footprint.total,
        Footprint.declared_unit,
        Footprint.valid_from,
        Footprint.valid_until,
        Footprint.status,
        Footprint.superseded_by,
        Footprint.published_at,
        Footprint.submission_id,
        Product.name.label("product"),
        Product.hs_code,
        Product.product_ids,
        Enterprise.id.label("enterprise_id"),
        Enterprise.name.label("enterprise"),
        Enterprise.name_zh,
        Enterprise.region,
        Submission.result,
    )
    .join(Product, Product.id == Footprint.product_id)
    .join(Enterprise, Enterprise.id == Footprint.enterprise_id)
    .join(Submission, Submission.id == Footprint.submission_id)
    .where(Footprint.id == bindparam("id"))
)
_GRADES = (
    select(Grade.basis, Grade.grade, Grade.value, Grade.detail)
    .where(Grade.footprint_id == bindparam("id"))
    .order_by(Grade.basis, Grade.id)
)
_VERIFICATIONS = (
    select(Verification.verifier, Verification.decision, Verification.at, Verification.comments)
    .where(Verification.submission_id == bindparam("id"))
    .order_by(Verification.at, Verification.id)
)
_KEY = select(Setting.value).where(Setting.key == SIGNING_KEY)


def product_view(session: Session, footprint_id: str) -> ProductView | None:
    """A published footprint as its public page shows it; None when there is none."""
    connection = session.connection()  # plain rows: the ORM's result machinery is not needed
    row = connection.execute(_VIEW, {"id": footprint_id}).first()
    if row is None:
        return None
    result: dict[str, Any] = json.loads(row.result)
    named = category(row.pcr_id)
    quality, declared = result.get("data_quality") or {}, result.get("declared_unit") or {}
    grades = connection.execute(_GRADES, {"id": row.id})
    verified = connection.execute(_VERIFICATIONS, {"id": row.submission_id})
    return ProductView(
        footprint_id=row.id,
        product=row.product,
        gtins=gtins(row.product_ids or []),
        hs_code=row.hs_code or "",
        enterprise=row.enterprise,
        enterprise_zh=row.name_zh or "",
        enterprise_id=row.enterprise_id,
        region=row.region or "",
        category=named,
        pcr_version=row.pcr_version,
        total=row.total,
        declared_unit=row.declared_unit,
        declared_description=str(declared.get("description", "")),
        declared_description_zh=str(declared.get("description_zh", "")),
        stages=_stages(result, named),
        gases=_gases(result),
        origins=_origins(result),
        credits=float(result.get("credits") or 0.0),
        removals=float(result.get("removals") or 0.0),
        grades=tuple(GradeLine(b, g, v, dict(d or {})) for b, g, v, d in grades),
        quality_rating=str(quality.get("rating", "")),
        quality_dqr=_number(quality.get("dqr")),
        # The result's share is what PACT's primaryDataShare is written from (exchange.pact).
        primary_share=_number(quality.get("primary_data_share")),
        verifications=tuple(Verified(*v) for v in verified),
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        status=row.status,
        expired=row.valid_until < now(),
        superseded_by=row.superseded_by,
        published_at=row.published_at,
        signature=signature_check(session, row.result, result),
    )


def _number(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def _stages(result: dict[str, Any], named: Category) -> tuple[Figure, ...]:
    stages: dict[str, float] = result.get("by_stage") or {}
    return tuple(
        Figure(name, named.stage_title(name, "zh"), named.stage_title(name, "en"), float(value))
        for name, value in stages.items()
    )


def _gases(result: dict[str, Any]) -> tuple[Figure, ...]:
    gases: dict[str, dict[str, Any]] = result.get("by_gas") or {}
    return tuple(
        Figure(gas, gas, gas, float(figure.get("co2e_kg", 0.0)), _number(figure.get("mass_kg")))
        for gas, figure in gases.items()
    )


# The origins' names in both languages (GB/T 24067 and PACT report them apart).
_ORIGINS = {
    "fossil": ("化石", "fossil"),
    "biogenic": ("生物源", "biogenic"),
    "luc": ("土地利用变化", "land-use change"),
}


def _origins(result: dict[str, Any]) -> tuple[Figure, ...]:
    origins: dict[str, float] = result.get("by_origin") or {}
    return tuple(
        Figure(key, *_ORIGINS.get(key, (key, key)), float(value)) for key, value in origins.items()
    )


# ----------------------------------------------------------------------------- the signature

_CHECKED_MOST = 20_000
_checked: OrderedDict[tuple[str, str], SignatureCheck] = OrderedDict()  # (sha256, key id)
_checking = threading.Lock()


@cache
def _public_key(path: str, stamp: tuple[int, int]) -> Ed25519PublicKey | None:
    try:
        return load_private(Path(path)).public_key()
    except ZujiError:
        return None


# The catalogue's key, by database, and when it was read: every product page checks against it,
# and `zuji catalogue init --signing-key` may change it while the service runs.
_KEY_FRESH = 5.0
_keys: dict[str, tuple[float, Ed25519PublicKey | None]] = {}


def catalogue_key(session: Session) -> Ed25519PublicKey | None:
    """The public half of the key the catalogue signs with; None when it has none this service
    can read (read again at most every _KEY_FRESH seconds; its file when it changes)."""
    bind = session.get_bind()
    database = str(bind.engine.url)
    held = _keys.get(database)
    if held is not None and time.monotonic() - held[0] < _KEY_FRESH:
        return held[1]
    path = session.scalar(_KEY)
    key = None
    if path is not None:
        try:
            stat = Path(path).stat()
            key = _public_key(path, (stat.st_mtime_ns, stat.st_size))
        except OSError:
            key = None
    _keys[database] = (time.monotonic(), key)
    return key


def signature_check(session: Session, result_text: str, result: dict[str, Any]) -> SignatureCheck:
    """The stored result's signature against the catalogue's key. The outcome is kept by the
    sha256 of the result's text: in this process, and in the catalogue from its publication
    (remember_signature_check), so a view reads it instead of canonicalising the result; a text
    changed since has another sha256 and is checked anew."""
    signed = result.get("signature")
    if not signed:
        return SignatureCheck("unsigned")
    key = catalogue_key(session)
    if key is None:
        return SignatureCheck("unchecked", str(signed.get("key_id", "")))
    held = (sha256_hex(result_text.encode("utf-8")), key_id(key))
    with _checking:
        found = _checked.get(held)
    if found is None:
        state = session.connection().scalar(_REMEMBERED, {"digest": held[0], "key": held[1]})
        if state == "valid":
            found = SignatureCheck("valid", str(signed.get("key_id", "")))
        else:
            found = _check(result, signed, key)
        with _checking:
            _checked[held] = found
            while len(_checked) > _CHECKED_MOST:
                _checked.popitem(last=False)
    return found


_REMEMBERED = select(CheckedSignature.state).where(
    CheckedSignature.result_sha256 == bindparam("digest"),
    CheckedSignature.key_id == bindparam("key"),
)


def remember_signature_check(session: Session, result_text: str) -> None:
    """At publication: check the signed result once and keep the outcome by its text's sha256
    (a result signed with another key than the catalogue's, or not at all, keeps nothing)."""
    result: dict[str, Any] = json.loads(result_text)
    signed, key = result.get("signature"), catalogue_key(session)
    if not signed or key is None:
        return
    digest, named = sha256_hex(result_text.encode("utf-8")), key_id(key)
    if session.get(CheckedSignature, (digest, named)) is None:
        state = _check(result, signed, key).state
        session.add(CheckedSignature(result_sha256=digest, key_id=named, state=state))


def _check(result: dict[str, Any], signed: dict[str, Any], key: Ed25519PublicKey) -> SignatureCheck:
    try:
        signature = Signature.model_validate(signed)
    except ValidationError:
        return SignatureCheck("invalid", str(signed.get("key_id", "")), "malformed signature")
    document = {k: v for k, v in result.items() if k != "signature"}
    problem = check_signature(document, signature, key, "result")
    return SignatureCheck("invalid" if problem else "valid", signature.key_id, problem)
