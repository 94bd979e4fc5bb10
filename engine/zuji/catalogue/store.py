"""Opening a catalogue database, keeping its schema current, and writing to it in transactions.

A catalogue is named by `--db` (or ZUJI_CATALOGUE): a file path means SQLite (created on first
use), `postgresql://user@host:port/name` a PostgreSQL database (driven by psycopg 3). The schema
is made and changed only by the Alembic migrations in `migrations/versions`; opening a database
whose schema is older runs the missing migrations first, one a newer Zuji wrote is refused.

Every write goes through :meth:`Store.transaction`: the rows and their audit entries commit
together or not at all, so a crash or an error leaves nothing stored half-way.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event, inspect, select, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

from zuji.catalogue.tables import AuditEntry, CatalogueRevision
from zuji.core.errors import CatalogueError, Diagnostic, UsageError

DEFAULT_FILE = "zuji-catalogue.db"
# The newest migration; a test checks it is the head of migrations/versions.
HEAD = "0006"
_MIGRATIONS = Path(__file__).parent / "migrations"
_REVISION = select(CatalogueRevision.number).where(CatalogueRevision.id == 1)
_INSTANCE = select(CatalogueRevision.instance).where(CatalogueRevision.id == 1)
_migrating = threading.Lock()
_T = TypeVar("_T")


def database_url(given: str | None) -> URL:
    """The URL of the catalogue `given` names (a path or a URL), else ZUJI_CATALOGUE, else the
    default file in the working folder."""
    named = given or os.environ.get("ZUJI_CATALOGUE") or DEFAULT_FILE
    if "://" not in named:
        return URL.create("sqlite+pysqlite", database=str(Path(named).resolve()))
    shown = named.split("@")[-1] if "@" in named else named  # never echo a password
    hint = "give a file path (SQLite) or postgresql://USER@HOST:PORT/NAME"
    try:
        url = make_url(named)
    except ArgumentError:
        raise UsageError(
            Diagnostic("E940", f"--db {shown} is not a database URL", hint=hint)
        ) from None
    if url.drivername in ("postgresql", "postgres", "postgresql+psycopg"):
        return url.set(drivername="postgresql+psycopg")
    if url.drivername in ("sqlite", "sqlite+pysqlite"):
        return url.set(drivername="sqlite+pysqlite")
    raise UsageError(
        Diagnostic(
            "E940",
            f"--db {shown} names the database kind '{url.drivername}', which Zuji does not use",
            hint=hint,
        )
    )


class Store:
    """An open catalogue: its engine and a factory of sessions."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @property
    def label(self) -> str:
        """The database, for messages: a file's path or a server's address, never a password."""
        url = self.engine.url
        if url.get_backend_name() == "sqlite":
            return str(url.database)
        return url.render_as_string(hide_password=True)

    @property
    def kind(self) -> str:
        return self.engine.url.get_backend_name()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work commits when the block ends and is rolled back if it raises."""
        with self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        with self._sessions() as session:
            yield session

    def revision(self) -> int:
        """The catalogue's revision: moved on by the database's triggers at every change of a
        table the public pages read (migration 0005)."""
        with self.engine.connect() as connection:
            return int(connection.execute(_REVISION).scalar_one())

    def while_unchanged(self, make: Callable[[Session], _T]) -> Callable[[], _T]:
        """A function giving what `make` reads, read again only when the revision has moved
        since: what a service worker writes its public pages with (the programme's names, the
        companies), since a page is kept as long as the revision it was written at
        (interfaces/web/page_cache.py)."""
        held: list[tuple[int, _T]] = []

        def current() -> _T:
            revision = self.revision()  # read first: a change after it reads the value again
            if not held or held[0][0] != revision:
                with self.reading() as session:
                    held[:] = [(revision, make(session))]
            return held[0][1]

        return current

    def instance(self) -> str:
        """The catalogue's random name, given once (migration 0006): which catalogue this is,
        whatever its path or address, and apart from a catalogue made again in its place."""
        with self.engine.connect() as connection:
            return str(connection.execute(_INSTANCE).scalar_one())

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_store(given: str | None = None, create: bool = True) -> Store:
    """The catalogue `given` names, its schema brought up to date. With create=False a SQLite
    file that does not exist is an error instead of a new catalogue."""
    url = database_url(given)
    if url.get_backend_name() == "sqlite":
        path = Path(str(url.database))
        if not path.exists() and not create:
            raise UsageError(
                Diagnostic(
                    "E941",
                    f"no catalogue at {path}",
                    hint="`zuji catalogue init` creates one; --db names another",
                )
            )
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        engine = _engine(url)
        _migrate(engine)
    except (DBAPIError, NoSuchModuleError) as exc:
        raise CatalogueError(
            Diagnostic(
                "E942",
                f"cannot open the catalogue {url.render_as_string(hide_password=True)}: "
                f"{_first_line(exc)}",
                hint="check that the database server runs and the URL names it",
            )
        ) from None
    return Store(engine)


def _engine(url: URL) -> Engine:
    if url.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)
    # A service's threads each hold a connection while they answer: connections beyond the pool
    # are closed when given back, and a new one starts with an empty page cache and its pragmas
    # to run, so the pool holds as many as a worker answers at once.
    engine = create_engine(
        url, connect_args={"timeout": 30}, pool_size=16, max_overflow=24, pool_use_lifo=True
    )

    @event.listens_for(engine, "connect")
    def _pragmas(connection: Any, record: Any) -> None:
        # Foreign keys are off by default in SQLite; WAL lets readers work during a write.
        cursor = connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return engine


def schema_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _migrate(engine: Engine) -> None:
    current = schema_revision(engine)
    if current == HEAD:
        return
    if current is not None and not any((_MIGRATIONS / "versions").glob(f"{current}_*.py")):
        raise CatalogueError(
            Diagnostic(
                "E943",
                f"the catalogue's schema is at revision {current}, which this Zuji does not know",
                hint="a newer Zuji wrote it: upgrade Zuji before opening it",
            )
        )
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    with _migrating, engine.begin() as connection:
        if engine.url.get_backend_name() == "postgresql":
            # Two processes opening a new database at once: one migrates, the other waits.
            connection.execute(text("SELECT pg_advisory_xact_lock(7415)"))
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def audit(
    session: Session,
    actor: str,
    action: str,
    subject: tuple[str, str],
    detail: dict[str, Any] | None = None,
    reason: str = "",
) -> None:
    """Record a change of state, in the transaction that makes it."""
    session.add(
        AuditEntry(
            actor=actor,
            action=action,
            subject_kind=subject[0],
            subject_id=subject[1],
            detail=detail or {},
            reason=reason,
        )
    )


def _first_line(exc: Exception) -> str:
    original = getattr(exc, "orig", None) or exc
    return str(original).strip().splitlines()[0] if str(original).strip() else type(exc).__name__
