"""Part 2: the synthetic requests loaded through the writer's own code and compacted (one loader
process per database), then ``report()`` from the rollups timed against the raw rows."""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from common.base import log, run, seed

from app.container import Container
from app.request_log.analytics import Report, report
from app.request_log.record import LogRecord
from app.request_log.repository import LogRepository, RollupRepository
from app.request_log.rollups import increments_for
from app.settings import Settings

from .raw import Totals, raw_totals
from .synthetic import KEY_WEIGHTS, Dataset, create_keys, synthetic_batches

MINUTE_MS = 60_000
DAY_MS = 86_400_000
RANGE_DAYS = 30


@dataclass
class AnalyticsResult:
    database: str
    rows: int
    rollup_rows: dict[str, int]
    rollup_ms: list[float]
    rollup_cpu_ms: list[float]  # this process's CPU (the aiosqlite thread's too), not the server's
    raw_ms: list[float]
    percentile_method: str
    percentile_trials: dict[str, float]
    rollup: Totals
    raw: Totals
    generated: int
    load_seconds: float
    compact_seconds: float
    compacted: dict[str, int]
    notes: list[str] = field(default_factory=list)

    @property
    def rollup_median(self) -> float:
        return statistics.median(self.rollup_ms)

    @property
    def raw_median(self) -> float:
        return statistics.median(self.raw_ms)


@dataclass(frozen=True, slots=True)
class Target:
    name: str
    settings: Settings
    data: Dataset


@dataclass(frozen=True, slots=True)
class Loaded:
    load_seconds: float
    compact_seconds: float
    compacted: dict[str, int]


async def timed(call: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = await call()
    return (time.perf_counter() - started) * 1000, value


async def bulk_flush(container: Container, batch: list[LogRecord]) -> None:
    """One batch as the writer writes it, in one transaction: the minute rollups and histograms
    from the writer's own code (``increments_for`` + ``RollupRepository.write_increments``),
    the raw rows through the writer's own ``LogRepository.insert_records`` (PostgreSQL: binary
    ``COPY``; SQLite: one ``executemany``)."""
    async with container.db.engine.begin() as connection:
        rollups = RollupRepository(connection)
        increments = increments_for(batch, await rollups.watermarks())
        await LogRepository(connection).insert_records(batch)  # the writer's own bulk insert
        await rollups.write_increments(increments)


async def load_and_compact(target: Target, now_ms: int, progress: float) -> Loaded:
    """Every batch through :func:`bulk_flush` (raw rows, minute rollups and histograms in one
    transaction, the rollups as the writer computes them), then
    ``RequestLogService.compact(now)``."""
    name, data = target.name, target.data
    container = Container(target.settings)
    try:
        started = time.monotonic()
        last = started
        written = 0
        for batch in synthetic_batches(data):
            await bulk_flush(container, batch)
            written += len(batch)
            if time.monotonic() - last >= progress or written == data.rows:
                last = time.monotonic()
                rate = written / (last - started)
                log(
                    f"  {name}: {written:,}/{data.rows:,} records ({written / data.rows:.0%}), "
                    f"{rate:,.0f}/s, eta {(data.rows - written) / rate:.0f}s"
                )
        load_seconds = time.monotonic() - started
        log(f"  {name}: RequestLogService.compact(now): minutes into hours, hours into days")
        started = time.monotonic()
        compacted = await container.request_logs.compact(now_ms)
        compact_seconds = time.monotonic() - started
        log(f"  {name}: compacted {compacted} in {compact_seconds:.1f}s")
        return Loaded(load_seconds, compact_seconds, compacted)
    finally:
        await container.close()


def load_in_process(target: Target, now_ms: int, progress: float) -> Loaded:
    """Entry point of a loader process (one per database: the loads are CPU-bound Python)."""
    return run(load_and_compact(target, now_ms, progress))


async def tier_rows(container: Container) -> dict[str, int]:
    names = {0: "minute", 1: "hour", 2: "day"}
    counts: dict[str, int] = {}
    async with container.db.engine.connect() as connection:
        for table, suffix in (("usage_rollups", "rollups"), ("latency_histograms", "histograms")):
            result = await connection.execute(
                sa.text(f"SELECT tier, count(*) FROM {table} GROUP BY tier ORDER BY tier")
            )
            for tier, count in result.all():
                counts[f"{names[int(tier)]} {suffix}"] = int(count)
    return counts


async def measure(target: Target, loaded: Loaded, args: argparse.Namespace) -> AnalyticsResult:
    """report() for the whole range, then the same totals from the raw rows; nothing else runs."""
    container = Container(target.settings)
    try:
        return await measure_with(container, target, loaded, args)
    finally:
        await container.close()


async def rollup_reports(
    connection: Any, entity_id: str, since: int, until: int
) -> tuple[Report, Report]:
    """What ``RequestLogService.analytics`` reads for the page: the watermarks, the report of
    the range and the previous period's totals."""
    marks = await RollupRepository(connection).watermarks()
    current = await report(connection, entity_id, "live", since, until, marks)
    span = until - since
    previous = await report(connection, entity_id, "live", since - span, since, marks, detail=False)
    return current, previous


async def measure_with(
    container: Container, target: Target, loaded: Loaded, args: argparse.Namespace
) -> AnalyticsResult:
    name, data, engine = target.name, target.data, container.db.engine
    entity_id, since, until = data.entity_id, data.since_ms, data.until_ms
    postgres = engine.dialect.name == "postgresql"
    notes = []
    if postgres:
        log(f"{name}: VACUUM ANALYZE (what autovacuum does after a bulk load)")
        async with engine.connect() as connection:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            for table in ("request_logs", "usage_rollups", "latency_histograms"):
                await autocommit.execute(sa.text(f"VACUUM ANALYZE {table}"))
        notes.append("VACUUM ANALYZE ran after the load, before any timing (both sides benefit)")

    async def rollup_once() -> tuple[float, tuple[Report, Report]]:
        async with engine.connect() as connection:  # as RequestLogService.analytics does
            cpu = time.process_time()
            found = await timed(lambda: rollup_reports(connection, entity_id, since, until))
            rollup_cpu_ms.append((time.process_time() - cpu) * 1000)
            return found

    async def raw_once(method: str) -> tuple[float, Totals]:
        async with engine.connect() as connection:
            return await timed(
                lambda: raw_totals(connection, entity_id, since, until, method, size)
            )

    log(f"{name}: analytics report() from rollups, warm-up + {args.repeats} runs")
    rollup_cpu_ms: list[float] = []
    _, (warm, __) = await rollup_once()
    rollup_cpu_ms.clear()
    size = warm.granularity_ms  # the raw side computes the same series
    rollup_ms = []
    rollup_report: tuple[Report, Report] | None = None
    for _ in range(args.repeats):
        ms, rollup_report = await rollup_once()
        rollup_ms.append(ms)
    assert rollup_report is not None
    log(f"{name}: report() median {statistics.median(rollup_ms):,.1f} ms")

    # Both candidates run once (this is also the raw side's warm-up); the faster one is timed.
    methods = ["percentile_disc", "window"] if postgres else ["window", "fetch"]
    trials: dict[str, float] = {}
    for method in methods:
        trials[method], _ = await raw_once(method)
        log(f"{name}: raw trial with percentiles by {method}: {trials[method]:,.0f} ms")
    method = min(trials, key=trials.__getitem__)
    raw_ms = []
    raw: Totals | None = None
    for n in range(1, args.raw_repeats + 1):
        ms, raw = await raw_once(method)
        raw_ms.append(ms)
        log(f"{name}: raw run {n}/{args.raw_repeats} ({method}): {ms:,.0f} ms")
    assert raw is not None
    return AnalyticsResult(
        database=name,
        rows=data.rows,
        rollup_rows=await tier_rows(container),
        rollup_ms=rollup_ms,
        rollup_cpu_ms=rollup_cpu_ms,
        raw_ms=raw_ms,
        percentile_method=method,
        percentile_trials=trials,
        rollup=Totals.of(*rollup_report),
        raw=raw,
        generated=data.rows,
        load_seconds=loaded.load_seconds,
        compact_seconds=loaded.compact_seconds,
        compacted=loaded.compacted,
        notes=notes,
    )


async def prepare(name: str, settings: Settings, args: argparse.Namespace, now_ms: int) -> Target:
    """Demo data and four keys; the 30 days end at the current minute."""
    container = Container(settings)
    try:
        entity_id, key_ids = await create_keys(container, len(KEY_WEIGHTS))
    finally:
        await container.close()
    until = now_ms - now_ms % MINUTE_MS
    since = until - RANGE_DAYS * DAY_MS
    return Target(name, settings, Dataset(entity_id, key_ids, since, until, args.rows, args.batch))


def run_analytics(
    databases: list[tuple[str, Settings]], args: argparse.Namespace
) -> list[AnalyticsResult]:
    """Load and compact the databases in parallel processes (setup), then time each one alone."""
    now_ms = time.time_ns() // 1_000_000
    targets = []
    for name, settings in databases:
        seed(settings)
        targets.append(run(prepare(name, settings, args, now_ms)))
    names = " and ".join(t.name for t in targets)
    log(
        f"writing {args.rows:,} records per database to {names} in bulk flushes "
        f"({args.batch:,}/batch), one loader process per database"
    )
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=len(targets), mp_context=context) as pool:
        futures = [pool.submit(load_in_process, t, now_ms, args.progress) for t in targets]
        loaded = [future.result() for future in futures]
    return [run(measure(t, done, args)) for t, done in zip(targets, loaded, strict=True)]
