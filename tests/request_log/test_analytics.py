"""Analytics from rollups equal an exact computation over the raw rows; compaction and its
re-runs change no total; percentiles stay within 2%; retention removes what it should."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from app.container import Container
from app.request_log.models import REQUEST_LOGS, ROLLUPS
from app.request_log.record import LogRecord
from tests.support.graphql import data, gql
from tests.support.logs import log_record
from tests.support.world import World

HOUR = 3_600_000
DAY = 24 * HOUR
ROUTES = ["/entities/{entity_id}/orders", "/entities/{entity_id}/products", "/whoami"]
STATUSES = [200, 200, 200, 201, 400, 401, 403, 404, 429, 500]


def synthetic(world: World, start_ms: int, span_ms: int, n: int, seed: int) -> list[LogRecord]:
    rng = random.Random(seed)
    assert world.api_key is not None
    keys = [world.api_key.id, "key_other", None]
    records = []
    for _ in range(n):
        status = rng.choice(STATUSES)
        records.append(
            log_record(
                ts_ms=start_ms + rng.randrange(span_ms),
                entity_id=world.acme.id,
                api_key_id=rng.choice(keys),
                path="/v1/x",
                route=rng.choice(ROUTES),
                status=status,
                error_code=None if status < 400 else f"code_{status}",
                latency_ms=round(rng.lognormvariate(3, 0.8), 3),
                ip="192.0.2.1",
                response_size=10,
            )
        )
    return records


async def raw_truth(container: Container, entity_id: str, since: int, until: int) -> dict[str, Any]:
    t = REQUEST_LOGS.c
    async with container.db.engine.connect() as connection:
        rows = (
            await connection.execute(
                sa.select(t.status, t.latency_ms, t.api_key_id, t.route, t.error_code).where(
                    t.entity_id == entity_id, t.mode == "live", t.ts_ms >= since, t.ts_ms < until
                )
            )
        ).all()
    latencies = sorted(r.latency_ms for r in rows)
    errors = sum(1 for r in rows if r.status >= 400)

    def exact(q: float) -> float:
        return latencies[round(q * (len(latencies) - 1))]

    routes: dict[str, int] = {}
    for r in rows:
        routes[r.route] = routes.get(r.route, 0) + 1
    return {
        "requests": len(rows),
        "errors4xx": sum(1 for r in rows if 400 <= r.status < 500),
        "errors5xx": sum(1 for r in rows if r.status >= 500),
        "errorRate": errors / len(rows),
        "avg": sum(latencies) / len(latencies),
        "max": latencies[-1],
        "p50": exact(0.5),
        "p95": exact(0.95),
        "p99": exact(0.99),
        "activeKeys": len({r.api_key_id for r in rows if r.api_key_id}),
        "routes": routes,
    }


ANALYTICS = """query($id: ID!, $f: DateTime!, $t: DateTime!) { entity(id: $id) {
  analytics(mode: LIVE, from: $f, to: $t) { granularitySeconds
    totals { requests errors4xx errors5xx errorRate avgLatencyMs maxLatencyMs p50LatencyMs
             p95LatencyMs p99LatencyMs activeKeys }
    series { timestamp requests }
    topEndpoints { key requests }
    usageByKey { key requests }
    topErrorCodes { key requests }
    previousPeriod { requests } } } }"""


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat()


async def analytics(client: httpx.AsyncClient, world: World, since: int, until: int) -> Any:
    body = await gql(
        client,
        ANALYTICS,
        {"id": world.acme.id, "f": iso(since), "t": iso(until)},
        token=world.tokens["owner"],
    )
    return data(body)["entity"]["analytics"]


def assert_matches(report: dict[str, Any], truth: dict[str, Any]) -> None:
    totals = report["totals"]
    assert totals["requests"] == truth["requests"]
    assert totals["errors4xx"] == truth["errors4xx"]
    assert totals["errors5xx"] == truth["errors5xx"]
    assert abs(totals["errorRate"] - truth["errorRate"]) < 1e-12
    assert abs(totals["avgLatencyMs"] - truth["avg"]) < 1e-6
    assert totals["maxLatencyMs"] == truth["max"]
    assert totals["activeKeys"] == truth["activeKeys"]
    for name in ("p50", "p95", "p99"):
        got = totals[f"{name}LatencyMs"]
        assert abs(got - truth[name]) / truth[name] <= 0.02, (name, got, truth[name])
    assert {g["key"]: g["requests"] for g in report["topEndpoints"]} == truth["routes"]
    assert sum(p["requests"] for p in report["series"]) == truth["requests"]
    assert len(report["series"]) <= 500


class TestAnalyticsMatchRawRows:
    async def test_totals_before_and_after_compaction(
        self, client: httpx.AsyncClient, world: World, container: Container
    ) -> None:
        now = int(time.time() * 1000)
        today = now - now % DAY
        start = today - 3 * DAY  # three whole days plus today so far
        records = synthetic(world, start, now - start - 5 * 60_000, 6_000, seed=7)
        for i in range(0, len(records), 1000):
            await container.log_writer.flush(records[i : i + 1000])
        since, until = start - start % 60_000, now - now % 60_000
        truth = await raw_truth(container, world.acme.id, since, until)

        before = await analytics(client, world, since, until)
        assert_matches(before, truth)

        first = await container.request_logs.compact(now)
        assert first  # minutes folded into hours, hours into days
        after = await analytics(client, world, since, until)
        assert_matches(after, truth)
        assert after["totals"] == pytest.approx(before["totals"], rel=1e-12)

        assert await container.request_logs.compact(now) == {}  # nothing left: idempotent
        again = await analytics(client, world, since, until)
        assert again["totals"] == pytest.approx(before["totals"], rel=1e-12)

        async with container.db.engine.connect() as connection:
            tiers = dict(
                (
                    await connection.execute(
                        sa.select(ROLLUPS.c.tier, sa.func.sum(ROLLUPS.c.count)).group_by(
                            ROLLUPS.c.tier
                        )
                    )
                ).all()
            )
        assert tiers[0] == len(records) + 1  # every request (+ the world's) is in the minute tier
        assert tiers[2] <= tiers[1] <= tiers[0]  # coarser tiers hold the compacted part

        # A partial window (not aligned to days or hours) is answered from finer tiers.
        mid_since = start + DAY + 7 * HOUR + 13 * 60_000
        mid_until = start + 2 * DAY + 3 * HOUR + 42 * 60_000
        assert_matches(
            await analytics(client, world, mid_since, mid_until),
            await raw_truth(container, world.acme.id, mid_since, mid_until),
        )

    async def test_previous_period_and_late_arrivals(
        self, client: httpx.AsyncClient, world: World, container: Container
    ) -> None:
        now = int(time.time() * 1000)
        start = now - now % HOUR - 6 * HOUR
        await container.log_writer.flush(synthetic(world, start, 2 * HOUR, 300, seed=1))
        await container.request_logs.compact(now)
        # a record for an already compacted minute still counts, in every tier
        late = synthetic(world, start + 10 * 60_000, 60_000, 5, seed=2)
        await container.log_writer.flush(late)
        since, until = start + 3 * HOUR, start + 6 * HOUR
        report = await analytics(client, world, since - 3 * HOUR, since)
        truth = await raw_truth(container, world.acme.id, since - 3 * HOUR, since)
        assert_matches(report, truth)
        assert truth["requests"] == 305
        later = await analytics(client, world, since, until)
        assert later["previousPeriod"]["requests"] == 305


class TestRetention:
    async def test_old_logs_are_deleted_per_entity_and_rollups_kept(
        self, world: World, container: Container
    ) -> None:
        now = int(time.time() * 1000)
        old = synthetic(world, now - 40 * DAY, DAY, 50, seed=3)
        recent = synthetic(world, now - 2 * DAY, DAY, 50, seed=4)
        await container.log_writer.flush(old + recent)
        assert await container.request_logs.count_logs() == 101
        removed = await container.request_logs.retention(now)
        assert removed == 50
        assert await container.request_logs.count_logs() == 51
        # a shorter retention for Acme removes its 2-day-old rows too
        from app.actor import Actor

        owner = Actor(user_id=world.users["owner"], email=world.emails["owner"])
        await container.api_keys.update_entity_api_settings(
            owner, world.acme.id, log_retention_days=1
        )
        await container.request_logs.retention(now)
        assert await container.request_logs.count_logs() == 1  # only the minute-old fixture row
        async with container.db.engine.connect() as connection:
            kept = await connection.scalar(
                sa.select(sa.func.sum(ROLLUPS.c.count)).where(ROLLUPS.c.tier == 0)
            )
        assert kept == 101  # rollups outlive raw logs


class TestBackpressure:
    async def test_full_queue_counts_drops_visibly(self, container: Container) -> None:
        from app.request_log.writer import LogWriter

        writer = LogWriter(container.db, queue_size=2)
        record = synthetic_one()
        for _ in range(5):
            writer.submit(record)
        assert (writer.pending, writer.dropped) == (2, 3)


def synthetic_one() -> LogRecord:
    return log_record(
        path="/v1/x",
        route="(unmatched)",
        status=401,
        error_code="missing_api_key",
        latency_ms=0.5,
    )


class TestPoisonRecords:
    async def test_a_record_the_database_refuses_does_not_block_the_others(
        self, container: Container
    ) -> None:
        from dataclasses import replace

        from app.request_log.writer import LogWriter
        from tests.conftest import backend

        writer = LogWriter(container.db)
        good = [synthetic_one() for _ in range(4)]
        poison = replace(synthetic_one(), path="/v1/\x00")  # PostgreSQL text cannot hold NUL
        await writer._flush_with_retry([good[0], good[1], poison, good[2], good[3]])
        expected_rejected = 1 if backend() == "postgresql" else 0
        assert writer.rejected == expected_rejected
        assert writer.written == 5 - expected_rejected
        assert await container.request_logs.count_logs() == 5 - expected_rejected

    async def test_nul_in_a_request_path_is_logged(
        self, http: httpx.AsyncClient, world: World, live: Container
    ) -> None:
        response = await http.get(
            f"/v1/entities/{world.acme.id}/orders/%00", headers={"X-API-Key": world.api_key_secret}
        )
        assert response.status_code == 404
        await live.log_writer.drain()
        assert live.log_writer.rejected == 0
        assert await live.request_logs.count_logs() == 2  # the world's row and this one
