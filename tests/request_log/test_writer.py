"""The request-log writer while the database is away (app/request_log/writer.py): the batch is
retried until it is written, every failed flush is counted, and the outage is logged once each
way (app/outage.py)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from app.container import Container
from app.request_log.record import LogRecord
from app.request_log.writer import LogWriter
from tests.support.logs import log_record

AWAY = "request log flush failed: database unavailable; records stay queued, retrying"
BACK = "request log flush recovered"


class TestFlushDuringAnOutage:
    async def test_retried_until_written_and_logged_once_each_way(
        self,
        container: Container,
        caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        caplog.set_level(logging.INFO, logger="portal.request_log")
        writer = LogWriter(container.db)
        write = writer._write
        failures = [2]

        async def away_twice(records: list[LogRecord], anonymous: Any) -> None:
            if failures[0]:
                failures[0] -= 1
                refused = ConnectionRefusedError(111, "Connection refused")
                raise OperationalError("INSERT", {}, refused)
            await write(records, anonymous)

        monkeypatch.setattr(writer, "_write", away_twice)
        await writer._flush_with_retry([log_record()])
        assert writer.written == 1 and writer.failed_flushes == 2
        lines = [
            (r.levelno, r.getMessage(), r.fields)  # type: ignore[attr-defined]
            for r in caplog.records
            if r.getMessage() in (AWAY, BACK)
        ]
        assert [line[:2] for line in lines] == [(logging.WARNING, AWAY), (logging.INFO, BACK)]
        assert lines[0][2]["batch"] == 1
        assert lines[1][2]["failures"] == 2


class TestCatchUp:
    async def test_backlog_is_written_in_bigger_flushes_without_loss(
        self, container: Container
    ) -> None:
        sizes: list[int] = []

        async def flushed(records: list[LogRecord]) -> None:
            sizes.append(len(records))

        writer = LogWriter(container.db, batch_size=10, on_flushed=flushed)
        for _ in range(250):  # queued before the loop runs: a backlog of 25 batches
            writer.submit(log_record())
        stopping = asyncio.Event()
        job = asyncio.create_task(writer.run(stopping))
        await asyncio.sleep(0)  # the job starts its loop (drain alone would write it all)
        assert writer._task is not None
        await writer.drain()
        stopping.set()
        await job
        assert writer.written == 250 and writer.dropped == 0
        assert sizes[:2] == [100, 100]  # CATCH_UP batches per flush while behind
        assert sum(sizes) == 250
