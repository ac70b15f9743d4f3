"""Database engines and sessions: SQLite (embedded default) or PostgreSQL, same code.

On SQLite every connection runs in WAL mode with ``synchronous=FULL`` (money is written here)
and a busy timeout, and a *write* session begins its transaction with ``BEGIN IMMEDIATE``:
Python's sqlite3 begins DEFERRED, and a read-then-write transaction would then fail at once
with "database is locked" instead of waiting (see PERFORMANCE-NOTES).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, create_engine

from mediation.errors import StorageFull

SQLITE_BUSY_TIMEOUT_MS = 10_000
#: SQLite's primary result code for "database or disk is full", and PostgreSQL's SQLSTATE.
SQLITE_FULL = 13
POSTGRES_DISK_FULL = "53100"
DISK_FULL_MESSAGE = (
    'the database\'s disk is full ("{detail}"): nothing was saved. '
    "Free space on the disk that holds the database, then try again."
)
_IMMEDIATE = "mediation_begin_immediate"


def normalise_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs given in the usual ``postgresql://`` form."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def is_sqlite(engine: Engine) -> bool:
    """Tell whether the engine talks to SQLite."""
    return engine.dialect.name == "sqlite"


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine configured for this application's transactions."""
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        if not database or database == ":memory:":
            kwargs.setdefault("poolclass", StaticPool)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            **kwargs,
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get(_IMMEDIATE, False)
        # Straight to the driver: this runs once per transaction, on the hot path.
        connection.connection.driver_connection.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")


def disk_full_detail(exc: BaseException) -> str | None:
    """Return the driver's message if ``exc`` says the database's disk is full, else None."""
    original = exc.orig if isinstance(exc, DBAPIError) else exc
    code = getattr(original, "sqlite_errorcode", None)
    if isinstance(code, int) and code & 0xFF == SQLITE_FULL:
        return str(original)
    if getattr(original, "sqlstate", None) == POSTGRES_DISK_FULL:
        return str(original).strip().splitlines()[0]
    return None


class Database:
    """The engine of this process, and the two kinds of session it hands out."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = normalise_url(url)
        self.engine = make_engine(self.url, **engine_kwargs)
        self._write_engine = self.engine.execution_options(**{_IMMEDIATE: True})

    @property
    def is_sqlite(self) -> bool:
        """Tell whether this is the embedded SQLite database."""
        return is_sqlite(self.engine)

    def read_session(self) -> Session:
        """Return a session for reading (a deferred transaction on SQLite)."""
        return Session(self.engine, expire_on_commit=False)

    def write_session(self) -> Session:
        """Return a session whose transaction takes SQLite's write lock at once."""
        return Session(self._write_engine, expire_on_commit=False)

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """Run a block in one write transaction: commit on success, roll back on error.

        A full disk (SQLite's SQLITE_FULL, PostgreSQL's ``disk_full``) is reported as
        :class:`~mediation.errors.StorageFull` with a clear message, after the rollback.
        """
        with self.write_session() as session:
            try:
                yield session
                session.commit()
            except BaseException as exc:
                session.rollback()
                detail = disk_full_detail(exc)
                if detail is not None:
                    raise StorageFull(DISK_FULL_MESSAGE.format(detail=detail)) from exc
                raise

    def dispose(self) -> None:
        """Close every pooled connection (after fork, or at exit)."""
        self.engine.dispose()
