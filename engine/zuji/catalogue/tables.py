"""The catalogue's tables, as SQLAlchemy 2 declarative models.

Every change of state is a row in `audit` written in the same transaction as the change, so the
log and the data cannot disagree. Published footprints are immutable: their PACT document is
stored as written; only `status` moves from Active to Deprecated, and a new version is a new row
whose `preceding` names the old ids (PACT's precedingPfIds).

The filter keys of PACT's ListFootprints (productId, companyId, geography, classification) are
many-valued, so they live in `footprint_keys`, one indexed row per (kind, lower-cased value): a
filter is an indexed join at 10^6 footprints, not a scan of JSON documents.

Times are timezone-aware UTC in Python. SQLite has no time-zone type, so UtcDateTime stores them
naive in UTC and gives them back aware; PostgreSQL stores `timestamp with time zone`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """A point in time, always timezone-aware UTC on the Python side."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("the catalogue stores timezone-aware times only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def now() -> datetime:
    """The present moment, to the microsecond, in UTC."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSON,
        list[Any]: JSON,
        datetime: UtcDateTime,
    }


# ----------------------------------------------------------------------------- who


class Enterprise(Base):
    __tablename__ = "enterprises"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    name_zh: Mapped[str | None] = mapped_column(String(200))
    # URNs identifying the company (PACT companyIds), e.g. the unified social credit code.
    company_ids: Mapped[list[Any]] = mapped_column(default=list)
    # ISO 3166-2 subdivision (CN-SD) or country (CN): what notices and the platform filter on.
    region: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=now)


class Site(Base):
    __tablename__ = "sites"
    __table_args__ = (UniqueConstraint("enterprise_id", "name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    name: Mapped[str] = mapped_column(String(200))
    region: Mapped[str | None] = mapped_column(String(16))


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (UniqueConstraint("enterprise_id", "pcr_id", "name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    pcr_id: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(200))
    # HS or CN code (customs classification), e.g. "2523.29" for Portland cement.
    hs_code: Mapped[str | None] = mapped_column(String(16), index=True)
    # URNs identifying the product (PACT productIds): urn:gtin:…, urn:uuid:…
    product_ids: Mapped[list[Any]] = mapped_column(default=list)


class Client(Base):
    """An API client: OAuth2 client credentials (PACT) or an API key, with roles as scopes.
    An enterprise's client acts for that enterprise only."""

    __tablename__ = "clients"
    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    secret_hash: Mapped[str] = mapped_column(String(200))
    scopes: Mapped[list[Any]] = mapped_column(default=list)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"))
    # Where the client's own PACT host is, for asynchronous answers (its /3/events).
    events_url: Mapped[str | None] = mapped_column(String(400))
    created_at: Mapped[datetime] = mapped_column(default=now)


class Share(Base):
    """An enterprise shares its published footprints with a client (a customer) by PACT."""

    __tablename__ = "shares"
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), primary_key=True)
    client_id: Mapped[str] = mapped_column(
        ForeignKey("clients.client_id", ondelete="CASCADE"), primary_key=True
    )


class Setting(Base):
    """Values of the catalogue itself (the token signing key)."""

    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class CatalogueRevision(Base):
    """One row: a number the database's own triggers move on at every change of a table the
    public pages read (migration 0005), so a page kept since an older number is not served."""

    __tablename__ = "catalogue_revision"
    __table_args__ = (CheckConstraint("id = 1", name="ck_catalogue_revision_one_row"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    number: Mapped[int] = mapped_column(BigInteger)
    # A random name given once (migration 0006): pages shared between workers are kept per
    # catalogue, and a revision number alone does not say which catalogue it counts.
    instance: Mapped[str] = mapped_column(String(32), server_default="")


# ----------------------------------------------------------------------------- what


class Submission(Base):
    """An inventory as the enterprise submitted it (its exact bytes and their sha256), with
    the result Zuji computed from it (the result file, signed when the catalogue has a key)."""

    __tablename__ = "submissions"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    pcr_id: Mapped[str] = mapped_column(String(64), index=True)
    pcr_version: Mapped[str] = mapped_column(String(32))
    pcr_sha256: Mapped[str] = mapped_column(String(64))
    inventory: Mapped[bytes] = mapped_column(LargeBinary)
    inventory_name: Mapped[str] = mapped_column(String(200))
    inventory_sha256: Mapped[str] = mapped_column(String(64))
    result: Mapped[str] = mapped_column(Text)  # the result file's JSON
    total: Mapped[float] = mapped_column(Float)  # kg CO2e per declared unit
    declared_unit: Mapped[str] = mapped_column(String(100))
    period_start: Mapped[str | None] = mapped_column(String(10))
    period_end: Mapped[str | None] = mapped_column(String(10))
    # submitted → accepted | returned → published; returned ones may be submitted anew.
    state: Mapped[str] = mapped_column(String(16), index=True)
    submitted_by: Mapped[str] = mapped_column(String(64))
    submitted_at: Mapped[datetime] = mapped_column(default=now)
    # The re-evaluation that made this submission, if one did (None: an enterprise's).
    reevaluation_id: Mapped[str | None] = mapped_column(String(36))


class Verification(Base):
    __tablename__ = "verifications"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id"), index=True)
    verifier: Mapped[str] = mapped_column(String(64))
    decision: Mapped[str] = mapped_column(String(16))  # accepted | returned
    comments: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(default=now)


class Footprint(Base):
    """A published PACT ProductFootprint. `document` is the PACT JSON as published; it never
    changes. `status` is served in its place (Active until deprecated)."""

    __tablename__ = "footprints"
    __table_args__ = (
        Index("ix_footprints_validity", "valid_from", "valid_until"),
        Index("ix_footprints_valid_until", "valid_until"),
        Index("ix_footprints_product_status", "product_id", "status"),
        # A filtered page walks one of these in id order (queries.py; migration 0002).
        Index("ix_footprints_pcr_walk", "pcr_id", "id"),
        Index("ix_footprints_enterprise_walk", "enterprise_id", "id"),
        Index("ix_footprints_status_walk", "status", "id"),
        Index("ix_footprints_published_walk", "published_at", "id"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id"), unique=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    pcr_id: Mapped[str] = mapped_column(String(64))
    pcr_version: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))  # Active | Deprecated
    document: Mapped[str] = mapped_column(Text)
    total: Mapped[float] = mapped_column(Float)  # kg CO2e per declared unit
    declared_unit: Mapped[str] = mapped_column(String(100))
    valid_from: Mapped[datetime] = mapped_column()
    valid_until: Mapped[datetime] = mapped_column()
    preceding: Mapped[list[Any]] = mapped_column(default=list)
    superseded_by: Mapped[str | None] = mapped_column(String(36))
    published_by: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime] = mapped_column(default=now)


class FootprintKey(Base):
    """One value a PACT filter matches on: kind is productId, companyId, geography or
    classification; value is lower-cased (PACT's matches are case-insensitive). The walk index
    holds the footprint id, so a filtered page reads one kind's value in id order from the
    index alone (the primary key, footprint first, serves the test of one footprint)."""

    __tablename__ = "footprint_keys"
    __table_args__ = (Index("ix_footprint_keys_walk", "kind", "value", "footprint_id"),)
    footprint_id: Mapped[str] = mapped_column(
        ForeignKey("footprints.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[str] = mapped_column(String(200), primary_key=True)


class Grade(Base):
    """A footprint's grade on one basis: a benchmark level of its product (dated, sourced) or
    its place in the catalogue's own distribution for that PCR."""

    __tablename__ = "grades"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    footprint_id: Mapped[str] = mapped_column(ForeignKey("footprints.id"), index=True)
    basis: Mapped[str] = mapped_column(String(16))  # benchmark | distribution
    grade: Mapped[str] = mapped_column(String(32))
    value: Mapped[float | None] = mapped_column(Float)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    at: Mapped[datetime] = mapped_column(default=now)


class SearchTerm(Base):
    """One word the public platform finds a footprint by: a word of its product's name (Chinese
    cut by jieba), of its enterprise's names, of its PCR's names, its HS code and region, its
    GTINs. Written when the footprint is published (search.py), lower-cased; the primary key
    (term, footprint) is the index a search walks in id order, and (pcr_id, term, footprint)
    the one a search narrowed to a category walks (the footprint's PCR, copied here: it never
    changes once published)."""

    __tablename__ = "search_terms"
    __table_args__ = (Index("ix_search_terms_pcr_walk", "pcr_id", "term", "footprint_id"),)
    term: Mapped[str] = mapped_column(String(64), primary_key=True)
    footprint_id: Mapped[str] = mapped_column(
        ForeignKey("footprints.id", ondelete="CASCADE"), primary_key=True
    )
    pcr_id: Mapped[str] = mapped_column(String(64))


class CheckedSignature(Base):
    """A result's signature checked against the catalogue's key, remembered by the sha256 of
    the result's stored text: the product page reads the outcome instead of canonicalising a
    result on every view. The check is of exact bytes, so a result changed after its check has
    another sha256, finds nothing here, and is checked anew."""

    __tablename__ = "signature_checks"
    result_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    key_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))  # valid | invalid
    checked_at: Mapped[datetime] = mapped_column(default=now)


class Baseline(Base):
    """The programme's baseline for a product category (a PCR): the footprint per declared unit
    that carbon-inclusion apps measure a product's reduction against. A new row sets a new
    baseline from `valid_from`; the rows before it stay as the record of what was in force."""

    __tablename__ = "baselines"
    __table_args__ = (Index("ix_baselines_pcr", "pcr_id", "valid_from"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pcr_id: Mapped[str] = mapped_column(String(64))
    value: Mapped[float] = mapped_column(Float)  # kg CO2e per declared unit
    declared_unit: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(Text)
    valid_from: Mapped[datetime] = mapped_column()
    set_by: Mapped[str] = mapped_column(String(64))
    set_at: Mapped[datetime] = mapped_column(default=now)


class Notice(Base):
    __tablename__ = "notices"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # policy | finance
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    criteria: Mapped[dict[str, Any]] = mapped_column(default=dict)
    sent_by: Mapped[str] = mapped_column(String(64))
    sent_at: Mapped[datetime] = mapped_column(default=now)


class NoticeRecipient(Base):
    __tablename__ = "notice_recipients"
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id"), primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("enterprises.id"), primary_key=True, index=True
    )
    read_at: Mapped[datetime | None] = mapped_column()


# ----------------------------------------------------------------------------- work in progress


class Reevaluation(Base):
    """A re-run of the published footprints a rule or dataset change affects. Items are
    written before work starts, and each is marked done in the transaction that stores its
    outcome: a killed run leaves pending items, and the next run carries on from them."""

    __tablename__ = "reevaluations"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    trigger: Mapped[dict[str, Any]] = mapped_column(default=dict)
    state: Mapped[str] = mapped_column(String(16))  # running | computed | approved | rejected
    started_by: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(default=now)
    finished_at: Mapped[datetime | None] = mapped_column()


class ReevaluationItem(Base):
    __tablename__ = "reevaluation_items"
    __table_args__ = (Index("ix_reevaluation_items_state", "reevaluation_id", "state"),)
    reevaluation_id: Mapped[str] = mapped_column(ForeignKey("reevaluations.id"), primary_key=True)
    footprint_id: Mapped[str] = mapped_column(ForeignKey("footprints.id"), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))  # pending | same | moved | failed | published
    before: Mapped[float] = mapped_column(Float)
    after: Mapped[float | None] = mapped_column(Float)
    result: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class PactEvent(Base):
    """A PACT event received (a request to answer later) or to send (an answer, with its
    retries): the queue of asynchronous exchange."""

    __tablename__ = "pact_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(200), index=True)
    direction: Mapped[str] = mapped_column(String(8))  # in | out
    client_id: Mapped[str | None] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(120))
    body: Mapped[dict[str, Any]] = mapped_column(default=dict)
    target: Mapped[str | None] = mapped_column(String(400))
    state: Mapped[str] = mapped_column(String(16), index=True)  # pending | done | abandoned
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=now)


class AuditEntry(Base):
    """Append-only: who did what to which thing, when and why. Nothing updates or deletes a
    row here (store.audit only inserts; the tests check the count only grows)."""

    __tablename__ = "audit"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(default=now, index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(40))
    subject_kind: Mapped[str] = mapped_column(String(24))
    subject_id: Mapped[str] = mapped_column(String(64), index=True)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    reason: Mapped[str] = mapped_column(Text, default="")
