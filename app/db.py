"""Async engine and session factory for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
from collections.abc import AsyncIterator, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Select, event, exc, make_url, text
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.util import await_
from sqlmodel.ext.asyncio.session import AsyncSession

from app.outage import Outage
from app.settings import Settings, ensure_private_dir

READ_ONLY = "portal_read_only"
SINGLE_STATEMENT = "portal_single_statement"  # one read statement: no transaction around it
_POINT_READ_USED = "portal_point_read_used"  # in a pooled connection's info: it served a read

# Bounded waits on PostgreSQL, so an unreachable database fails a request quickly (503) instead
# of holding it: opening a connection, and waiting for a free one in the pool.
CONNECT_TIMEOUT_SECONDS = 5.0
POOL_TIMEOUT_SECONDS = 5.0


# SQLSTATE classes of a database that is away rather than refusing a statement: connection
# exceptions (08), operator intervention (57P01 admin shutdown, 57P02 crash, 57P03 cannot connect
# now: starting or shutting down) and too many connections.
_UNAVAILABLE_SQLSTATES = ("08", "57P", "53300")


def is_unavailable(error: BaseException) -> bool:
    """The database cannot be reached (down, restarting, connections dropped, pool exhausted),
    as opposed to a statement it refused: worth a 503 and a retry, not a 500. Looks through
    SQLAlchemy's wrapper and the driver's chain of causes."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen or len(seen) > 10:
            continue
        seen.add(id(current))
        if isinstance(current, exc.DBAPIError):
            if current.connection_invalidated or isinstance(current, exc.InterfaceError):
                return True
            pending.append(current.orig)
        if isinstance(current, exc.TimeoutError | OSError | TimeoutError):
            return True  # pool timeout, connection refused / reset, connect timeout
        state = getattr(current, "sqlstate", None) or getattr(current, "pgcode", None)
        if isinstance(state, str) and state.startswith(_UNAVAILABLE_SQLSTATES):
            return True
        if type(current).__module__.startswith("asyncpg") and (
            type(current).__name__ in ("InterfaceError", "ConnectionDoesNotExistError")
        ):
            return True
        pending += [current.__cause__, current.__context__]
    return False


class OutageLog(Outage):
    """How a background job logs its failures: a database that is unavailable
    (``is_unavailable``) gets one warning when it goes away and one info line once the job's
    database work succeeds again (``up()``), instead of a traceback every poll; any other
    error is logged with its traceback, every time. One per job: ``job`` names it in the logs."""

    def __init__(self, job: str, logger: logging.Logger) -> None:
        super().__init__(
            logger,
            f"{job}: database unavailable; retrying until it is back",
            f"{job}: database available again",
            {"job": job},
        )
        self.job = job

    def failed(self, error: BaseException, message: str, *args: object) -> None:
        """Log ``error`` (usually from an ``except`` block) that ``message % args`` describes."""
        if is_unavailable(error):
            self.down(error, failed=message % args)
        else:
            self.logger.error(message, *args, exc_info=error, extra={"fields": {"job": self.job}})


def create_engine(settings: Settings) -> AsyncEngine:
    url = settings.resolved_database_url
    if url.startswith("sqlite"):
        ensure_private_dir(settings.data_dir)
        _private_database_file(url)
        engine = create_async_engine(url, connect_args={"timeout": 30})
        _configure_sqlite(engine)
        return engine
    engine = create_async_engine(
        url,
        pool_size=10,
        max_overflow=10,
        pool_pre_ping=True,  # a connection the server dropped (restart) is replaced, not used
        pool_timeout=POOL_TIMEOUT_SECONDS,
        connect_args={"timeout": CONNECT_TIMEOUT_SECONDS},
    )
    _ping_in_one_round_trip(engine)
    return engine


def _ping_in_one_round_trip(engine: AsyncEngine) -> None:
    """The pre-ping of a pooled asyncpg connection as one ``;`` (one round trip) instead of
    SQLAlchemy's BEGIN, ``;``, ROLLBACK (three, a wrapper for pgbouncer's transaction mode, which
    no deployment here uses): every checkout pays it, so every transaction (a request's, each
    webhook delivery cycle's) saved two round trips. A dead connection fails the ``;`` as it
    failed the wrapped one (the same DBAPI error, so the pool replaces it the same way)."""
    dialect = engine.sync_engine.dialect
    default_ping = dialect.do_ping

    def do_ping(dbapi_connection: Any) -> bool:
        handle = getattr(dbapi_connection, "_handle_exception", None)
        if handle is None or getattr(dbapi_connection, "_transaction", None) is not None:
            return default_ping(dbapi_connection)  # not the asyncpg adapter this was written for
        try:
            await_(dbapi_connection.driver_connection.fetchrow(";"))
        except Exception as error:
            handle(error)  # raises the adapted DBAPI error, as SQLAlchemy's own ping does
        return True

    dialect.do_ping = do_ping  # type: ignore[method-assign]


def _private_database_file(url: str) -> None:
    """The SQLite file (and its -wal/-shm companions, which SQLite creates with the database
    file's permissions) readable by the owner only: created 0600 before SQLite opens it, and an
    existing one of ours tightened."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    for candidate in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        try:
            info = candidate.stat()
        except FileNotFoundError:
            continue
        if info.st_uid == os.getuid() and info.st_mode & 0o077:
            candidate.chmod(0o600)


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself (see "begin" below) instead of the driver.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Use cases that write take the write lock up front (IMMEDIATE), so two writers queue
        # on busy_timeout instead of failing with SQLITE_BUSY when a read tries to upgrade.
        # Read-only sessions (Database.reader) begin DEFERRED and never wait for writers (WAL).
        options = connection.get_execution_options()
        if options.get(SINGLE_STATEMENT):
            return  # autocommit mode: the one statement is its own (consistent) transaction
        if options.get(READ_ONLY):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    """The engine plus a session factory; services open one unit of work per use case."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._point_reads: list[PointRead] = []
        self.engine = create_engine(settings)
        self.sessionmaker = async_sessionmaker(
            self.engine, class_=AsyncSession, expire_on_commit=False
        )
        self.readonly_sessionmaker = async_sessionmaker(
            self.engine.execution_options(**{READ_ONLY: True}),
            class_=AsyncSession,
            expire_on_commit=False,
        )

        # One statement on a pooled connection without BEGIN / ROLLBACK round trips (a single
        # SELECT sees one consistent snapshot by itself): the key verifier's cache miss. On
        # PostgreSQL its own small pool without the pre-ping round trip: PointRead retries once
        # when a connection the pool had already used turns out dead.
        if self.engine.dialect.name == "sqlite":
            self.single_statement_engine = self.engine.execution_options(**{SINGLE_STATEMENT: True})
        else:
            self.single_statement_engine = create_async_engine(
                settings.resolved_database_url,
                pool_size=5,
                max_overflow=10,
                isolation_level="AUTOCOMMIT",
                pool_timeout=POOL_TIMEOUT_SECONDS,
                connect_args={"timeout": CONNECT_TIMEOUT_SECONDS},
            )

    @property
    def is_postgresql(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A unit of work that may write (on SQLite it holds the write lock from the start)."""
        async with self.sessionmaker() as session:
            yield session

    @asynccontextmanager
    async def reader(self) -> AsyncIterator[AsyncSession]:
        """A read-only unit of work: never blocks on, or blocks, writers."""
        async with self.readonly_sessionmaker() as session:
            yield session

    @asynccontextmanager
    async def single_statement(self) -> AsyncIterator[AsyncConnection]:
        """A pooled connection for one read statement, outside any transaction."""
        async with self.single_statement_engine.connect() as connection:
            yield connection

    async def ping(self) -> None:
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def notify(self, channel: str, message: str) -> None:
        """PostgreSQL NOTIFY, the publishing side of ``app/pubsub.py`` when Redis is not
        configured: one autocommit statement on a pooled connection (no BEGIN/COMMIT round trips;
        NOTIFY is sent as the statement commits)."""
        async with self.engine.connect() as pooled:
            connection = await pooled.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(
                text("SELECT pg_notify(:channel, :message)"),
                {"channel": channel, "message": message},
            )

    def point_read(self, statement: Select[Any]) -> PointRead:
        """A :class:`PointRead` of ``statement``, closed with the database."""
        reader = PointRead(self, statement)
        self._point_reads.append(reader)
        return reader

    async def dispose(self) -> None:
        for reader in self._point_reads:
            await reader.close()
        if self.single_statement_engine.sync_engine.pool is not self.engine.sync_engine.pool:
            await self.single_statement_engine.dispose()
        await self.engine.dispose()


class PointRead:
    """One fixed read statement (a look-up by a unique key) run by the driver itself.

    SQLAlchemy's async layer costs hundreds of microseconds per call around a statement that
    takes tens: a pooled connection's checkout and reset, result machinery, and on SQLite one
    thread hop per cursor operation. This compiles the statement once and runs it: on SQLite
    in one call to a reader thread of its own, with its own connection (``query_only``; WAL
    readers never wait for writers, and the event loop never waits on the disk); on PostgreSQL
    on the driver connection of a pooled (autocommit) connection, through asyncpg's
    prepared-statement cache. The row comes back through the columns' own result processors,
    so its values are the ones SQLAlchemy gives. A database SQLite cannot share between
    connections (``:memory:``) is read through the engine as before."""

    def __init__(self, db: Database, statement: Select[Any]) -> None:
        self.db = db
        self.statement = statement
        dialect = db.engine.dialect
        compiled = statement.compile(dialect=dialect)
        self.sql = compiled.string
        self.names = tuple(compiled.positiontup or ())
        # the columns' result processors; on PostgreSQL some depend on the type the server
        # reports, read when the statement is first prepared
        self.processors: tuple[Callable[[Any], Any] | None, ...] | None = None
        if dialect.name != "postgresql":
            self.processors = self._processors([None] * len(statement.selected_columns))
        self.path: str | None = None
        if dialect.name == "sqlite":
            database = make_url(db.settings.resolved_database_url).database
            if database and database != ":memory:" and not database.startswith("file:"):
                self.path = database
        self.trace: Callable[[str], None] | None = None  # tests: each statement the driver ran
        self._executor: ThreadPoolExecutor | None = None
        self._sqlite: sqlite3.Connection | None = None  # opened and used in the reader thread

    async def first(self, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        values = tuple(params[name] for name in self.names)
        if self.path is not None:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(1, thread_name_prefix="portal-point-read")
            loop = asyncio.get_running_loop()
            row = await loop.run_in_executor(self._executor, self._sqlite_first, values)
        elif self.db.is_postgresql:
            row = await self._postgresql_first(values)
        else:
            async with self.db.single_statement() as connection:
                result = await connection.execute(self.statement, dict(params))
                found = result.first()
            return tuple(found) if found is not None else None
        if row is None:
            return None
        assert self.processors is not None
        return tuple(
            value if process is None else process(value)
            for process, value in zip(self.processors, row, strict=True)
        )

    def _processors(self, coltypes: list[Any]) -> tuple[Callable[[Any], Any] | None, ...]:
        dialect = self.db.engine.dialect
        return tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, coltype)
            for column, coltype in zip(self.statement.selected_columns, coltypes, strict=True)
        )

    def _sqlite_first(self, values: tuple[Any, ...]) -> tuple[Any, ...] | None:
        connection = self._sqlite
        if connection is None:
            assert self.path is not None
            connection = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            connection.execute("PRAGMA query_only=ON")
            self._sqlite = connection
        if self.trace is not None:
            self.trace(self.sql)
        row: tuple[Any, ...] | None = connection.execute(self.sql, values).fetchone()
        return row

    async def _postgresql_first(self, values: tuple[Any, ...], *, retried: bool = False) -> Any:
        """One attempt; a second only when the first ran on a connection the pool had already
        used and the fetch found it dead (the server restarted since: SQLAlchemy's
        ``connection_invalidated`` retry). Failing to get a connection at all (refused, the
        connect or pool timeout) is not retried: a database that is down costs a request one
        bounded wait, then the data plane's 503."""
        async with self.db.single_statement() as connection:
            raw = await connection.get_raw_connection()
            reused = raw.info.get(_POINT_READ_USED, False)
            raw.info[_POINT_READ_USED] = True  # the record's info: cleared when it reconnects
            driver = raw.driver_connection
            assert driver is not None
            if self.trace is not None:
                self.trace(self.sql)
            try:
                if self.processors is None:
                    prepared = await driver.prepare(self.sql)
                    oids = [attribute.type.oid for attribute in prepared.get_attributes()]
                    self.processors = self._processors(oids)
                return await driver.fetchrow(self.sql, *values)
            except Exception as error:
                if not is_unavailable(error):
                    raise
                # Dead: never back into the pool, nor any connection opened before it (a
                # restart dropped them all): they reconnect at their next checkout, as
                # SQLAlchemy's own disconnect handling does.
                self.db.single_statement_engine.sync_engine.pool._invalidate(raw, error)
                if retried or not reused:
                    raise
        return await self._postgresql_first(values, retried=True)

    async def close(self) -> None:
        executor, self._executor = self._executor, None
        if executor is None:
            return
        await asyncio.get_running_loop().run_in_executor(executor, self._close_sqlite)
        executor.shutdown(wait=True)

    def _close_sqlite(self) -> None:
        connection, self._sqlite = self._sqlite, None
        if connection is not None:
            connection.close()
