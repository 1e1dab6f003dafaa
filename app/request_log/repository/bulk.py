"""The writer's raw-row insert: one driver ``executemany`` of the compiled INSERT (SQLite), or
asyncpg's binary ``COPY ... FROM STDIN`` into the partitioned parent (PostgreSQL: ~40% less
backend CPU per row than the INSERT; ``bench/bench_log_copy.py``). Either way in the
caller's transaction, and a failure surfaces as SQLAlchemy's ``DBAPIError`` (or the plain
``OSError`` / ``TimeoutError`` of a lost socket), as the INSERT's does, so the writer's retry
and poison-record isolation (app/request_log/writer.py) work the same."""

from __future__ import annotations

import operator
import weakref
from collections.abc import Callable, Sequence
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy import exc
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection

from app.request_log.models import REQUEST_LOGS
from app.request_log.record import FIELDS, LogRecord

# Values the driver cannot encode for their column (an int beyond int4, a str for a number):
# the database would refuse the row all the same, so it is refused (isolated), not retried.
_ENCODING_ERRORS = (TypeError, ValueError, OverflowError)


JSON_CHUNK_BYTES = 4 << 20  # far below SQLite's 1e9-byte string limit, whatever the rows hold


def json_chunks(rows: Sequence[tuple[Any, ...]]) -> list[str]:
    """The rows as JSON arrays of arrays, each at most ``JSON_CHUNK_BYTES`` (or one row). A
    batch that fits (the usual 1,000 records: well under 1 MB) is one ``orjson.dumps`` call."""
    whole = orjson.dumps(rows)
    if len(whole) <= JSON_CHUNK_BYTES:
        return [whole.decode()]
    chunks: list[bytes] = []
    group: list[bytes] = []
    size = 0
    for row in rows:
        encoded = orjson.dumps(row)
        if group and size + len(encoded) > JSON_CHUNK_BYTES:
            chunks.append(b"[" + b",".join(group) + b"]")
            group, size = [], 0
        group.append(encoded)
        size += len(encoded) + 1
    if group:
        chunks.append(b"[%b]" % b",".join(group))
    return [chunk.decode() for chunk in chunks]


class BulkInsert:
    """Compiled once per dialect: the driver's own SQL and column order, each record's values
    read in one ``attrgetter`` call and put through the columns' own bind processors (JSON
    serialization, None as JSON ``null``, as SQLAlchemy does). The rows stored are the ones
    ``insert(sa.insert(...), dicts)`` stores, without SQLAlchemy's per-row parameter
    handling; COPY sends the very same tuples (asyncpg's codecs, SQLAlchemy's JSON one
    included, encode them from the table's own column types)."""

    def __init__(self, dialect: Dialect) -> None:
        compiled = sa.insert(REQUEST_LOGS).compile(dialect=dialect, column_keys=list(FIELDS))
        names = list(compiled.positiontup or ())
        assert sorted(names) == sorted(FIELDS), names
        self.sql = str(compiled)
        self.columns = names
        self.copy = dialect.name == "postgresql" and dialect.driver == "asyncpg"
        self.json_rows = dialect.name == "sqlite"
        quoted = [dialect.identifier_preparer.quote(n) for n in names]
        # SQLite: a chunk of rows as one JSON parameter, one statement step
        table = dialect.identifier_preparer.format_table(REQUEST_LOGS)
        extracts = ", ".join(f"json_extract(value, '$[{i}]')" for i in range(len(names)))
        self.json_sql = (
            f"INSERT INTO {table} ({', '.join(quoted)}) SELECT {extracts} FROM json_each(?)"  # noqa: S608
        )
        preparer = dialect.identifier_preparer
        self.copy_sql = (  # what asyncpg sends; named in errors
            f"COPY {preparer.format_table(REQUEST_LOGS)} "
            f"({', '.join(preparer.quote(n) for n in names)}) FROM STDIN (FORMAT binary)"
        )
        self.values: Callable[[LogRecord], tuple[Any, ...]] = operator.attrgetter(*names)
        self.processors: list[tuple[int, Callable[[Any], Any], Any]] = []
        for index, name in enumerate(names):
            process = REQUEST_LOGS.c[name].type._cached_bind_processor(dialect)
            if process is not None:
                self.processors.append((index, process, process(None)))

    def rows(self, records: Sequence[LogRecord]) -> list[tuple[Any, ...]]:
        values = self.values
        if not self.processors:
            return [values(r) for r in records]
        rows: list[tuple[Any, ...]] = []
        for record in records:
            row = list(values(record))
            for index, process, none in self.processors:
                value = row[index]
                row[index] = none if value is None else process(value)
            rows.append(tuple(row))
        return rows

    async def write(self, connection: AsyncConnection, records: Sequence[LogRecord]) -> None:
        if self.copy:
            await self._copy(connection, self.rows(records))
            return
        rows = self.rows(records)
        if self.json_rows:
            try:
                chunks = json_chunks(rows)
            except orjson.JSONEncodeError:
                pass  # a value JSON cannot carry (a lone surrogate): the driver decides, below
            else:
                # One bind and one sqlite3_step per chunk: executemany releases and re-takes
                # the GIL around every row's step, and with the event loop busy serving
                # requests each re-take waited, capping the writer below the traffic.
                for chunk in chunks:
                    await connection.exec_driver_sql(self.json_sql, (chunk,))
                return
        await connection.exec_driver_sql(self.sql, rows)

    async def _copy(self, connection: AsyncConnection, rows: list[tuple[Any, ...]]) -> None:
        """Binary COPY on the connection's own asyncpg connection. SQLAlchemy's asyncpg adapter
        sends BEGIN lazily, with its first statement: when COPY would be the first, a cheap
        statement through SQLAlchemy opens the transaction on the driver, so the rows commit
        (or roll back) with the rest of it. Under AUTOCOMMIT there is none, as for any
        statement."""
        raw = await connection.get_raw_connection()
        driver: Any = raw.driver_connection
        if not driver.is_in_transaction():
            await connection.execute(sa.text("SELECT 1"))
        try:
            await driver.copy_records_to_table(
                REQUEST_LOGS.name,
                records=rows,
                columns=self.columns,
                schema_name=REQUEST_LOGS.schema,
            )
        except Exception as error:
            raise await self._translated(connection, raw.dbapi_connection, error) from error

    async def _translated(
        self, connection: AsyncConnection, adapter: Any, error: Exception
    ) -> Exception:
        """The error as SQLAlchemy raises it for a statement it ran: asyncpg's exception
        through the adapter's own translation (the one its cursors use: it also forgets a
        transaction the closed connection lost) into the DB-API exception, wrapped as
        ``DBAPIError`` (``IntegrityError``, ...); a connection that died on the way is
        invalidated (never back into the pool) and the error says so."""
        dialect = connection.dialect
        dbapi = dialect.loaded_dbapi
        translated: Exception = error
        if isinstance(error, _ENCODING_ERRORS) and not isinstance(error, dbapi.Error):
            translated = dbapi.DataError(f"invalid input for COPY: {error!r}", error)
        else:
            try:
                adapter._handle_exception(error)
            except Exception as raised:
                translated = raised
        closed = bool(adapter.driver_connection.is_closed())
        wrapped: Exception = translated
        if isinstance(translated, dbapi.Error):
            wrapped = exc.DBAPIError.instance(
                self.copy_sql,
                None,
                translated,
                dbapi.Error,
                connection_invalidated=closed,
                dialect=dialect,
            )
        if closed:
            await connection.invalidate(wrapped)
        return wrapped


_BULK: weakref.WeakKeyDictionary[Dialect, BulkInsert] = weakref.WeakKeyDictionary()


def bulk_insert(dialect: Dialect) -> BulkInsert:
    bulk = _BULK.get(dialect)
    if bulk is None:
        bulk = _BULK[dialect] = BulkInsert(dialect)
    return bulk
