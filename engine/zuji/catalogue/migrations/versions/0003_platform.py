"""The public platform: the words footprints are searched by, and the categories' baselines

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07 05:40:00.000000

`search_terms` holds one row per (word, footprint), its primary key the index a search walks
(search.py); `baselines` the programme's baseline per PCR, against which carbon-inclusion apps
are told a product's reduction; `signature_checks` the outcome of checking a published
result's signature, by the result's sha256 (public.py). The footprints published before are
given their words here, a batch of footprints at a time, so a catalogue of 10^6 is never held
in memory at once.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

BATCH = 2000  # footprints read, and their words written, per statement

# The columns the backfill reads, as this revision knows them (not the models of a later Zuji).
_footprints = sa.table(
    "footprints",
    sa.column("id", sa.String),
    sa.column("product_id", sa.Integer),
    sa.column("enterprise_id", sa.Integer),
    sa.column("pcr_id", sa.String),
)
_products = sa.table(
    "products",
    sa.column("id", sa.Integer),
    sa.column("name", sa.String),
    sa.column("hs_code", sa.String),
    sa.column("product_ids", sa.JSON),
)
_enterprises = sa.table(
    "enterprises",
    sa.column("id", sa.Integer),
    sa.column("name", sa.String),
    sa.column("name_zh", sa.String),
    sa.column("region", sa.String),
)
_terms = sa.table(
    "search_terms", sa.column("term", sa.String), sa.column("footprint_id", sa.String)
)


def upgrade() -> None:
    op.create_table(
        "search_terms",
        sa.Column("term", sa.String(length=64), nullable=False),
        sa.Column("footprint_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(["footprint_id"], ["footprints.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("term", "footprint_id"),
    )
    op.create_table(
        "baselines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pcr_id", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("declared_unit", sa.String(length=100), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("set_by", sa.String(length=64), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_baselines_pcr", "baselines", ["pcr_id", "valid_from"], unique=False)
    op.create_table(
        "signature_checks",
        sa.Column("result_sha256", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.String(length=100), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("result_sha256", "key_id"),
    )
    _backfill(op.get_bind())


def _backfill(connection: Any) -> None:
    """The words of every footprint already published, in batches in id order."""
    from zuji.catalogue.search import terms

    read = (
        sa.select(
            _footprints.c.id,
            _footprints.c.pcr_id,
            _products.c.name,
            _products.c.hs_code,
            _products.c.product_ids,
            _enterprises.c.name.label("enterprise"),
            _enterprises.c.name_zh,
            _enterprises.c.region,
        )
        .join(_products, _products.c.id == _footprints.c.product_id)
        .join(_enterprises, _enterprises.c.id == _footprints.c.enterprise_id)
        .order_by(_footprints.c.id)
        .limit(BATCH)
    )
    after = None
    while True:
        rows = connection.execute(
            read if after is None else read.where(_footprints.c.id > after)
        ).all()
        if not rows:
            return
        made = [
            {"term": term, "footprint_id": row.id}
            for row in rows
            for term in terms(
                row.name,
                (row.enterprise, row.name_zh),
                row.pcr_id,
                row.hs_code,
                row.region,
                row.product_ids or [],
            )
        ]
        if made:
            connection.execute(sa.insert(_terms), made)
        after = rows[-1].id


def downgrade() -> None:
    op.drop_table("signature_checks")
    op.drop_index("ix_baselines_pcr", table_name="baselines")
    op.drop_table("baselines")
    op.drop_table("search_terms")
