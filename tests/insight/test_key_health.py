"""ApiKey.health: counts by status class, busiest routes, 429s and error groups over 24 h and
7 d equal an exact count of the raw rows; the groups are bounded and read through the partial
index; other tenants get NOT_FOUND."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import httpx

from app.container import Container
from app.insight.repository import key_error_groups_query
from app.request_log.record import LogRecord
from tests.support.graphql import data, error_codes, gql
from tests.support.logs import log_record
from tests.support.world import World

HOUR = 3_600_000
ORDERS = "/entities/{entity_id}/orders"
PRODUCTS = "/entities/{entity_id}/products"
HEALTH = """query($e: ID!, $k: ID!, $w: HealthWindow!) { entity(id: $e) { apiKey(id: $k) {
  health(window: $w) { window requests errors4xx rateLimited errors5xx errorRate
    previousRequests previousErrorRate lastRateLimitedAt
    busiestRoutes { route requests errors4xx rateLimited errors5xx }
    rateLimitedRoutes { route rateLimited }
    errorGroups { status errorCode route count lastAt lastRequestId } } } } }"""

# (hours ago, route, status, error code, how many)
TRAFFIC = [
    (1, ORDERS, 200, None, 30),
    (2, ORDERS, 404, "not_found", 4),
    (3, ORDERS, 429, "rate_limited", 6),
    (2, PRODUCTS, 200, None, 10),
    (4, PRODUCTS, 500, "internal_error", 2),
    (5, PRODUCTS, 403, "insufficient_scope", 3),
    (30, ORDERS, 200, None, 20),  # only in the 7-day window
    (40, ORDERS, 500, "internal_error", 5),
    (200, ORDERS, 404, "not_found", 7),  # the previous 7 days
]


def records(world: World, now: int) -> list[LogRecord]:
    assert world.api_key is not None
    found = []
    for hours, route, status, code, n in TRAFFIC:
        for i in range(n):
            found.append(
                log_record(
                    ts_ms=now - hours * HOUR + i * 1000,
                    entity_id=world.acme.id,
                    api_key_id=world.api_key.id,
                    route=route,
                    status=status,
                    error_code=code,
                )
            )
    # the same traffic from another key and another tenant counts for neither
    found += [
        log_record(ts_ms=now - HOUR, entity_id=world.acme.id, api_key_id="key_other", status=500),
        log_record(
            ts_ms=now - HOUR, entity_id=world.globex.id, api_key_id=world.api_key.id, status=500
        ),
    ]
    return found


async def health(client: httpx.AsyncClient, world: World, window: str, who: str = "owner") -> Any:
    assert world.api_key is not None
    variables = {"e": world.acme.id, "k": world.api_key.id, "w": window}
    return await gql(client, HEALTH, variables, token=world.tokens[who])


def expected(rows: list[LogRecord], since: int, until: int) -> dict[str, int]:
    chosen = [r for r in rows if since <= r.ts_ms < until]
    return {
        "requests": len(chosen),
        "errors4xx": sum(1 for r in chosen if 400 <= r.status < 500 and r.status != 429),
        "rateLimited": sum(1 for r in chosen if r.status == 429),
        "errors5xx": sum(1 for r in chosen if r.status >= 500),
    }


class TestKeyHealth:
    async def test_day_and_week_match_the_raw_rows(
        self, client: httpx.AsyncClient, world: World, container: Container
    ) -> None:
        assert world.api_key is not None
        now = int(time.time() * 1000)
        mine = records(world, now)
        await container.log_writer.flush(mine)
        world_row = log_record(ts_ms=now - 60_000, entity_id=world.acme.id, route=ORDERS)
        ours = [
            r for r in mine if r.entity_id == world.acme.id and r.api_key_id == world.api_key.id
        ]
        ours.append(world_row)  # the world's own logged request (a minute old, 200)

        day = data(await health(client, world, "DAY"))["entity"]["apiKey"]["health"]
        want = expected(ours, now - 24 * HOUR - 60_000, now + 60_000)
        assert {k: day[k] for k in want} == want
        assert want == {"requests": 56, "errors4xx": 7, "rateLimited": 6, "errors5xx": 2}
        assert abs(day["errorRate"] - 15 / 56) < 1e-9
        assert day["window"] == "DAY"
        assert day["previousRequests"] == 25 and abs(day["previousErrorRate"] - 5 / 25) < 1e-9
        routes = {r["route"]: r for r in day["busiestRoutes"]}
        assert routes[ORDERS] == {
            "route": ORDERS,
            "requests": 41,
            "errors4xx": 4,
            "rateLimited": 6,
            "errors5xx": 0,
        }
        assert day["busiestRoutes"][0]["route"] == ORDERS  # busiest first
        assert day["rateLimitedRoutes"] == [{"route": ORDERS, "rateLimited": 6}]
        assert day["lastRateLimitedAt"] is not None

        groups = [(g["status"], g["errorCode"], g["route"], g["count"]) for g in day["errorGroups"]]
        assert groups == [
            (429, "rate_limited", ORDERS, 6),
            (404, "not_found", ORDERS, 4),
            (403, "insufficient_scope", PRODUCTS, 3),
            (500, "internal_error", PRODUCTS, 2),
        ]
        newest_404 = max(
            (r for r in ours if r.status == 404 and now - r.ts_ms < 24 * HOUR),
            key=lambda r: r.ts_ms,
        )
        assert day["errorGroups"][1]["lastRequestId"] == newest_404.id

        week = data(await health(client, world, "WEEK"))["entity"]["apiKey"]["health"]
        assert week["requests"] == 56 + 25
        assert week["errors5xx"] == 7 and week["previousRequests"] == 7
        assert (500, "internal_error", ORDERS, 5) in [
            (g["status"], g["errorCode"], g["route"], g["count"]) for g in week["errorGroups"]
        ]

    async def test_error_groups_are_bounded_to_twenty(
        self, client: httpx.AsyncClient, world: World, container: Container
    ) -> None:
        assert world.api_key is not None
        now = int(time.time() * 1000)
        rows = [
            log_record(
                ts_ms=now - HOUR,
                entity_id=world.acme.id,
                api_key_id=world.api_key.id,
                route=f"/r{n}",
                status=400,
                error_code="invalid_request",
            )
            for n in range(25)
            for _ in range(1 + n % 3)
        ]
        await container.log_writer.flush(rows)
        day = data(await health(client, world, "DAY"))["entity"]["apiKey"]["health"]
        counts = [g["count"] for g in day["errorGroups"]]
        assert len(counts) == 20
        assert counts == sorted(counts, reverse=True)
        assert sum(Counter(r.route for r in rows).values()) == day["errors4xx"] == len(rows)

    async def test_other_tenant_is_not_found_and_staff_forbidden(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        assert "NOT_FOUND" in error_codes(await health(client, world, "DAY", "outsider"))
        assert "FORBIDDEN" in error_codes(await health(client, world, "DAY", "staff"))
        assert world.api_key is not None
        # through the outsider's own entity, Acme's key does not exist
        variables = {"e": world.globex.id, "k": world.api_key.id, "w": "DAY"}
        body = data(await gql(client, HEALTH, variables, token=world.tokens["outsider"]))
        assert body["entity"]["apiKey"] is None

    async def test_error_groups_read_the_partial_index(
        self, world: World, container: Container
    ) -> None:
        assert world.api_key is not None
        now = int(time.time() * 1000)
        query = key_error_groups_query(world.acme.id, "live", world.api_key.id, now - HOUR, now)
        engine = container.db.engine
        sql = str(query.compile(engine.sync_engine, compile_kwargs={"literal_binds": True}))
        async with engine.connect() as connection:
            if container.db.is_postgresql:
                await connection.exec_driver_sql("SET enable_seqscan = off")
                plan = (await connection.exec_driver_sql(f"EXPLAIN {sql}")).all()
            else:
                plan = (await connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")).all()
        text = "\n".join(" ".join(str(v) for v in row) for row in plan)
        # PostgreSQL names each partition's copy of the index after its columns
        names = ("ix_request_logs_key_errors", "entity_id_mode_api_key_id_ts_ms_idx")
        assert any(name in text for name in names), text
        assert "status >=" not in text.split("Index Cond")[-1], text  # implied by the index
