"""The catalogue: enterprises, products, submissions, footprints, grades, notices, clients, audit

Revision ID: 0001
Revises:
Create Date: 2026-12-06 22:42:19.778552
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Tables are made before those whose foreign keys name them.
    _tables_1()
    _tables_2()
    _tables_3()
    _tables_4()
    _tables_5()
    _tables_6()
    _tables_7()
    _tables_8()


def _tables_1() -> None:
    """audit, enterprises, notices."""
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("subject_kind", sa.String(length=24), nullable=False),
        sa.Column("subject_id", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_subject_id"), ["subject_id"], unique=False)

    op.create_table(
        "enterprises",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_zh", sa.String(length=200), nullable=True),
        sa.Column("company_ids", sa.JSON(), nullable=False),
        sa.Column("region", sa.String(length=16), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("criteria", sa.JSON(), nullable=False),
        sa.Column("sent_by", sa.String(length=64), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def _tables_2() -> None:
    """pact_events, reevaluations, settings, clients."""
    op.create_table(
        "pact_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=200), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=True),
        sa.Column("type", sa.String(length=120), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("target", sa.String(length=400), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("pact_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pact_events_event_id"), ["event_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_pact_events_state"), ["state"], unique=False)

    op.create_table(
        "reevaluations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("trigger", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("started_by", sa.String(length=64), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "settings",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "clients",
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("secret_hash", sa.String(length=200), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("events_url", sa.String(length=400), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
        ),
        sa.PrimaryKeyConstraint("client_id"),
    )


def _tables_3() -> None:
    """notice_recipients, products."""
    op.create_table(
        "notice_recipients",
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
        ),
        sa.ForeignKeyConstraint(
            ["notice_id"],
            ["notices.id"],
        ),
        sa.PrimaryKeyConstraint("notice_id", "enterprise_id"),
    )
    with op.batch_alter_table("notice_recipients", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notice_recipients_enterprise_id"), ["enterprise_id"], unique=False
        )

    op.create_table(
        "products",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("pcr_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("hs_code", sa.String(length=16), nullable=True),
        sa.Column("product_ids", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("enterprise_id", "pcr_id", "name"),
    )
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_products_enterprise_id"), ["enterprise_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_products_hs_code"), ["hs_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_products_pcr_id"), ["pcr_id"], unique=False)


def _tables_4() -> None:
    """sites, shares."""
    op.create_table(
        "sites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("region", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("enterprise_id", "name"),
    )
    op.create_table(
        "shares",
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.client_id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
        ),
        sa.PrimaryKeyConstraint("enterprise_id", "client_id"),
    )


def _tables_5() -> None:
    """submissions."""
    op.create_table(
        "submissions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("pcr_id", sa.String(length=64), nullable=False),
        sa.Column("pcr_version", sa.String(length=32), nullable=False),
        sa.Column("pcr_sha256", sa.String(length=64), nullable=False),
        sa.Column("inventory", sa.LargeBinary(), nullable=False),
        sa.Column("inventory_name", sa.String(length=200), nullable=False),
        sa.Column("inventory_sha256", sa.String(length=64), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("total", sa.Float(), nullable=False),
        sa.Column("declared_unit", sa.String(length=100), nullable=False),
        sa.Column("period_start", sa.String(length=10), nullable=True),
        sa.Column("period_end", sa.String(length=10), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("submitted_by", sa.String(length=64), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reevaluation_id", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["sites.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_submissions_pcr_id"), ["pcr_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_submissions_product_id"), ["product_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_submissions_state"), ["state"], unique=False)


def _tables_6() -> None:
    """footprints."""
    op.create_table(
        "footprints",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("submission_id", sa.String(length=36), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("pcr_id", sa.String(length=64), nullable=False),
        sa.Column("pcr_version", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("total", sa.Float(), nullable=False),
        sa.Column("declared_unit", sa.String(length=100), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("preceding", sa.JSON(), nullable=False),
        sa.Column("superseded_by", sa.String(length=36), nullable=True),
        sa.Column("published_by", sa.String(length=64), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("submission_id"),
    )
    with op.batch_alter_table("footprints", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_footprints_enterprise_id"), ["enterprise_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_footprints_pcr_id"), ["pcr_id"], unique=False)
        batch_op.create_index(
            "ix_footprints_product_status", ["product_id", "status"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_footprints_published_at"), ["published_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_footprints_status"), ["status"], unique=False)
        batch_op.create_index("ix_footprints_validity", ["valid_from", "valid_until"], unique=False)


def _tables_7() -> None:
    """verifications, footprint_keys, grades."""
    op.create_table(
        "verifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.String(length=36), nullable=False),
        sa.Column("verifier", sa.String(length=64), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("comments", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("verifications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_verifications_submission_id"), ["submission_id"], unique=False
        )

    op.create_table(
        "footprint_keys",
        sa.Column("footprint_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["footprint_id"], ["footprints.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("footprint_id", "kind", "value"),
    )
    with op.batch_alter_table("footprint_keys", schema=None) as batch_op:
        batch_op.create_index("ix_footprint_keys_lookup", ["kind", "value"], unique=False)

    op.create_table(
        "grades",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("footprint_id", sa.String(length=36), nullable=False),
        sa.Column("basis", sa.String(length=16), nullable=False),
        sa.Column("grade", sa.String(length=32), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["footprint_id"],
            ["footprints.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("grades", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_grades_footprint_id"), ["footprint_id"], unique=False)


def _tables_8() -> None:
    """reevaluation_items."""
    op.create_table(
        "reevaluation_items",
        sa.Column("reevaluation_id", sa.String(length=36), nullable=False),
        sa.Column("footprint_id", sa.String(length=36), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("before", sa.Float(), nullable=False),
        sa.Column("after", sa.Float(), nullable=True),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["footprint_id"],
            ["footprints.id"],
        ),
        sa.ForeignKeyConstraint(
            ["reevaluation_id"],
            ["reevaluations.id"],
        ),
        sa.PrimaryKeyConstraint("reevaluation_id", "footprint_id"),
    )
    with op.batch_alter_table("reevaluation_items", schema=None) as batch_op:
        batch_op.create_index(
            "ix_reevaluation_items_state", ["reevaluation_id", "state"], unique=False
        )


def downgrade() -> None:
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table("reevaluation_items", schema=None) as batch_op:
        batch_op.drop_index("ix_reevaluation_items_state")

    op.drop_table("reevaluation_items")
    with op.batch_alter_table("grades", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_grades_footprint_id"))

    op.drop_table("grades")
    with op.batch_alter_table("footprint_keys", schema=None) as batch_op:
        batch_op.drop_index("ix_footprint_keys_lookup")

    op.drop_table("footprint_keys")
    with op.batch_alter_table("verifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_verifications_submission_id"))

    op.drop_table("verifications")
    with op.batch_alter_table("footprints", schema=None) as batch_op:
        batch_op.drop_index("ix_footprints_validity")
        batch_op.drop_index(batch_op.f("ix_footprints_status"))
        batch_op.drop_index(batch_op.f("ix_footprints_published_at"))
        batch_op.drop_index("ix_footprints_product_status")
        batch_op.drop_index(batch_op.f("ix_footprints_pcr_id"))
        batch_op.drop_index(batch_op.f("ix_footprints_enterprise_id"))

    op.drop_table("footprints")
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_submissions_state"))
        batch_op.drop_index(batch_op.f("ix_submissions_product_id"))
        batch_op.drop_index(batch_op.f("ix_submissions_pcr_id"))

    op.drop_table("submissions")
    op.drop_table("shares")
    op.drop_table("sites")
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_products_pcr_id"))
        batch_op.drop_index(batch_op.f("ix_products_hs_code"))
        batch_op.drop_index(batch_op.f("ix_products_enterprise_id"))

    op.drop_table("products")
    with op.batch_alter_table("notice_recipients", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notice_recipients_enterprise_id"))

    op.drop_table("notice_recipients")
    op.drop_table("clients")
    op.drop_table("settings")
    op.drop_table("reevaluations")
    with op.batch_alter_table("pact_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pact_events_state"))
        batch_op.drop_index(batch_op.f("ix_pact_events_event_id"))

    op.drop_table("pact_events")
    op.drop_table("notices")
    op.drop_table("enterprises")
    with op.batch_alter_table("audit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_subject_id"))
        batch_op.drop_index(batch_op.f("ix_audit_at"))

    op.drop_table("audit")
    # ### end Alembic commands ###
