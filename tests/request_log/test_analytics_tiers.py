"""Reports from compacted tiers (days and hours, minutes only at the edges) equal the reports
from minute rollups alone, figure by figure, for aligned and unaligned windows, their previous
periods and filtered reports; and a report is one statement."""

from __future__ import annotations

import time
from dataclasses import asdict
from typing import Any

import pytest
import sqlalchemy as sa

from app.container import Container
from app.request_log.analytics import GRANULARITIES_MS, Report, plan, report
from app.request_log.models import DAY, HOUR, MINUTE, TIER_MS
from app.request_log.repository import RollupRepository
from tests.request_log.test_analytics import ROUTES, synthetic
from tests.support.world import World

H = TIER_MS[HOUR]
D = TIER_MS[DAY]
M = TIER_MS[MINUTE]


def figures(result: Report) -> dict[str, Any]:
    """Every figure; float sums compared with a relative tolerance (summed in another order)."""
    found = asdict(result)
    found["totals"]["latency_sum"] = pytest.approx(found["totals"]["latency_sum"], rel=1e-12)
    for name in ("series", "endpoints", "keys", "error_codes"):
        for item in found[name]:
            item["latency_sum"] = pytest.approx(item["latency_sum"], rel=1e-12)
    return found


async def both(
    container: Container, world: World, since: int, until: int, **options: Any
) -> tuple[Report, Report]:
    """The report from the minute tier only (no watermarks) and from the compacted tiers, at the
    compacted report's series granularity (the automatic one is never finer than the coarsest
    tier read)."""
    async with container.db.engine.connect() as connection:
        marks = await RollupRepository(connection).watermarks()
        args = (connection, world.acme.id, "live", since, until)
        compacted = await report(*args, marks, **options)
        options = {**options, "granularity_ms": compacted.granularity_ms}
        minutes = await report(*args, {}, **options)
    return minutes, compacted


class TestCompactedTiersMatchMinutes:
    async def test_every_figure_of_every_window(self, world: World, container: Container) -> None:
        now = int(time.time() * 1000)
        today = now - now % D
        start = today - 3 * D
        records = synthetic(world, start, now - start - 5 * M, 4_000, seed=11)
        for i in range(0, len(records), 1000):
            await container.log_writer.flush(records[i : i + 1000])
        assert await container.request_logs.compact(now)
        async with container.db.engine.connect() as connection:
            marks = await RollupRepository(connection).watermarks()
        until_now = now - now % M
        windows = {
            "everything": (start, until_now),
            "whole days": (start, today),
            "unaligned edges": (start + 7 * H + 13 * M, today - 2 * H - 18 * M),
            "partial hours, across a day": (start + D - 50 * M, start + D + 2 * H + 7 * M),
            "inside one hour": (start + 5 * H + 3 * M, start + 5 * H + 44 * M),
            "hours, not days": (start + 3 * H, start + 2 * D + 21 * H),
            "up to now (minutes not compacted)": (today - 30 * H - 1 * M, until_now),
            "empty": (start - 2 * D, start - D),
        }
        for name, (since, until) in windows.items():
            tiers = {tier for tier, _, _ in plan(since, until, marks)}
            minutes, compacted = await both(container, world, since, until)
            assert figures(compacted) == figures(minutes), name
            span = until - since  # the previous period, as the analytics page reads it
            before = await both(container, world, since - span, since, detail=False)
            assert figures(before[1]) == figures(before[0]), name
            if name in ("everything", "whole days"):
                assert DAY in tiers, (name, tiers)
            if name == "unaligned edges":
                assert tiers == {DAY, HOUR, MINUTE}
        assert (await both(container, world, start, today))[1].totals.requests > 0

        since, until = windows["unaligned edges"]
        assert world.api_key is not None
        for options in (
            {"route": ROUTES[0]},
            {"api_key_id": world.api_key.id},
            {"route": ROUTES[1], "api_key_id": "key_other"},
            {"granularity_ms": GRANULARITIES_MS[-1]},
            {"granularity_ms": GRANULARITIES_MS[0]},  # finer than the tiers: raised to them
        ):
            minutes, compacted = await both(container, world, since, until, **options)
            assert figures(compacted) == figures(minutes), options
            assert compacted.totals.requests > 0

    async def test_a_report_is_one_statement(self, world: World, container: Container) -> None:
        now = int(time.time() * 1000)
        start = now - now % D - 2 * D
        await container.log_writer.flush(synthetic(world, start, 2 * D, 500, seed=5))
        await container.request_logs.compact(now)
        statements: list[str] = []

        def count(*args: Any) -> None:
            statements.append(str(args[2]))

        engine = container.db.engine.sync_engine
        sa.event.listen(engine, "before_cursor_execute", count)
        try:
            async with container.db.engine.connect() as connection:
                marks = await RollupRepository(connection).watermarks()
                statements.clear()
                result = await report(connection, world.acme.id, "live", start, now, marks)
                assert len(statements) == 1
                statements.clear()
                await report(connection, world.acme.id, "live", start, now, marks, detail=False)
                assert len(statements) == 1
        finally:
            sa.event.remove(engine, "before_cursor_execute", count)
        assert result.totals.requests == 501  # and the world's own request
        assert sum(p.requests for p in result.series) == 501
        assert result.endpoints and result.keys and result.error_codes
