"""The request-log writer's raw-row insert on PostgreSQL: the INSERT ``executemany`` it used to
send against the binary COPY it sends now (app/request_log/repository/bulk.py), as PostgreSQL
backend CPU microseconds per row.

One connection (pool of one), so one backend; its CPU is read from ``/proc/<pid>/schedstat``
(the server must be on this machine) around each run. A run writes ``--rows`` synthetic
records in batches of ``--batch``, one transaction per batch as the writer does (a read first,
then the rows); the table is truncated before every run. Interleaved rounds (the order
alternates), and the medians of the per-row figures and of the per-round ratios INSERT / COPY.
The writer process's own CPU per row is printed too (``time.process_time``). Under a minute by
default.

    PYTHONPATH=. .venv/bin/python bench/bench_log_copy.py [--url postgresql://...] [--rounds 7]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from app.request_log.models import REQUEST_LOGS, TIER_MS
from app.request_log.record import LogRecord
from app.request_log.repository import LogRepository
from app.request_log.repository.bulk import bulk_insert

DAY = TIER_MS[2]
TICK = os.sysconf("SC_CLK_TCK")
Writer = Callable[[AsyncConnection, list[LogRecord]], Awaitable[None]]


def records(count: int, seed: int) -> list[LogRecord]:
    """Records shaped like the data plane's: a key, an IP, a user agent, captured headers."""
    rng = random.Random(seed)
    now = int(time.time() * 1000)
    headers = [["accept", "application/json"], ["user-agent", "python-httpx/0.27"]]
    headers += [["x-request-id", "req_0123456789abcdef"], ["content-type", "application/json"]]
    out = []
    for i in range(count):
        status = rng.choice((200, 200, 200, 201, 404, 401, 429, 500))
        out.append(
            LogRecord(
                id=f"req_{seed:04d}_{i:08d}_{rng.getrandbits(40):x}",
                ts_ms=now - rng.randrange(3_600_000),
                entity_id=f"ent_{rng.randrange(20):02d}",
                mode=rng.choice(("live", "test")),
                api_key_id=f"key_{rng.randrange(200):03d}",
                method=rng.choice(("GET", "GET", "POST")),
                path=f"/v1/entities/ent/orders/{rng.randrange(10**6)}",
                route="/entities/{entity_id}/orders/{order_id}",
                query="" if rng.random() < 0.7 else "limit=50&cursor=abc",
                status=status,
                error_code=None if status < 400 else "not_found",
                latency_ms=rng.lognormvariate(1.5, 0.8),
                ip=f"203.0.113.{rng.randrange(256)}",
                user_agent="python-httpx/0.27",
                request_size=rng.randrange(2000),
                response_size=rng.randrange(20000),
                idempotency_key=None,
                request_headers=headers,
                response_headers=headers[:2],
            )
        )
    return out


async def write_insert(connection: AsyncConnection, batch: list[LogRecord]) -> None:
    """The writer's former path: one driver executemany of the compiled INSERT."""
    bulk = bulk_insert(connection.dialect)
    await connection.exec_driver_sql(bulk.sql, bulk.rows(batch))


async def write_copy(connection: AsyncConnection, batch: list[LogRecord]) -> None:
    await LogRepository(connection).insert_records(batch)  # binary COPY on PostgreSQL


def backend_cpu(pid: int) -> float:
    """Seconds on a CPU: the scheduler's nanoseconds, or utime + stime in clock ticks."""
    try:
        return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) / 1e9
    except (OSError, ValueError, IndexError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK


async def run(
    engine: AsyncEngine, pid: int, write: Writer, rows: list[LogRecord], batch: int
) -> tuple[float, float]:
    """Backend and writer-process CPU microseconds per row."""
    async with engine.begin() as connection:
        await connection.execute(sa.text("TRUNCATE request_logs"))
    cpu, process = backend_cpu(pid), time.process_time()
    for start in range(0, len(rows), batch):
        async with engine.begin() as connection:
            await connection.execute(sa.text("SELECT 1"))  # the writer reads watermarks first
            await write(connection, rows[start : start + batch])
    per_row = 1e6 / len(rows)
    return (backend_cpu(pid) - cpu) * per_row, (time.process_time() - process) * per_row


async def prepare(engine: AsyncEngine) -> int:
    """A fresh partitioned request_logs (today's and the next days' partitions, the default)
    and the backend's PID."""
    async with engine.begin() as connection:
        if await connection.scalar(sa.text("SELECT to_regclass('alembic_version')")):
            raise SystemExit("a migrated Portico database: use a scratch one (--url)")
        await connection.execute(sa.text("DROP TABLE IF EXISTS request_logs CASCADE"))
        await connection.run_sync(REQUEST_LOGS.create)
        await connection.execute(
            sa.text("CREATE TABLE request_logs_default PARTITION OF request_logs DEFAULT")
        )
        await LogRepository(connection).ensure_partitions(int(time.time() * 1000) - DAY)
        return int(await connection.scalar(sa.text("SELECT pg_backend_pid()")) or 0)


async def main(args: argparse.Namespace) -> None:
    url = sa.make_url(args.url).set(drivername="postgresql+asyncpg")
    engine = create_async_engine(url, pool_size=1, max_overflow=0)
    try:
        pid = await prepare(engine)
        writers: dict[str, Writer] = {"insert": write_insert, "copy": write_copy}
        figures: dict[str, list[tuple[float, float]]] = {name: [] for name in writers}
        ratios = []
        for round_ in range(args.rounds + 1):  # round 0 warms up (prepares, caches)
            order = list(writers) if round_ % 2 else list(reversed(writers))
            measured = {}
            for name in order:
                data = records(args.rows, seed=round_ * 2 + (name == "copy"))
                measured[name] = await run(engine, pid, writers[name], data, args.batch)
            if round_ == 0:
                continue
            for name, figure in measured.items():
                figures[name].append(figure)
            ratios.append(measured["insert"][0] / max(measured["copy"][0], 1e-9))
            print(
                f"round {round_}: backend us/row insert {measured['insert'][0]:.1f}, "
                f"copy {measured['copy'][0]:.1f} (x{ratios[-1]:.2f}); writer us/row "
                f"insert {measured['insert'][1]:.1f}, copy {measured['copy'][1]:.1f}"
            )
        print(f"\n{args.rows:,} rows per run, batches of {args.batch}, {args.rounds} rounds:")
        for name in writers:
            backend = statistics.median(f[0] for f in figures[name])
            writer = statistics.median(f[1] for f in figures[name])
            print(f"  {name:6}  backend CPU {backend:6.1f} us/row  writer CPU {writer:6.1f} us/row")
        ratio = statistics.median(ratios)
        print(f"  INSERT / COPY backend CPU per row, median of the rounds' ratios: x{ratio:.2f}")
        async with engine.begin() as connection:
            await connection.execute(sa.text("TRUNCATE request_logs"))
    finally:
        await engine.dispose()


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/scratch_copy")
    parser.add_argument("--rows", type=int, default=10_000, help="records per run")
    parser.add_argument("--batch", type=int, default=1_000, help="the writer's batch size")
    parser.add_argument("--rounds", type=int, default=7)
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse()))
