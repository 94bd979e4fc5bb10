"""The catalogue's revision: a number every change of what the public pages show moves on

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 22:00:00.000000

A service worker keeps the public pages it has written (interfaces/web/page_cache.py) and
serves one again only while the catalogue's revision is the one it was written at. The number is
moved by triggers in the database itself, not by the code that writes, so no write can forget
it: a publication, a verification, a grade, a deprecation, a setting, a company renamed by hand
in SQL. SQLite's triggers run per row and PostgreSQL's here per statement; either way the number
only grows, and a page written before any change is never served after it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# The tables the public pages (search, product, comparison, companies) read, directly or
# through what they read: the programme's settings, the footprints and what hangs on them.
WATCHED = (
    "enterprises",
    "sites",
    "products",
    "settings",
    "submissions",
    "verifications",
    "footprints",
    "footprint_keys",
    "grades",
    "search_terms",
    "signature_checks",
    "baselines",
)
_BUMP = "UPDATE catalogue_revision SET number = number + 1 WHERE id = 1"


def upgrade() -> None:
    op.create_table(
        "catalogue_revision",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("number", sa.BigInteger, nullable=False),
        sa.CheckConstraint("id = 1", name="ck_catalogue_revision_one_row"),
    )
    op.execute("INSERT INTO catalogue_revision (id, number) VALUES (1, 0)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION zuji_catalogue_changed() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN {_BUMP}; RETURN NULL; END $$"
        )
        for table in WATCHED:
            op.execute(
                f"CREATE TRIGGER zuji_changed_{table} AFTER INSERT OR UPDATE OR DELETE "
                f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION zuji_catalogue_changed()"
            )
        return
    for table in WATCHED:
        for event in ("INSERT", "UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER zuji_changed_{table}_{event.lower()} AFTER {event} ON {table} "
                f"BEGIN {_BUMP}; END"
            )


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table in WATCHED:
        if postgresql:
            op.execute(f"DROP TRIGGER zuji_changed_{table} ON {table}")
            continue
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER zuji_changed_{table}_{event}")
    if postgresql:
        op.execute("DROP FUNCTION zuji_catalogue_changed()")
    op.drop_table("catalogue_revision")
