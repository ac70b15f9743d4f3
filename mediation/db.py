"""Database engines and sessions: SQLite (embedded default) or PostgreSQL, same code.

On SQLite every connection runs in WAL mode with ``synchronous=FULL`` (money is written here)
and a busy timeout, and a *write* session begins its transaction with ``BEGIN IMMEDIATE``:
Python's sqlite3 begins DEFERRED, and a read-then-write transaction would then fail at once
with "database is locked" instead of waiting (see PERFORMANCE-NOTES). The dialect begins
every transaction itself (``BEGIN``); the ``begin`` event that makes it IMMEDIATE is listened
to on the write sessions' engine (``engine.execution_options(...)``) only. An engine with any
listener dispatches events around each of its statements, which costs about as much as
running a small query: the reading engine, which every page uses, has none.

:class:`Prebuilt` runs statements built once at import (SQLAlchemy Core objects) straight on
the DBAPI connection of a session's transaction, each compiled once per dialect: the hot path
of :func:`mediation.cases.service.advance` uses it.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

from sqlalchemy import event
from sqlalchemy.engine import Connection, Dialect, Engine, make_url
from sqlalchemy.exc import DBAPIError, MultipleResultsFound, NoResultFound
from sqlalchemy.pool import StaticPool
from sqlalchemy.sql import ClauseElement, Executable
from sqlalchemy.sql.compiler import SQLCompiler
from sqlmodel import Session, create_engine

from mediation.errors import StorageFull

SQLITE_BUSY_TIMEOUT_MS = 10_000
#: SQLite's primary result code for "database or disk is full", and PostgreSQL's SQLSTATE.
SQLITE_FULL = 13
POSTGRES_DISK_FULL = "53100"
#: The execution option of write sessions (their engine begins SQLite's BEGIN IMMEDIATE).
_IMMEDIATE = "mediation_begin_immediate"
DISK_FULL_MESSAGE = (
    'the database\'s disk is full ("{detail}"): nothing was saved. '
    "Free space on the disk that holds the database, then try again."
)


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


def _on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the driver, decide when transactions begin.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _configure_sqlite(engine: Engine) -> None:
    # A pool event: it does not make the engine dispatch events around each statement.
    event.listen(engine, "connect", _on_connect)

    def do_begin(dbapi_connection: Any) -> None:
        # pysqlite's own do_begin does nothing (the driver would begin by itself, DEFERRED,
        # and only before a write); with the driver's autocommit off, the dialect begins here
        # — unless a write engine's ``begin`` listener began IMMEDIATE just before.
        driver = dbapi_connection.driver_connection
        if not driver.in_transaction:
            driver.execute("BEGIN")

    engine.dialect.do_begin = do_begin  # type: ignore[method-assign]


def _begin_immediate(connection: Connection) -> None:
    connection.connection.driver_connection.execute("BEGIN IMMEDIATE")  # type: ignore[union-attr]


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
        if self.is_sqlite:
            # Listened to on the write engine only: the reading engine stays without events.
            event.listen(self._write_engine, "begin", _begin_immediate)

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


# --------------------------------------------------------------------------- prebuilt statements


_REQUIRED = object()
_NO_PARAMETERS: Mapping[str, Any] = {}


class _Prepared:
    """A statement compiled once for one dialect, and what running it takes.

    The arguments of a run start from a template holding every compiled-in value (the
    statement's literals, scalar column defaults), already through its bind processor; the
    caller's parameters are filled in, processed, at their places.
    """

    __slots__ = (
        "fills",
        "make_row",
        "optional",
        "result_processors",
        "sql",
        "statement",
        "template",
    )

    def __init__(
        self,
        statement: Executable,
        sql: str,
        template: list[Any] | dict[str, Any],
        fills: tuple[_Fill, ...],
        optional: tuple[_Optional, ...],
        result_processors: tuple[tuple[int, Callable[[Any], Any]], ...],
        make_row: Callable[[Any], tuple[Any, ...]] | None,
    ) -> None:
        self.statement = statement
        self.sql = sql
        #: Arguments in placeholder order (positional paramstyles) or by name.
        self.template = template
        #: Parameters the caller must give: name, bind processor, places.
        self.fills = fills
        #: Column defaults SQLAlchemy would compute when the caller leaves them out: name,
        #: processor, places, the default's callable (None: the template holds its value).
        self.optional = optional
        self.result_processors = result_processors
        self.make_row = make_row

    def arguments(self, given: Mapping[str, Any]) -> Any:
        """The driver's arguments for one set of the caller's parameters."""
        arguments: Any = self.template.copy()
        try:
            for name, processor, places in self.fills:
                value = given[name]
                if processor is not None:
                    value = processor(value)
                for place in places:
                    arguments[place] = value
        except KeyError as missing:
            raise ValueError(f"a value is required for the parameter {missing}") from None
        for name, processor, places, default in self.optional:
            if name in given:
                value = given[name]
            elif default is not None:
                value = default(None)
            else:
                continue
            if processor is not None:
                value = processor(value)
            for place in places:
                arguments[place] = value
        return arguments


_Processor = Callable[[Any], Any]
_Fill = tuple[str, _Processor | None, tuple[Any, ...]]
_Optional = tuple[str, _Processor | None, tuple[Any, ...], _Processor | None]

#: dialect → (statement id, parameter names) → prepared statement.
_PREPARED: dict[Hashable, dict[Hashable, _Prepared]] = {}
#: Statements are prebuilt, so the cache holds a few dozen; a statement built per call would
#: fill it, and it is emptied past this size rather than grow.
_MAX_PREPARED = 2_000


def _dialect_key(dialect: Dialect) -> Hashable:
    return (type(dialect), dialect.paramstyle, dialect.server_version_info)


def _prepare(statement: Executable, dialect: Dialect, keys: tuple[str, ...]) -> _Prepared:
    compiled = cast(
        SQLCompiler,
        cast(ClauseElement, statement).compile(dialect=dialect, column_keys=list(keys) or None),
    )
    if compiled.literal_execute_params or compiled.post_compile_params:
        raise ValueError("a prebuilt statement cannot have expanding or literal parameters")
    if compiled.escaped_bind_names:
        raise ValueError("a prebuilt statement cannot have parameter names that need escaping")
    binds = compiled.binds
    values = {
        name: _REQUIRED if binds[name].required else value
        for name, value in compiled.params.items()
    }
    processors = {
        name: binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in values
    }
    defaults: dict[str, _Processor | None] = {}
    for column, attribute in [(c, "default") for c in compiled.insert_prefetch] + [
        (c, "onupdate") for c in compiled.update_prefetch
    ]:
        default = getattr(column, attribute)
        if default is None or column.key not in values:
            raise ValueError(f"cannot prebuild the default of {column}")
        if default.is_callable:
            defaults[column.key] = default.arg
        elif default.is_scalar:
            values[column.key] = default.arg
            defaults[column.key] = None
        else:
            raise ValueError(f"cannot prebuild the default of {column}")
    places: dict[str, tuple[Any, ...]]
    template: Any
    if dialect.positional:
        order = list(compiled.positiontup or ())
        places = {name: tuple(i for i, n in enumerate(order) if n == name) for name in values}
        template = [None] * len(order)
    else:
        places = {name: (name,) for name in values}
        template = dict.fromkeys(values)
    fills: list[_Fill] = []
    for name, value in values.items():
        processor = processors[name]
        if value is _REQUIRED:
            fills.append((name, processor, places[name]))
            continue
        for place in places[name]:
            template[place] = processor(value) if processor is not None else value
    optional = tuple(
        (name, processors[name], places[name], default) for name, default in defaults.items()
    )
    result_processors: list[tuple[int, _Processor]] = []
    make_row = None
    returns = getattr(statement, "exported_columns", None)
    if returns is not None and len(returns):
        make_row = _row_class(list(returns.keys()))._make  # type: ignore[attr-defined]
        for index, column in enumerate(returns):
            processor = column.type.dialect_impl(dialect).result_processor(dialect, None)
            if processor is not None:
                result_processors.append((index, processor))
    return _Prepared(
        statement=statement,
        sql=compiled.string,
        template=template,
        fills=tuple(fills),
        optional=optional,
        result_processors=tuple(result_processors),
        make_row=make_row,
    )


def _row_class(names: list[str]) -> type[tuple[Any, ...]]:
    # Rows read by attribute and by index, as SQLAlchemy's (a name it cannot take: _0, _1...).
    make: Callable[..., type[tuple[Any, ...]]] = namedtuple
    return make("Row", names, rename=True)


class PrebuiltResult:
    """The rows (already fetched) and row count of one statement, read like SQLAlchemy's."""

    __slots__ = ("rowcount", "rows")

    def __init__(self, rows: list[Any], rowcount: int) -> None:
        self.rows = rows
        self.rowcount = rowcount

    def __iter__(self) -> Iterator[Any]:
        return iter(self.rows)

    def all(self) -> list[Any]:
        """Every row."""
        return list(self.rows)

    def first(self) -> Any | None:
        """The first row, or None."""
        return self.rows[0] if self.rows else None

    def one_or_none(self) -> Any | None:
        """The one row, or None; more than one is an error."""
        if len(self.rows) > 1:
            raise MultipleResultsFound("Multiple rows were found when one or none was required")
        return self.rows[0] if self.rows else None

    def one(self) -> Any:
        """The one row; none or more than one is an error."""
        row = self.one_or_none()
        if row is None:
            raise NoResultFound("No row was found when one was required")
        return row

    def scalar_one_or_none(self) -> Any | None:
        """The first column of the one row, or None."""
        row = self.one_or_none()
        return None if row is None else row[0]

    def scalar_one(self) -> Any:
        """The first column of the one row."""
        return self.one()[0]

    def scalar(self) -> Any | None:
        """The first column of the first row, or None."""
        return self.rows[0][0] if self.rows else None

    def scalars(self) -> list[Any]:
        """The first column of every row."""
        return [row[0] for row in self.rows]


class Prebuilt:
    """Run prebuilt statements on the DBAPI connection under a SQLAlchemy connection.

    For the hot path: a statement object built once (at import) is compiled once per dialect
    and then executed by the driver itself, without SQLAlchemy's per-statement execution
    machinery (execution context, events, result objects). Parameters get the same column
    defaults and type processing SQLAlchemy gives them, rows the same result processing;
    driver errors are raised as SQLAlchemy's ``DBAPIError`` subclasses, and a lost connection
    is invalidated, as SQLAlchemy does. The transaction stays SQLAlchemy's (the session's
    begin and commit). Statements run this way are not seen by engine events or echo.
    """

    __slots__ = ("_connection", "_cursor", "_dialect", "_driver", "_prepared")

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._driver: Any = connection.connection.driver_connection
        self._dialect = connection.dialect
        self._prepared = _PREPARED.setdefault(_dialect_key(self._dialect), {})
        self._cursor: Any = None

    def execute(
        self,
        statement: Executable,
        parameters: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
    ) -> PrebuiltResult:
        """Run ``statement`` with one set of parameters, or with each of a list of them."""
        many: Sequence[Mapping[str, Any]] = ()
        given: Mapping[str, Any]
        if parameters is None:
            given = _NO_PARAMETERS
        elif type(parameters) is dict or isinstance(parameters, Mapping):
            given = parameters
        else:
            if not parameters:
                return PrebuiltResult([], 0)
            given = parameters[0]
            if len(parameters) > 1:
                # One row goes as one execute: psycopg's executemany would set up a pipeline.
                many = parameters
        # An INSERT or UPDATE writes the columns it is given: one compilation per set of them.
        key = (id(statement), tuple(given)) if statement.is_dml else id(statement)
        prepared = self._prepared.get(key)
        if prepared is None or prepared.statement is not statement:
            if len(self._prepared) >= _MAX_PREPARED:
                self._prepared.clear()
            keys = tuple(given) if statement.is_dml else ()
            prepared = self._prepared[key] = _prepare(statement, self._dialect, keys)
        cursor = self._cursor
        if cursor is None:
            cursor = self._cursor = self._driver.cursor()
        arguments: Any = None
        try:
            if many:
                arguments = [prepared.arguments(p) for p in many]
                cursor.executemany(prepared.sql, arguments)
                # No RETURNING with a list of parameters: nothing to fetch.
                return PrebuiltResult([], cursor.rowcount)
            arguments = prepared.arguments(given)
            cursor.execute(prepared.sql, arguments)
            fetched = cursor.fetchall() if cursor.description is not None else ()
        except self._dialect.loaded_dbapi.Error as error:
            raise self._translate(error, prepared.sql, arguments) from error
        make_row = prepared.make_row
        if make_row is None or not fetched:
            return PrebuiltResult([], cursor.rowcount)
        processors = prepared.result_processors
        if not processors:
            return PrebuiltResult([make_row(values) for values in fetched], cursor.rowcount)
        rows = []
        for values in fetched:
            values = list(values)
            for index, processor in processors:
                values[index] = processor(values[index])
            rows.append(make_row(values))
        return PrebuiltResult(rows, cursor.rowcount)

    def _translate(self, error: Exception, sql: str, arguments: Any) -> BaseException:
        dialect = self._dialect
        lost = dialect.is_disconnect(cast(Any, error), self._driver, self._cursor)
        if lost:
            self._connection.invalidate(error)
        return DBAPIError.instance(
            sql,
            arguments,
            error,
            dialect.loaded_dbapi.Error,
            hide_parameters=self._connection.engine.hide_parameters,
            connection_invalidated=lost,
            dialect=dialect,
        )

    def close(self) -> None:
        """Close the cursor (the connection and its transaction stay the caller's)."""
        if self._cursor is not None:
            self._cursor.close()
            self._cursor = None


_PREBUILT_KEY = "mediation.db.prebuilt"


def prebuilt(session: Session | Connection | Prebuilt) -> Prebuilt:
    """Return the :class:`Prebuilt` of a session's transaction (or of a connection)."""
    if isinstance(session, Prebuilt):
        return session
    if isinstance(session, Session):
        found: Prebuilt | None = session.info.get(_PREBUILT_KEY)
        return found if found is not None else Prebuilt(session.connection())
    return Prebuilt(session)


@contextmanager
def prebuilt_in(session: Session) -> Iterator[Prebuilt]:
    """Begin the session's transaction; share one :class:`Prebuilt` on it inside the block.

    :func:`prebuilt` called with the session inside the block returns it (the action
    handlers do), instead of asking the session for its connection again.
    """
    runner = Prebuilt(session.connection())
    previous = session.info.get(_PREBUILT_KEY)
    session.info[_PREBUILT_KEY] = runner
    try:
        yield runner
    finally:
        if previous is None:
            session.info.pop(_PREBUILT_KEY, None)
        else:
            session.info[_PREBUILT_KEY] = previous
        runner.close()
