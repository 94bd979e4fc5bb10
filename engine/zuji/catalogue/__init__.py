"""The programme's catalogue: enterprises, products, submitted inventories, their results, the
PACT ProductFootprints published from them, verifications, grades, notices, API clients and the
audit log, kept in a SQL database (SQLite by default, PostgreSQL for a shared deployment).

Layers inside: tables (the SQLAlchemy models), store (opening a database and migrating it with
Alembic, transactions, the audit log), then the work done on it (workflow, queries, clients)."""
