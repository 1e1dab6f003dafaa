"""The writer's raw-row insert (app/request_log/repository/bulk.py): PostgreSQL's binary COPY
and SQLite's executemany store exactly what SQLAlchemy's own INSERT stores, in the caller's
transaction; COPY routes rows to the daily partitions, and its failures reach the writer as
SQLAlchemy errors, so its retry and poison-record isolation keep working."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import orjson
import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection

from app.container import Container
from app.db import is_unavailable
from app.request_log.models import REQUEST_LOGS, TIER_MS
from app.request_log.record import LogRecord
from app.request_log.repository import LogRepository, bulk, partition_name
from app.request_log.repository.bulk import bulk_insert
from app.request_log.writer import _refused
from app.security import random_base62
from tests.conftest import backend
from tests.support.logs import log_record

DAY = TIER_MS[2]
postgresql_only = pytest.mark.skipif(backend() != "postgresql", reason="COPY is PostgreSQL's")
UNICODE = 'ünïcødé ☃ 😀 中文 عربى \u2028 "q" \\ \t'


def full_record(**overrides: Any) -> LogRecord:
    """Every column set (unicode in the text ones, a ~1 MB header blob)."""
    values: dict[str, Any] = {
        "entity_id": "ent_" + random_base62(20),
        "mode": "test",
        "api_key_id": "key_" + random_base62(20),
        "method": "POST",
        "path": "/v1/entities/x/ørders/" + "é" * 100,
        "route": "/entities/{entity_id}/orders",
        "query": "q=" + UNICODE,
        "status": 422,
        "error_code": "validation_failed",
        "latency_ms": 12.345678901234,
        "ip": "2001:db8::7",
        "user_agent": "curl/8 " + UNICODE,
        "request_size": 2_000_000_000,
        "response_size": 17,
        "idempotency_key": "idem-" + UNICODE,
        "request_headers": [["x-blob", "😀" * 250_000], ["x-u", UNICODE], ["x-empty", ""]],
        "response_headers": [["content-type", "application/json"]],
        "request_body": '{"name": "' + UNICODE + '"}' + "x" * 100_000,
        "response_body": "",
    }
    return log_record(**{**values, **overrides})


def bare_record(**overrides: Any) -> LogRecord:
    """Every nullable column None (the JSON ones too: stored as JSON null, as SQLAlchemy does)."""
    return log_record(**overrides)


async def stored(connection: AsyncConnection, request_id: str) -> tuple[Any, ...]:
    """The row as the database holds it (every column as text, the id left out)."""
    columns = [c for c in REQUEST_LOGS.c if c.name != "id"]
    query = sa.select(*[sa.cast(c, sa.Text) for c in columns])
    return tuple((await connection.execute(query.where(REQUEST_LOGS.c.id == request_id))).one())


async def count(container: Container) -> int:
    return await container.request_logs.count_logs()


class TestInsertRecords:
    @pytest.mark.parametrize("make", [full_record, bare_record], ids=["every_column", "nulls"])
    async def test_any_record_stored_as_sqlalchemy_insert_stores_it(
        self, container: Container, make: Callable[..., LogRecord]
    ) -> None:
        ours = make()
        reference = replace(ours, id="req_" + random_base62(24))
        async with container.db.engine.begin() as connection:
            logs = LogRepository(connection)
            await logs.insert_records([ours])
            await logs.insert([reference.row()])  # SQLAlchemy's own INSERT
        async with container.db.engine.connect() as connection:
            assert await stored(connection, ours.id) == await stored(connection, reference.id)
            (row,) = await LogRepository(connection).by_ids([ours.id])
        assert row == ours.row()  # read back equal, field by field

    async def test_a_batch_stores_every_record(self, container: Container) -> None:
        records = [full_record() if i % 3 else bare_record() for i in range(500)]
        async with container.db.engine.begin() as connection:
            await LogRepository(connection).insert_records(records)
        assert await count(container) == 500
        rows = await container.request_logs.fetch([r.id for r in records])
        assert sorted(r["id"] for r in rows) == sorted(r.id for r in records)

    async def test_an_empty_batch_sends_nothing(self, container: Container) -> None:
        seen: list[str] = []
        async with container.db.engine.begin() as connection:
            listen(connection, seen)
            await LogRepository(connection).insert_records([])
        assert seen == []

    async def test_on_postgresql_no_insert_statement_is_sent(self, container: Container) -> None:
        seen: list[str] = []
        async with container.db.engine.begin() as connection:
            listen(connection, seen)
            await LogRepository(connection).insert_records([bare_record(), bare_record()])
        inserts = [s for s in seen if s.startswith("INSERT INTO request_logs")]
        assert inserts == ([] if backend() == "postgresql" else [inserts[0]])
        assert bulk_insert(container.db.engine.dialect).copy == (backend() == "postgresql")
        assert await count(container) == 2


def listen(connection: AsyncConnection, seen: list[str]) -> None:
    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(connection.sync_connection, "before_cursor_execute", before)


@postgresql_only
class TestCopyTransaction:
    async def test_copy_first_then_a_failure_rolls_the_copied_rows_back(
        self, container: Container
    ) -> None:
        async with container.db.engine.connect() as connection:
            await connection.begin()
            await LogRepository(connection).insert_records([bare_record(), full_record()])
            driver: Any = (await connection.get_raw_connection()).driver_connection
            assert driver.is_in_transaction()  # COPY ran inside the transaction
            with pytest.raises(sa.exc.DBAPIError):
                await connection.execute(sa.text("SELECT 1 / 0"))
            await connection.rollback()
        assert await count(container) == 0

    async def test_copy_first_commits_with_the_rest_of_the_transaction(
        self, container: Container
    ) -> None:
        async with container.db.engine.connect() as connection:
            await connection.begin()
            await LogRepository(connection).insert_records([bare_record()])
            await LogRepository(connection).insert([bare_record().row()])
            assert await count(container) == 0  # not visible before the commit
            await connection.commit()
        assert await count(container) == 2


@postgresql_only
class TestCopyPartitions:
    async def test_rows_of_any_day_land_in_their_partition_or_the_default(
        self, container: Container
    ) -> None:
        now = int(time.time() * 1000)
        today = now - now % DAY
        days = {"today": now, "tomorrow": today + DAY + 5, "far_ahead": today + 4000 * DAY}
        days["far_past"] = 86_400_000 + 1
        records = {name: bare_record(ts_ms=ts) for name, ts in days.items()}
        async with container.db.engine.begin() as connection:
            logs = LogRepository(connection)
            await logs.ensure_partitions(now)
            existing = await logs._partitions()
            await logs.insert_records(list(records.values()))
        async with container.db.engine.connect() as connection:
            result = await connection.execute(
                sa.text("SELECT id, tableoid::regclass::text FROM request_logs")
            )
            placed = dict(result.all())
        for name, record in records.items():
            own = partition_name(record.ts_ms - record.ts_ms % DAY)
            expected = own if own in existing else "request_logs_default"
            assert placed[record.id] == expected, name
        assert placed[records["tomorrow"].id] != "request_logs_default"
        assert placed[records["far_ahead"].id] == "request_logs_default"


@postgresql_only
class TestCopyErrors:
    async def failure(self, container: Container, records: list[LogRecord]) -> sa.exc.DBAPIError:
        async with container.db.engine.connect() as connection:
            await connection.begin()
            with pytest.raises(sa.exc.DBAPIError) as raised:
                await LogRepository(connection).insert_records(records)
            await connection.rollback()
        return raised.value

    async def test_a_duplicate_row_raises_integrity_error(self, container: Container) -> None:
        record = bare_record()
        error = await self.failure(container, [record, record])
        assert isinstance(error, sa.exc.IntegrityError) and _refused(error)
        assert getattr(error.orig, "sqlstate", None) == "23505"
        assert "COPY request_logs" in str(error)

    async def test_nul_in_text_is_refused_by_its_sqlstate(self, container: Container) -> None:
        error = await self.failure(container, [bare_record(path="/v1/\x00")])
        assert str(getattr(error.orig, "sqlstate", "")).startswith("22") and _refused(error)
        assert not is_unavailable(error)

    async def test_an_unencodable_value_raises_data_error(self, container: Container) -> None:
        error = await self.failure(container, [bare_record(), bare_record(status=2**40)])
        assert isinstance(error, sa.exc.DataError) and _refused(error)
        assert await count(container) == 0

    async def test_a_lost_connection_is_unavailable_and_invalidated(
        self, container: Container
    ) -> None:
        async with container.db.engine.connect() as connection:
            await connection.begin()
            await connection.execute(sa.text("SELECT 1"))
            await terminate(container, connection)
            with pytest.raises(sa.exc.DBAPIError) as raised:
                await LogRepository(connection).insert_records([bare_record()])
            assert raised.value.connection_invalidated and is_unavailable(raised.value)
            assert not _refused(raised.value)
            assert connection.invalidated
        assert await count(container) == 0  # and the pool serves a working connection


async def terminate(container: Container, victim: AsyncConnection) -> None:
    driver: Any = (await victim.get_raw_connection()).driver_connection
    await kill_backend(container, driver.get_server_pid())


async def kill_backend(container: Container, pid: int) -> None:
    """As a PostgreSQL restart would, from another connection."""
    async with container.db.engine.connect() as other:
        await other.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})


@asynccontextmanager
async def connection_lost_once(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[list[int]]:
    """The first COPY's backend is killed just before it runs."""
    import asyncpg

    original = asyncpg.Connection.copy_records_to_table
    calls: list[int] = []

    async def copy(self: Any, *args: Any, **kwargs: Any) -> Awaitable[Any]:
        calls.append(self.get_server_pid())
        if len(calls) == 1:
            await kill_backend(container, calls[0])
        return await original(self, *args, **kwargs)  # type: ignore[no-any-return]

    monkeypatch.setattr(asyncpg.Connection, "copy_records_to_table", copy)
    yield calls


@postgresql_only
class TestWriterOverCopy:
    async def test_a_lost_connection_is_retried_and_nothing_is_lost(
        self,
        container: Container,
        monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        from app.request_log.writer import LogWriter

        caplog.set_level(logging.INFO, logger="portal.request_log")
        writer = LogWriter(container.db)
        records = [full_record() for _ in range(3)] + [bare_record() for _ in range(50)]
        async with connection_lost_once(container, monkeypatch) as calls:
            await writer._flush_with_retry(list(records))
        assert len(calls) == 2 and calls[0] != calls[1]  # retried on a fresh connection
        assert (writer.written, writer.rejected, writer.failed_flushes) == (53, 0, 1)
        assert await count(container) == 53
        messages = [(r.levelno, r.getMessage(), r.exc_info) for r in caplog.records]
        assert messages[0][:2] == (
            logging.WARNING,
            "request log flush failed: database unavailable; records stay queued, retrying",
        )
        assert messages[0][2] is None  # one line, no traceback
        assert messages[1][:2] == (logging.INFO, "request log flush recovered")

    async def test_a_failure_after_the_copy_rolls_it_back_and_the_retry_writes_once(
        self, container: Container, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from app.request_log.repository import RollupRepository
        from app.request_log.writer import LogWriter

        original = RollupRepository.write_increments
        failures = [sa.exc.OperationalError("INSERT", {}, ConnectionResetError(104, "reset"))]

        async def write_increments(self: RollupRepository, increments: Any) -> None:
            assert await LogRepository(self.connection).count() == 20  # copied, uncommitted
            if failures:
                raise failures.pop()
            await original(self, increments)

        monkeypatch.setattr(RollupRepository, "write_increments", write_increments)
        writer = LogWriter(container.db)
        await writer._flush_with_retry([bare_record() for _ in range(20)])
        assert (writer.written, writer.rejected, writer.failed_flushes) == (20, 0, 1)
        assert await count(container) == 20  # once: the first attempt's rows were rolled back

    async def test_a_refused_record_is_isolated_and_the_others_written(
        self, container: Container
    ) -> None:
        from app.request_log.writer import LogWriter

        writer = LogWriter(container.db)
        good = [bare_record() for _ in range(6)]
        poison = [bare_record(status=2**40), bare_record(user_agent="\x00")]
        await writer._flush_with_retry([*good[:3], poison[0], *good[3:], poison[1]])
        assert (writer.written, writer.rejected) == (6, 2)
        assert await count(container) == 6


class TestSqliteJsonChunks:
    def test_rows_split_by_size_and_read_back_exactly(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(bulk, "JSON_CHUNK_BYTES", 200)
        rows = [("req_a", 1, None, 1.5, "é\u2028\U0001f69a"), ("req_b", 2, "x" * 300, 0.0, "")]
        rows += [("req_c", 3, "y", 2.25, '{"a": [1]}')]
        chunks = bulk.json_chunks(rows)
        assert len(chunks) == 3  # the 300-character row stands alone, over the limit
        assert [tuple(r) for c in chunks for r in orjson.loads(c)] == rows

    def test_batch_under_the_limit_is_one_chunk_read_back_exactly(self) -> None:
        rows = [("req_a", 1, None, 1.5, "é\u2028\U0001f69a"), ("req_b", 2, "x" * 300, 0.0, "")]
        chunks = bulk.json_chunks(rows)
        assert len(chunks) == 1
        assert [tuple(r) for r in orjson.loads(chunks[0])] == rows

    @pytest.mark.skipif(backend() != "sqlite", reason="the JSON path is SQLite's")
    async def test_one_insert_per_chunk_stores_every_record(
        self, container: Container, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(bulk, "JSON_CHUNK_BYTES", 1)  # a chunk per row
        records = [full_record(), bare_record(), full_record()]
        seen: list[str] = []
        async with container.db.engine.begin() as connection:
            listen(connection, seen)
            await LogRepository(connection).insert_records(records)
        inserts = [s for s in seen if s.startswith("INSERT INTO request_logs")]
        assert len(inserts) == 3 and all("json_each(?)" in s for s in inserts)
        rows = await container.request_logs.fetch([r.id for r in records])
        assert sorted(r["id"] for r in rows) == sorted(r.id for r in records)
