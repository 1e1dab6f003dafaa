"""The embedded SQLite store is private: the data directory is created 0700, the database file
and its -wal/-shm companions 0600, whatever the umask."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.db import Database
from app.settings import Settings, load_settings
from tests.conftest import backend


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    previous = os.umask(0o022)  # the usual default: files 0644, directories 0755
    try:
        yield
    finally:
        os.umask(previous)


async def write_something(database: Database) -> None:
    async with database.engine.begin() as connection:
        await connection.execute(sa.text("CREATE TABLE IF NOT EXISTS t (x INTEGER)"))
        await connection.execute(sa.text("INSERT INTO t VALUES (1)"))


@pytest.mark.usefixtures("permissive_umask")
class TestSqliteFiles:
    async def test_data_dir_and_database_files_are_owner_only(self, tmp_path: Path) -> None:
        data_dir = tmp_path / "fresh" / "data"
        database = Database(load_settings(data_dir=data_dir, database_url=""))
        try:
            await write_something(database)
            assert mode(data_dir) == 0o700
            files = sorted(p.name for p in data_dir.iterdir())
            assert {"portal.db", "portal.db-wal", "portal.db-shm"} <= set(files)
            for name in files:
                assert mode(data_dir / name) == 0o600, name
        finally:
            await database.dispose()

    async def test_existing_readable_database_is_tightened(self, tmp_path: Path) -> None:
        path = tmp_path / "elsewhere.db"
        first = Database(load_settings(data_dir=tmp_path / "d", database_url=f"sqlite:///{path}"))
        await write_something(first)
        await first.dispose()
        path.chmod(0o644)
        again = Database(load_settings(data_dir=tmp_path / "d", database_url=f"sqlite:///{path}"))
        try:
            await write_something(again)
            assert mode(path) == 0o600
        finally:
            await again.dispose()


@pytest.mark.skipif(backend() != "postgresql", reason="the asyncpg pre-ping is PostgreSQL's")
class TestPostgresqlPrePing:
    async def test_checkout_pings_with_one_statement_and_no_transaction(
        self, settings: Settings
    ) -> None:
        database = Database(settings)
        sent: list[str] = []
        try:
            async with database.engine.connect() as connection:
                await connection.execute(sa.text("SELECT 1"))  # the pooled connection exists
            async with database.engine.connect() as connection:
                raw = await connection.get_raw_connection()
                driver = raw.driver_connection
                assert driver is not None
                driver.add_query_logger(lambda record: sent.append(record.query))
            async with database.engine.connect() as connection:  # checkout: the pre-ping
                pass
        finally:
            await database.dispose()
        assert sent == [";"]

    async def test_connection_dropped_by_the_server_is_replaced_at_checkout(
        self, settings: Settings
    ) -> None:
        database = Database(settings)
        try:
            async with database.engine.connect() as connection:
                old = (await connection.execute(sa.text("SELECT pg_backend_pid()"))).scalar_one()
            async with database.single_statement() as other:
                await other.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": old})
            async with database.engine.connect() as connection:
                new = (await connection.execute(sa.text("SELECT pg_backend_pid()"))).scalar_one()
        finally:
            await database.dispose()
        assert new != old
