"""The catalogue's own name among others, and its footprints by the end of their validity

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08 00:00:00.000000

The service's workers on one machine share the public pages they have written, in a folder
(interfaces/web/page_files.py), each page under the catalogue's revision. A revision number
says nothing of which catalogue it counts: two catalogues, or one made again at the same path,
both pass revision 12. Each catalogue is given here a random name, made once when it is
created or brought to this schema, and the shared pages are kept per name.

A public page may be kept until the next moment a footprint's validity ends (a search lists
only footprints in force): that moment is the smallest `valid_until` still ahead, which the
index on `valid_until` alone finds without reading the table.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Added with an empty default (SQLite adds a NOT NULL column only with one), then named.
    op.add_column(
        "catalogue_revision",
        sa.Column("instance", sa.String(length=32), nullable=False, server_default=""),
    )
    op.execute(
        sa.text("UPDATE catalogue_revision SET instance = :name WHERE id = 1").bindparams(
            name=uuid.uuid4().hex
        )
    )
    op.create_index("ix_footprints_valid_until", "footprints", ["valid_until"])


def downgrade() -> None:
    op.drop_index("ix_footprints_valid_until", table_name="footprints")
    with op.batch_alter_table("catalogue_revision") as batch:
        batch.drop_column("instance")
