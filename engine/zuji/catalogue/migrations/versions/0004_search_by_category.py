"""A search's words by category: each word row carries its footprint's PCR

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 12:30:00.000000

A search narrowed to a category (the search page's category list) walked a word's rows across
every category and tested each footprint's PCR: `甲醇` within cement read all 6 000 methanol rows
of a 10^5 catalogue to find none. With the PCR beside the word, and the index (pcr_id, term,
footprint_id), such a search walks only the rows of that word in that category, in id order.
The PCR of a footprint never changes once published, so the copy cannot go stale.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Added with an empty default (SQLite adds a NOT NULL column only with one), then filled.
    op.add_column(
        "search_terms",
        sa.Column("pcr_id", sa.String(length=64), nullable=False, server_default=""),
    )
    op.execute(
        "UPDATE search_terms SET pcr_id = "
        "(SELECT footprints.pcr_id FROM footprints WHERE footprints.id = search_terms.footprint_id)"
    )
    op.create_index("ix_search_terms_pcr_walk", "search_terms", ["pcr_id", "term", "footprint_id"])


def downgrade() -> None:
    op.drop_index("ix_search_terms_pcr_walk", table_name="search_terms")
    with op.batch_alter_table("search_terms") as batch:
        batch.drop_column("pcr_id")
