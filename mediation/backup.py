"""Back up and restore the database: SQLite's online backup API, or pg_dump / pg_restore.

- **SQLite**: :func:`backup` copies the live database page by page through SQLite's online
  backup API (``sqlite3.Connection.backup``): a consistent snapshot even while the service
  writes (WAL), never a half-copied file as ``cp`` could give. :func:`restore` first checks
  the file (``PRAGMA integrity_check`` and a schema version), then copies it over the
  configured database through the same API.
- **PostgreSQL**: ``pg_dump --format=custom`` and ``pg_restore --clean --if-exists
  --single-transaction`` (all or nothing). The password of the URL goes to the tools through
  ``PGPASSWORD``, not their command line (which ``ps`` shows to every user).

Restore replaces everything in the target database. Stop the service first (see
docs/deploy.md), and run ``mediation verify-audit`` afterwards.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from mediation.db import normalise_url
from mediation.errors import InvalidInput, MediationError
from mediation.schema import is_known_revision


class BackupError(MediationError):
    """A backup or restore that could not be done; nothing was changed."""


@dataclass(frozen=True)
class BackupResult:
    """What was written or read, for the command line to print."""

    path: Path
    size: int
    kind: str


def _backend(url: str) -> tuple[str, URL]:
    parsed = make_url(normalise_url(url))
    return parsed.get_backend_name(), parsed


def _sqlite_path(parsed: URL) -> Path:
    database = parsed.database or ""
    if not database or database == ":memory:" or database.startswith("file:"):
        raise InvalidInput("backup needs an SQLite database file, not an in-memory database")
    return Path(database)


def backup(url: str, target: Path) -> BackupResult:
    """Write a consistent copy of the database at ``url`` to ``target`` (not overwritten)."""
    if target.exists():
        raise InvalidInput(f"{target} exists already: choose a new file name")
    backend, parsed = _backend(url)
    target.parent.mkdir(parents=True, exist_ok=True)
    if backend == "sqlite":
        source_path = _sqlite_path(parsed)
        if not source_path.is_file():
            raise InvalidInput(f"there is no database at {source_path}")
        partial = target.with_name(target.name + ".partial")
        try:
            _sqlite_copy(source_path, partial)
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
        return BackupResult(target, target.stat().st_size, "sqlite")
    if backend == "postgresql":
        partial = target.with_name(target.name + ".partial")
        try:
            _run_pg("pg_dump", ["--format=custom", "--no-owner", f"--file={partial}"], parsed)
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
        return BackupResult(target, target.stat().st_size, "postgresql")
    raise InvalidInput(f"cannot back up a {backend} database")


def restore(url: str, source: Path) -> BackupResult:
    """Replace the database at ``url`` with the backup in ``source``."""
    if not source.is_file():
        raise InvalidInput(f"there is no backup file {source}")
    backend, parsed = _backend(url)
    if backend == "sqlite":
        _check_sqlite_backup(source)
        target_path = _sqlite_path(parsed)
        target_path.parent.mkdir(parents=True, exist_ok=True)
        _sqlite_copy(source, target_path)
        return BackupResult(source, source.stat().st_size, "sqlite")
    if backend == "postgresql":
        if source.read_bytes()[:5] != b"PGDMP":
            raise InvalidInput(f"{source} is not a pg_dump archive (made by `mediation backup`)")
        _run_pg(
            "pg_restore",
            ["--clean", "--if-exists", "--no-owner", "--single-transaction", str(source)],
            parsed,
        )
        return BackupResult(source, source.stat().st_size, "postgresql")
    raise InvalidInput(f"cannot restore a {backend} database")


def _sqlite_copy(source: Path, target: Path) -> None:
    # The backup API takes the source's read lock step by step and retries on a busy page:
    # the copy is a consistent snapshot of one moment, whatever the service writes meanwhile.
    try:
        with (
            closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as src,
            closing(sqlite3.connect(target)) as dst,
        ):
            src.backup(dst, pages=1024)
            # Everything in the main file: nothing left in a WAL beside it.
            dst.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sqlite3.Error as exc:  # e.g. "unable to open database file": a place not writable
        raise BackupError(f"cannot copy {source} to {target}: {exc}") from None


def _check_sqlite_backup(source: Path) -> None:
    try:
        with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as connection:
            verdict = connection.execute("PRAGMA integrity_check").fetchone()
            tables = {r[0] for r in connection.execute("SELECT name FROM sqlite_master")}
            revisions = (
                [str(r[0]) for r in connection.execute("SELECT version_num FROM alembic_version")]
                if "alembic_version" in tables
                else []
            )
    except sqlite3.DatabaseError as exc:
        raise InvalidInput(f"{source} is not an SQLite database: {exc}") from None
    except UnicodeDecodeError:
        # sqlite3 decodes SQLite's message, which quotes the damaged schema's bytes.
        raise InvalidInput(f"{source} is damaged: its schema is not readable") from None
    if not verdict or verdict[0] != "ok":
        raise InvalidInput(f"{source} is damaged (integrity check: {verdict})")
    if not {"alembic_version", "mediation_case", "audit_event"} <= tables:
        raise InvalidInput(f"{source} is not a backup of this application's database")
    if len(revisions) != 1 or not is_known_revision(revisions[0]):
        raise InvalidInput(
            f"{source} has schema version {', '.join(revisions) or 'none'}, which this release "
            "does not know (a backup of a newer release, or not of this application)"
        )


def _run_pg(tool: str, arguments: list[str], parsed: URL) -> None:
    binary = shutil.which(tool)
    if binary is None:
        raise BackupError(
            f"{tool} is not installed: apt-get install postgresql-client "
            "(its major version at least the server's)"
        )
    environment = dict(os.environ)
    if parsed.password:
        environment["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    dsn = plain.render_as_string(hide_password=False)
    completed = subprocess.run(
        [binary, f"--dbname={dsn}", *arguments],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise BackupError(f"{tool} failed ({completed.returncode}): {completed.stderr.strip()}")
