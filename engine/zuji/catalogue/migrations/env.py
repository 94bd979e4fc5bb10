"""Alembic's environment for the catalogue: the connection comes from zuji.catalogue.store,
which runs the migrations itself (no alembic.ini, no URL in a file)."""

from __future__ import annotations

from alembic import context

from zuji.catalogue.tables import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite alters tables by copying them: later migrations that change a column need it.
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
