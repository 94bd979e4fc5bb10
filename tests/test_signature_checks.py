"""The signature of a published result is checked once, at publication, and the outcome kept by
the sha256 of the result's stored text; a product page reads it. A text changed afterwards has
another sha256, finds nothing kept, and is checked anew (and found invalid); with nothing kept,
the page checks the signature itself. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

from catalogue_kit import case
from sqlalchemy import delete, select, update

import zuji
from zuji.catalogue import public, publishing, store, workflow
from zuji.catalogue.tables import CheckedSignature, Footprint, Submission
from zuji.core.canonical import sha256_hex
from zuji.exchange.signing import new_keys

STAFF = workflow.programme_staff("staff")


def _published(db: store.Store, keys: Path) -> str:
    pair = new_keys(keys)
    publishing.set_signing_key(db, pair.private, "staff")
    path = case("cement", "typical_plant")
    sub = workflow.submit(db, zuji.load("cement"), path.read_bytes(), path.name, STAFF)
    workflow.verify(db, sub.submission_id, STAFF, accept=True)
    return workflow.publish(db, sub.submission_id, STAFF, sign=publishing.signer(db))


def _state(db: store.Store, footprint_id: str) -> str:
    with db.reading() as session:
        view = public.product_view(session, footprint_id)
    assert view is not None
    return view.signature.state


def test_publication_keeps_the_check_and_a_changed_result_is_checked_anew(
    catalogue_db: str, tmp_path: Path
) -> None:
    with store.open_store(catalogue_db) as db:
        footprint = _published(db, tmp_path)
        with db.reading() as session:
            text = session.scalar(
                select(Submission.result)
                .join(Footprint, Footprint.submission_id == Submission.id)
                .where(Footprint.id == footprint)
            )
            kept = session.scalars(select(CheckedSignature)).all()
        assert text is not None
        assert [(k.result_sha256, k.state) for k in kept] == [
            (sha256_hex(text.encode("utf-8")), "valid")
        ]
        assert _state(db, footprint) == "valid"

        # The stored result changed after publication: its figure no longer what was signed.
        changed = json.loads(text)
        changed["total"] = changed["total"] * 0.5
        with db.transaction() as session:
            session.execute(
                update(Submission)
                .where(
                    Submission.id
                    == select(Footprint.submission_id)
                    .where(Footprint.id == footprint)
                    .scalar_subquery()
                )
                .values(result=json.dumps(changed))
            )
        assert _state(db, footprint) == "invalid"


def test_with_nothing_kept_the_page_checks_the_signature_itself(
    catalogue_db: str, tmp_path: Path
) -> None:
    with store.open_store(catalogue_db) as db:
        footprint = _published(db, tmp_path)
        with db.transaction() as session:
            session.execute(delete(CheckedSignature))
        assert _state(db, footprint) == "valid"
