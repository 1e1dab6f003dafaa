"""Constants, errors, the event loop, explicit settings, demo data and the bench's own database."""

from __future__ import annotations

import argparse
import os
import platform
import secrets
import sys
import time
from collections.abc import Callable, Coroutine, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import uvloop

from app.actor import Actor
from app.api_key.service import NewKey
from app.container import Container
from app.demo import seed_demo
from app.migrate import upgrade_to_head
from app.settings import Settings

T = TypeVar("T")

PORTAL = str(Path(sys.executable).parent / "portal")
HOST = "127.0.0.1"
OWNER_EMAIL = "owner@acme.example"
ENTITY_CODE = "acme"
SCOPE = "orders:read"
UNLIMITED_RATE = 1_000_000_000  # requests per second and burst: the limiter never refuses
DEMO_PASSWORD = secrets.token_urlsafe(16)
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432"


class BenchError(Exception):
    """The benchmark cannot produce a meaningful number; the message says why."""


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def run(coro: Coroutine[Any, Any, T]) -> T:
    """One event loop per phase, the same kind ``portal serve`` uses."""
    return uvloop.run(coro)


def bench_main(name: str, measure: Callable[[], tuple[str, int]]) -> int:
    """A bench script's main: no PORTAL_* variable (every setting here is explicit, e.g. not the
    Makefile's PORTAL_PORT), then ``measure()``: its report printed, its exit code; 1 with the
    message on a BenchError."""
    for variable in [k for k in os.environ if k.startswith("PORTAL_")]:
        del os.environ[variable]
    started = time.monotonic()
    try:
        report, code = measure()
    except BenchError as exc:
        print(f"{name}: {exc}", file=sys.stderr)
        return 1
    log(f"done in {time.monotonic() - started:.0f}s")
    print(report)
    return code


def machine(extra: str = "uvloop") -> str:
    """``this machine: N CPUs, Python X.Y.Z, <extra>`` for a report's first line."""
    return f"this machine: {os.cpu_count()} CPUs, Python {platform.python_version()}, {extra}"


def add_postgres_args(parser: argparse.ArgumentParser, database: str) -> None:
    """--postgres-url and --postgres-database (the bench's own database, ``database`` unless
    told: two benches running at once need different names)."""
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL),
        help="server URL without a database name (default: $BENCH_POSTGRES_URL or local)",
    )
    parser.add_argument(
        "--postgres-database",
        default=database,
        help=f"the database created (and dropped afterwards) there (default {database})",
    )


# Settings and data ---------------------------------------------------------------------------


def bench_settings(data_dir: Path, database_url: str = "", **overrides: Any) -> Settings:
    """Explicit settings: nothing comes from PORTAL_* variables or a .env file."""
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "database_url": database_url,
        "redis_url": None,
        "argon2_time_cost": 1,  # seeding only; verification never hashes passwords
        "argon2_memory_cost_kib": 1024,
        "rate_limit_per_second": float(UNLIMITED_RATE),
        "rate_limit_burst": UNLIMITED_RATE,
        **overrides,
    }
    return Settings(_env_file=None, **values)


def seed(settings: Settings) -> None:
    upgrade_to_head(settings)
    run(seed_demo(settings, DEMO_PASSWORD))


@dataclass(frozen=True, slots=True)
class BenchKey:
    secret: str
    entity_id: str
    key_id: str = ""


async def create_key(
    container: Container,
    scopes: Sequence[str] = (SCOPE,),
    name: str = "bench",
    *,
    mode: str = "live",
    justification: str | None = None,
) -> BenchKey:
    """A key on Acme (live, ``orders:read`` unless told), created by its owner through the
    service."""
    owner = await container.tenancy.find_user(OWNER_EMAIL)
    entity = await container.tenancy.find_entity(ENTITY_CODE)
    if owner is None or entity is None:
        raise BenchError(f"the demo data has no {OWNER_EMAIL} or entity {ENTITY_CODE!r}")
    created = await container.api_keys.create_key(
        Actor(user_id=owner.id, email=owner.email),
        NewKey(
            entity_id=entity.id,
            name=name,
            mode=mode,
            scopes=list(scopes),
            justification=justification,
        ),
    )
    return BenchKey(created.secret, entity.id, created.key.id)


async def create_key_with(settings: Settings) -> BenchKey:
    container = Container(settings)
    try:
        return await create_key(container)
    finally:
        await container.close()


async def _admin(server_url: str, sql: str) -> None:
    connection = await asyncpg.connect(f"{server_url}/postgres", timeout=5)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def create_database(server_url: str, name: str) -> str:
    """A fresh database ``name`` on that server (dropped first if there); its URL."""
    try:
        run(_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        run(_admin(server_url, f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError) as exc:
        raise BenchError(
            f"cannot create database {name} on PostgreSQL at {server_url} "
            f"(set BENCH_POSTGRES_URL): {exc}"
        ) from exc
    return f"{server_url}/{name}"


def drop_database(server_url: str, name: str) -> None:
    try:
        run(_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    except (OSError, asyncpg.PostgresError) as exc:
        log(f"could not drop database {name}: {exc}")


@contextmanager
def postgres_database(server_url: str, name: str) -> Iterator[str]:
    """A fresh database ``name`` on that server, dropped afterwards (benches may overlap: each
    has a name of its own)."""
    url = create_database(server_url, name)
    try:
        yield url
    finally:
        drop_database(server_url, name)
