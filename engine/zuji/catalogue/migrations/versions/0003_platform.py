"""The public platform: the words footprints are searched by, and the categories' baselines

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07 05:40:00.000000

`search_terms` holds one row per (word, footprint), its primary key the index a search walks
(search.py); `baselines` the programme's baseline per PCR, against which carbon-inclusion apps
are told a product's reduction.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


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


def downgrade() -> None:
    op.drop_index("ix_baselines_pcr", table_name="baselines")
    op.drop_table("baselines")
    op.drop_table("search_terms")
