"""PointRead on PostgreSQL when the server restarts or is away (app/db.py): a fetch on a pooled
connection that a restart killed is retried once, on a new connection; failing to get a
connection at all (refused, connect timeout, pool timeout) is not retried, so a request fails
after one bounded wait (the data plane answers it 503 ``service_unavailable``).

A PostgreSQL of the module's own (tests/support/pg_instance.py), stopped and started by the
tests; the shared one is never touched. The connect-timeout case needs no PostgreSQL (a socket
that never answers), so it runs in the SQLite pass too."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection

import app.db as db_module
from app.db import Database, PointRead, is_unavailable
from app.settings import load_settings
from tests.conftest import backend
from tests.support.pg_instance import PgInstance, pg_instance
from tests.support.pg_instance import available as pg_available

STATEMENT = sa.select(sa.bindparam("n", type_=sa.Integer))
CONNECT_TIMEOUT = 1.0  # the tests' bounded waits (the app's are 5 s)
POOL_TIMEOUT = 0.5

needs_postgresql = pytest.mark.skipif(
    backend() != "postgresql" or not pg_available(),
    reason="needs the PostgreSQL pass and the server binaries (a PostgreSQL of its own)",
)


class Probe:
    """A Database on ``url`` with the reader under test, counting what each read cost: checkouts
    of a pooled connection (attempts), new connections tried, statements sent."""

    def __init__(self, url: str, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(db_module, "CONNECT_TIMEOUT_SECONDS", CONNECT_TIMEOUT)
        monkeypatch.setattr(db_module, "POOL_TIMEOUT_SECONDS", POOL_TIMEOUT)
        self.db = Database(load_settings(data_dir=data_dir, database_url=url))
        self.attempts = 0
        self.connects = 0
        self.statements: list[str] = []
        event.listen(self.db.single_statement_engine.sync_engine, "do_connect", self._connect)
        checkout: Callable[[], AbstractAsyncContextManager[AsyncConnection]]
        checkout = self.db.single_statement

        def counted() -> AbstractAsyncContextManager[AsyncConnection]:
            self.attempts += 1
            return checkout()

        monkeypatch.setattr(self.db, "single_statement", counted)
        self.reader: PointRead = self.db.point_read(STATEMENT)
        self.reader.trace = self.statements.append

    def _connect(self, *_: Any) -> None:
        self.connects += 1

    def reset(self) -> None:
        self.attempts = self.connects = 0
        self.statements.clear()

    async def read(self, n: int) -> Any:
        return await self.reader.first({"n": n})

    async def fails(self) -> BaseException:
        started = time.monotonic()
        with pytest.raises(Exception) as raised:
            await self.read(1)
        print(f"failed after {time.monotonic() - started:.2f} s: {raised.value!r}"[:200])
        assert is_unavailable(raised.value), raised.value  # the data plane's 503
        return raised.value


@pytest.fixture(scope="module")
def pg() -> Iterator[PgInstance]:
    with pg_instance() as instance:
        yield instance


@pytest.fixture
async def probe(
    pg: PgInstance, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Probe]:
    if not pg.running():
        await asyncio.to_thread(pg.start)
    probe = Probe(pg.url(), tmp_path, monkeypatch)
    try:
        yield probe
    finally:
        await probe.db.dispose()
        if not pg.running():
            await asyncio.to_thread(pg.start)


async def restart(pg: PgInstance) -> None:
    await asyncio.to_thread(pg.stop, "fast")  # every session ends: the pool's connections die
    await asyncio.to_thread(pg.start)


@needs_postgresql
class TestPointReadAcrossARestart:
    async def test_first_read_after_a_restart_retries_once_on_a_new_connection(
        self, probe: Probe, pg: PgInstance
    ) -> None:
        assert await asyncio.gather(*[probe.read(n) for n in range(3)]) == [(0,), (1,), (2,)]
        await restart(pg)
        probe.reset()
        assert await probe.read(7) == (7,)
        assert len(probe.statements) == 2  # on the dead connection, then on a new one
        assert probe.attempts == 2 and probe.connects == 1

    async def test_other_connections_from_before_the_restart_reconnect_untried(
        self, probe: Probe, pg: PgInstance
    ) -> None:
        assert await asyncio.gather(*[probe.read(n) for n in range(3)]) == [(0,), (1,), (2,)]
        await restart(pg)
        assert await probe.read(7) == (7,)
        probe.reset()
        assert await asyncio.gather(*[probe.read(n) for n in range(3)]) == [(0,), (1,), (2,)]
        assert len(probe.statements) == 3  # none sent on a dead connection again
        assert probe.attempts == 3


@needs_postgresql
class TestPointReadWithPostgresqlStopped:
    async def test_no_connection_pooled_fails_after_one_connect(
        self, probe: Probe, pg: PgInstance
    ) -> None:
        await asyncio.to_thread(pg.stop, "fast")
        await probe.fails()
        assert probe.attempts == 1 and probe.connects == 1 and not probe.statements

    async def test_a_dead_pooled_connection_is_retried_once_and_fails_on_the_connect(
        self, probe: Probe, pg: PgInstance
    ) -> None:
        assert await probe.read(1) == (1,)
        await asyncio.to_thread(pg.stop, "fast")
        probe.reset()
        await probe.fails()
        assert len(probe.statements) == 1  # on the dead connection; the new one was refused
        assert probe.attempts == 2 and probe.connects == 1
        probe.reset()
        await probe.fails()  # nothing pooled any more: one attempt
        assert probe.attempts == 1 and probe.connects == 1 and not probe.statements

    async def test_pool_timeout_is_not_retried(self, probe: Probe) -> None:
        async with AsyncExitStack() as held:  # every connection of the pool in use
            engine = probe.db.single_statement_engine
            pool = engine.sync_engine.pool
            size = pool.size() + pool._max_overflow  # type: ignore[attr-defined]
            for _ in range(size):
                await held.enter_async_context(engine.connect())
            probe.reset()
            error = await probe.fails()
            assert isinstance(error, sa.exc.TimeoutError)
            assert probe.attempts == 1 and not probe.statements


class TestPointReadOnAnUnansweringServer:
    async def test_connect_timeout_is_not_retried(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        with socket.socket() as silent:  # accepts the TCP handshake, never answers
            silent.bind(("127.0.0.1", 0))
            silent.listen(16)
            port = silent.getsockname()[1]
            probe = Probe(
                f"postgresql+asyncpg://postgres@127.0.0.1:{port}/x", tmp_path, monkeypatch
            )
            try:
                await probe.fails()
                assert probe.attempts == 1 and probe.connects == 1
            finally:
                await probe.db.dispose()
