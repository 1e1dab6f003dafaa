"""Shared fixtures: a real database per run (SQLite or PostgreSQL), real services, real app.

``PORTAL_TEST_DB=sqlite`` (default) or ``postgresql``. PostgreSQL uses
``PORTAL_TEST_DATABASE_URL`` (default ``postgresql://postgres@127.0.0.1:5432/postgres``) as the
admin connection and creates a fresh database for the run, dropped at the end.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel
from starlette.applications import Starlette

import app.container as container_module
import app.request_log.models
import app.sample_platform.models
import app.webhook.models
from app.clock import FrozenClock, OffsetClock
from app.container import Container
from app.main import create_app
from app.migrate import upgrade_to_head
from app.settings import Settings
from tests.support.live import serve
from tests.support.world import World, build_world

TEST_SECRET = "test-secret-" + "x" * 40
ADMIN_URL = os.environ.get(
    "PORTAL_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def backend() -> str:
    value = os.environ.get("PORTAL_TEST_DB", "sqlite")
    assert value in ("sqlite", "postgresql"), (
        f"PORTAL_TEST_DB must be sqlite or postgresql: {value}"
    )
    return value


def _asyncpg_url(url: str, database: str | None = None) -> sa.URL:
    parsed = sa.make_url(url).set(drivername="postgresql+asyncpg")
    return parsed.set(database=database) if database else parsed


async def _admin_execute(statement: str) -> None:
    engine = create_async_engine(_asyncpg_url(ADMIN_URL), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(sa.text(statement))
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if backend() == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'portal.db'}"
        return
    name = f"portico_test_{os.getpid()}_{secrets.token_hex(3)}"
    asyncio.run(_admin_execute(f'CREATE DATABASE "{name}"'))
    try:
        yield _asyncpg_url(ADMIN_URL, name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
async def fresh_database_url(tmp_path: Path) -> AsyncIterator[str]:
    """An empty database of the backend under test, for migrations and real servers."""
    if backend() == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    name = f"portico_fresh_{secrets.token_hex(4)}"
    await _admin_execute(f'CREATE DATABASE "{name}"')
    try:
        yield _asyncpg_url(ADMIN_URL, name).render_as_string(hide_password=False)
    finally:
        await _admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def make_settings(database_url: str, data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "env": "test",
        "database_url": database_url,
        "data_dir": data_dir,
        "secret_key": TEST_SECRET,
        "argon2_time_cost": 1,
        "argon2_memory_cost_kib": 1024,
        "login_slowdown_seconds": 0.01,
        "base_url": "http://testserver",
        "maintenance_interval_seconds": 0,  # tests run compaction and retention themselves
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture(scope="session")
def migrated(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    upgrade_to_head(make_settings(database_url, tmp_path_factory.mktemp("data")))
    return database_url


@pytest.fixture
def settings(migrated: str, tmp_path: Path) -> Settings:
    return make_settings(migrated, tmp_path)


async def _truncate(container: Container) -> None:
    tables = list(reversed(SQLModel.metadata.sorted_tables))
    async with container.db.engine.begin() as connection:
        if container.db.is_postgresql:
            names = ", ".join(f'"{t.name}"' for t in tables)
            await connection.execute(sa.text(f"TRUNCATE {names} CASCADE"))
        else:
            for table in tables:
                await connection.execute(table.delete())


@pytest.fixture
def clock() -> OffsetClock | FrozenClock:
    """The time of the test: the wall clock until the test moves it with ``clock.advance(...)``
    (override this fixture with a ``FrozenClock`` for time that stands still)."""
    return OffsetClock()


@pytest.fixture(autouse=True)
def _share_clock(clock: OffsetClock | FrozenClock, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every container built during the test (its own, the app's, extra replicas) reads
    ``clock``: a container built without one takes this instead of the system clock."""
    monkeypatch.setattr(container_module, "SystemClock", lambda: clock)


@pytest.fixture
async def container(
    settings: Settings, clock: OffsetClock | FrozenClock
) -> AsyncIterator[Container]:
    container = Container(settings, clock=clock)
    await _truncate(container)
    try:
        yield container
    finally:
        await container.close()


@pytest.fixture
async def app(settings: Settings, container: Container) -> AsyncIterator[Starlette]:
    application = create_app(settings, migrate=False)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 4000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
async def world(container: Container) -> World:
    return await build_world(container)


# A real uvicorn server around the test app (tests about HTTP behaviour).


@pytest.fixture
async def base_url(app: Starlette) -> AsyncIterator[str]:
    async with serve(app) as url:
        yield url


@pytest.fixture
async def http(base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        yield client


@pytest.fixture
def live(app: Starlette) -> Container:
    container: Container = app.state.container
    return container
