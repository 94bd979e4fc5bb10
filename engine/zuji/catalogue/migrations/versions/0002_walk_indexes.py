"""Indexes a filtered page of footprints is walked through in id order

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07 02:40:00.000000

Listing footprints by a PACT filter used to walk every footprint in id order and test each
(seconds at 10^6 on SQLite). A page now starts from the most selective criterion's index, in
id order (queries.py): `footprint_keys (kind, value, footprint_id)` holds the footprint id,
so a kind's value is read from the index alone; `footprints (column, id)` does the same for
the PCR, the enterprise and the status, and `footprints (published_at, id)` walks the
catalogue's own lists newest first. Each replaces the index it extends (its leading columns
answer what the old one did).
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# (new index, table, columns, the index it replaces, that index's columns)
_WALKS = (
    (
        "ix_footprint_keys_walk",
        "footprint_keys",
        ["kind", "value", "footprint_id"],
        "ix_footprint_keys_lookup",
        ["kind", "value"],
    ),
    ("ix_footprints_pcr_walk", "footprints", ["pcr_id", "id"], "ix_footprints_pcr_id", ["pcr_id"]),
    (
        "ix_footprints_enterprise_walk",
        "footprints",
        ["enterprise_id", "id"],
        "ix_footprints_enterprise_id",
        ["enterprise_id"],
    ),
    (
        "ix_footprints_status_walk",
        "footprints",
        ["status", "id"],
        "ix_footprints_status",
        ["status"],
    ),
    (
        "ix_footprints_published_walk",
        "footprints",
        ["published_at", "id"],
        "ix_footprints_published_at",
        ["published_at"],
    ),
)


def upgrade() -> None:
    for name, table, columns, old, _ in _WALKS:
        op.create_index(name, table, columns, unique=False)
        op.drop_index(old, table_name=table)


def downgrade() -> None:
    for name, table, _, old, old_columns in reversed(_WALKS):
        op.create_index(old, table, old_columns, unique=False)
        op.drop_index(name, table_name=table)
