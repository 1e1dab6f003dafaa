"""``portal serve --workers 2`` against ``--workers 1``, both on one PostgreSQL database and
one Redis db (rate limits and invalidation go through it): interleaved wrk rounds on
``/v1/whoami``, and each side's CPU per request from ``/proc`` (the portal processes,
redis-server, the PostgreSQL backends of the bench database, wrk itself)."""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import statistics
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from common.base import log, postgres_database, run
from common.servers import Server, free_port, portal_demo, portal_env, serve
from common.wrk import Ratio, interleaved, run_wrk

from .servers import prepare


async def _flush_redis(url: str) -> None:
    import redis.asyncio as redis

    client = redis.from_url(url)
    try:
        await client.flushdb()
    finally:
        await client.aclose()


_TICK = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of these processes so far (0 for one that is gone or unreadable)."""
    total = 0.0
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / _TICK
    return total


def _process_tree(pid: int) -> list[int]:
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                ppid = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
                parents.setdefault(ppid, []).append(int(entry))
    tree, todo = [], [pid]
    while todo:
        tree.append(todo.pop())
        todo.extend(parents.get(tree[-1], []))
    return tree


async def _redis_pid(url: str) -> int | None:
    import redis.asyncio as redis

    client = redis.from_url(url)
    try:
        return int((await client.info("server"))["process_id"])
    finally:
        await client.aclose()


async def _backend_pids(database_url: str) -> list[int]:
    """The PostgreSQL backends serving the bench database (the servers' pools)."""
    server_url, database = database_url.rsplit("/", 1)
    connection = await asyncpg.connect(server_url + "/postgres", timeout=5)
    try:
        rows = await connection.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1", database
        )
    finally:
        await connection.close()
    return [row["pid"] for row in rows]


@dataclass(frozen=True, slots=True)
class CpuShare:
    """CPU microseconds per request of one wrk run: the portal processes, redis-server,
    PostgreSQL's backends for the bench database and wrk itself (all share the two cores)."""

    portal: float
    redis: float
    postgres: float
    wrk: float


@dataclass(frozen=True, slots=True)
class WorkersResult:
    rates: Ratio  # --workers 1, --workers 2
    cpu_one: list[CpuShare]
    cpu_two: list[CpuShare]

    @staticmethod
    def cpu_line(shares: list[CpuShare]) -> str:
        if not shares:
            return "n/a"
        median = {k: statistics.median(getattr(s, k) for s in shares) for k in CpuShare.__slots__}
        return " ".join(f"{k} {v:.0f}" for k, v in median.items()) + " us/request"


def measure_workers(wrk: str, root: Path, args: argparse.Namespace) -> WorkersResult:
    """Two ``portal serve`` on one PostgreSQL database and one Redis db, one with
    ``--workers 1`` and one with ``--workers 2``; interleaved wrk rounds on /v1/whoami."""
    servers: list[Server] = []
    # not the verification's database (portico_bench_workers by default): benches may overlap
    database = f"{args.postgres_database}_workers"
    with postgres_database(args.postgres_url, database) as database_url:
        try:
            run(_flush_redis(args.redis_url))
            data_dir = root / "workers"
            env = portal_env(data_dir, free_port(), database_url, args.redis_url)
            log("seeding PostgreSQL for portal serve --workers 1 / --workers 2 (Redis)")
            portal_demo(env, root, "PostgreSQL")
            fixture = run(prepare(data_dir, database_url))
            for workers in (1, 2):
                env = portal_env(data_dir, free_port(), database_url, args.redis_url)
                name = f"workers{workers}"
                servers.append(serve(root, name, env, fixture.key, "--workers", str(workers)))
            shares: dict[str, list[CpuShare]] = {s.name: [] for s in servers}
            redis_pid = run(_redis_pid(args.redis_url))
            redis_pids = [redis_pid] if redis_pid is not None else []

            def measure(server: Server, seconds: float, timed: bool) -> float:
                groups = [
                    _process_tree(server.process.pid),
                    redis_pids,
                    run(_backend_pids(database_url)),
                ]
                before = [_cpu_seconds(g) for g in groups]
                wrk_before = resource.getrusage(resource.RUSAGE_CHILDREN)
                result = run_wrk(wrk, server, seconds, args, "/v1/whoami")
                wrk_after = resource.getrusage(resource.RUSAGE_CHILDREN)
                used = [_cpu_seconds(g) - b for g, b in zip(groups, before, strict=True)]
                wrk_cpu = (wrk_after.ru_utime - wrk_before.ru_utime) + (
                    wrk_after.ru_stime - wrk_before.ru_stime
                )
                per = 1e6 / max(1, result.requests)
                if timed:
                    shares[server.name].append(
                        CpuShare(used[0] * per, used[1] * per, used[2] * per, wrk_cpu * per)
                    )
                return result.requests_per_second

            rates = interleaved(servers, measure, args, "workers")
            return WorkersResult(
                Ratio(rates["workers1"], rates["workers2"]), shares["workers1"], shares["workers2"]
            )
        finally:
            for server in servers:
                server.stop(timeout=60)
