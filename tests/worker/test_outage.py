"""Background jobs during a database outage (``app.db.OutageLog``): one warning when the
database becomes unavailable and one info line when it is back, per job, not a traceback per
poll; any other error still logs its traceback every time."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, cast

import pytest
from sqlalchemy.exc import OperationalError

from app.api_key.usage import UsageRecorder
from app.request_log.maintenance import Maintenance
from app.request_log.service import RequestLogService
from app.uow import UnitOfWorkFactory


def unavailable() -> OperationalError:
    """What asyncpg's refused connection looks like through SQLAlchemy."""
    return OperationalError("SELECT 1", {}, ConnectionRefusedError(111, "Connection refused"))


class ScriptedLogs:
    """A request-log service whose compaction raises the scripted errors, one per run, then
    succeeds; the last run sets ``stopping``."""

    def __init__(self, script: list[Exception | None], stopping: asyncio.Event) -> None:
        self.script = script
        self.stopping = stopping

    async def compact(self) -> int:
        error = self.script.pop(0)
        if not self.script:
            self.stopping.set()
        if error is not None:
            raise error
        return 0

    async def retention(self) -> int:
        return 0


def records(caplog: pytest.LogCaptureFixture, name: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == name]


async def run_maintenance(script: list[Exception | None]) -> Maintenance:
    stopping = asyncio.Event()
    logs = ScriptedLogs(script, stopping)
    job = Maintenance(cast(RequestLogService, logs), interval_seconds=0)
    await asyncio.wait_for(job.run(stopping), timeout=5)
    return job


class TestMaintenanceDuringAnOutage:
    async def test_one_warning_then_one_info_line(self, caplog: pytest.LogCaptureFixture) -> None:
        caplog.set_level(logging.DEBUG, logger="portal.maintenance")
        script: list[Exception | None] = [unavailable() for _ in range(5)]
        job = await run_maintenance([*script, None, None, unavailable(), None])
        assert job.failures == 6 and job.runs == 3
        logged = [(r.levelno, r.getMessage()) for r in records(caplog, "portal.maintenance")]
        away = (logging.WARNING, "maintenance: database unavailable; retrying until it is back")
        back = (logging.INFO, "maintenance: database available again")
        assert logged == [away, back, away, back]  # two outages, one line each way
        assert all(r.exc_info is None for r in records(caplog, "portal.maintenance"))
        fields: Any = records(caplog, "portal.maintenance")[0].fields  # type: ignore[attr-defined]
        assert fields["job"] == "maintenance"
        assert fields["failed"] == "maintenance failed; will retry"

    async def test_any_other_error_logs_its_traceback_every_time(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.DEBUG, logger="portal.maintenance")
        await run_maintenance([RuntimeError("bug"), RuntimeError("bug"), unavailable(), None])
        logged = records(caplog, "portal.maintenance")
        assert [r.levelno for r in logged] == [
            logging.ERROR,
            logging.ERROR,
            logging.WARNING,
            logging.INFO,
        ]
        for record in logged[:2]:
            assert record.getMessage() == "maintenance failed; will retry"
            assert record.exc_info is not None and isinstance(record.exc_info[1], RuntimeError)


class FailingFactory:
    """A unit-of-work factory whose writer raises the scripted errors (None: works)."""

    class clock:  # the factory's clock attribute, as a namespace
        @staticmethod
        def now() -> datetime:
            return datetime(2026, 1, 1, tzinfo=UTC)

    def __init__(self, script: list[Exception | None]) -> None:
        self.script = script

    @asynccontextmanager
    async def writer(self) -> AsyncIterator[Any]:
        error = self.script.pop(0)
        if error is not None:
            raise error

        class Keys:
            async def record_usage(self, batch: object) -> None:
                return None

        class Uow:
            api_keys = Keys()

        yield Uow()


class TestUsageFlushDuringAnOutage:
    async def test_the_batch_waits_and_the_outage_is_logged_once(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.DEBUG, logger="portal.usage")
        factory = FailingFactory([unavailable(), unavailable(), unavailable(), None])
        usage = UsageRecorder(cast(UnitOfWorkFactory, factory), interval_seconds=1)
        usage.record("key_1", "203.0.113.9")
        assert [await usage.flush() for _ in range(4)] == [0, 0, 0, 1]
        logged = [(r.levelno, r.getMessage()) for r in records(caplog, "portal.usage")]
        assert logged == [
            (logging.WARNING, "usage_recorder: database unavailable; retrying until it is back"),
            (logging.INFO, "usage_recorder: database available again"),
        ]
