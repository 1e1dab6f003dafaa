"""Requests that belong to no entity (no key, malformed or unknown key, both headers, the public
OpenAPI document): rate-limited per client IP, counted but never stored as rows, visible to
operators in /metrics and /readyz. Through the real app."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from app.api_key.format import generate_key
from app.container import Container
from app.request_log.anonymous import NO_ENTITY
from app.request_log.models import HISTOGRAMS, REQUEST_LOGS, ROLLUPS
from app.settings import Settings
from tests.api.test_data_plane import assert_error, orders
from tests.conftest import make_settings
from tests.request_log.test_logs import settle
from tests.support.keys import make_key, owner
from tests.support.metrics import Samples
from tests.support.world import World

CLIENT_IP = "203.0.113.7"  # the in-process client's address (tests/conftest.py)
BIG = "A" * 2000


async def row_counts(container: Container) -> dict[str, int]:
    async with container.db.engine.connect() as connection:
        return {
            table.name: int(
                (await connection.execute(sa.select(sa.func.count()).select_from(table))).scalar()
                or 0
            )
            for table in (REQUEST_LOGS, ROLLUPS, HISTOGRAMS)
        }


async def anonymous_rollups(container: Container) -> list[tuple[int, int, str, int]]:
    r = ROLLUPS.c
    async with container.db.engine.connect() as connection:
        rows = await connection.execute(
            sa.select(r.tier, r.status, r.error_code, r.count).where(r.entity_id == NO_ENTITY)
        )
        return [(int(t), int(s), str(c), int(n)) for t, s, c, n in rows.all()]


def hostile_request(client: httpx.AsyncClient, world: World, i: int) -> Awaitable[httpx.Response]:
    """The most text an attacker can attach to a keyless request, varied per request."""
    variant = i % 4
    headers = {
        "User-Agent": f"{BIG}-{i}",
        "Idempotency-Key": f"{BIG}-{i}",
        "X-Filler": BIG,
        "X-Forwarded-For": f"198.51.{i // 250}.{i % 250}",
    }
    if variant == 1:
        headers["X-API-Key"] = f"garbage-{i}"
    elif variant == 2:
        headers["X-API-Key"] = generate_key("pk", "live", "acme")  # well-formed, unknown
    elif variant == 3:
        headers["Authorization"] = f"Bearer {BIG}"
        headers["X-API-Key"] = "also"
    return client.post(
        f"{orders(world)}/{BIG}-{i}",
        params={"q": f"{BIG}-{i}"},
        content=BIG.encode() * 8,
        headers=headers,
    )


class TestAnonymousRateLimit:
    @pytest.fixture
    def settings(self, migrated: str, tmp_path: Path) -> Settings:
        return make_settings(
            migrated,
            tmp_path,
            anonymous_rate_limit_per_second=0.5,
            anonymous_rate_limit_burst=3,
            trusted_proxies=[f"{CLIENT_IP}/32"],
        )

    async def test_keyless_requests_past_the_burst_are_rate_limited_with_retry_after(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        responses = [await client.get(orders(world)) for _ in range(5)]
        assert [r.status_code for r in responses] == [401, 401, 401, 429, 429]
        refused = assert_error(responses[3], 429, "rate_limited")
        assert "without a valid API key" in refused["message"]
        assert int(responses[3].headers["retry-after"]) >= 1
        assert responses[3].headers["ratelimit-limit"] == "3"
        assert responses[3].headers["ratelimit-remaining"] == "0"

    async def test_missing_malformed_unknown_and_conflicting_keys_share_the_bucket(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        unknown = generate_key("pk", "live", "acme")
        attempts = [
            {},
            {"X-API-Key": "hello"},
            {"X-API-Key": unknown},
            {"X-API-Key": unknown, "Authorization": f"Bearer {unknown}"},
        ]
        statuses = [(await client.get(orders(world), headers=h)).status_code for h in attempts]
        assert statuses == [401, 401, 401, 429]

    async def test_the_public_openapi_document_is_limited_per_ip_too(
        self, client: httpx.AsyncClient
    ) -> None:
        statuses = [(await client.get("/v1/openapi.json")).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]

    async def test_a_valid_key_from_a_limited_ip_is_served(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        for _ in range(4):
            await client.get(orders(world))
        assert (await client.get(orders(world))).status_code == 429
        response = await client.get(orders(world), headers={"X-API-Key": world.api_key_secret})
        assert response.status_code == 200, response.text

    async def test_refusals_of_a_known_key_are_not_anonymous(
        self, client: httpx.AsyncClient, world: World, live: Container
    ) -> None:
        assert world.api_key is not None
        await live.api_keys.revoke_key(owner(world), world.api_key.id)
        headers = {"X-API-Key": world.api_key_secret}
        for _ in range(5):
            assert_error(await client.get(orders(world), headers=headers), 401, "api_key_revoked")

    async def test_each_ipv4_address_and_ipv6_64_has_its_own_bucket(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        async def statuses(forwarded_for: str, count: int) -> list[int]:
            headers = {"X-Forwarded-For": forwarded_for}
            return [
                (await client.get(orders(world), headers=headers)).status_code for _ in range(count)
            ]

        assert await statuses("198.51.100.1", 4) == [401, 401, 401, 429]
        assert await statuses("198.51.100.2", 1) == [401]
        assert await statuses("::ffff:198.51.100.1", 1) == [429]  # the same IPv4 client
        assert await statuses("2001:db8:1:2::1", 3) == [401, 401, 401]
        assert await statuses("2001:db8:1:2:ffff::9", 1) == [429]  # same /64
        assert await statuses("2001:db8:1:3::1", 1) == [401]


class TestAnonymousRequestsAreNotStored:
    @pytest.fixture
    def settings(self, migrated: str, tmp_path: Path) -> Settings:
        # Half the flood from one address (mostly refused 429), half from 1,500 addresses
        # behind a trusted proxy (each under its limit, so 400/401).
        return make_settings(migrated, tmp_path, trusted_proxies=[f"{CLIENT_IP}/32"])

    async def test_3000_hostile_keyless_requests_add_only_a_few_rollup_rows(
        self, client: httpx.AsyncClient, world: World, live: Container
    ) -> None:
        await settle(live)
        before = await row_counts(live)
        statuses: list[int] = []
        for start in range(0, 1500, 50):  # 1,500 from one address
            batch = [
                client.get(orders(world), headers={"User-Agent": f"{BIG}-{i}"})
                for i in range(start, start + 50)
            ]
            statuses += [r.status_code for r in await asyncio.gather(*batch)]
        for start in range(0, 1500, 50):  # 1,500 from as many addresses, with every field full
            batch = [hostile_request(client, world, i) for i in range(start, start + 50)]
            statuses += [r.status_code for r in await asyncio.gather(*batch)]
        await settle(live)
        after = await row_counts(live)

        assert set(statuses) == {400, 401, 429}
        assert after[REQUEST_LOGS.name] == before[REQUEST_LOGS.name]  # not one raw row
        assert after[HISTOGRAMS.name] == before[HISTOGRAMS.name]
        # one rollup row per minute, mode, route, status and code, however many requests
        assert after[ROLLUPS.name] - before[ROLLUPS.name] <= 16
        counted = await anonymous_rollups(live)
        assert sum(n for _, _, _, n in counted) == 3000
        assert {code for _, _, code, _ in counted} == {
            "missing_api_key",
            "invalid_api_key",
            "conflicting_credentials",
            "rate_limited",
        }
        writer = live.log_writer
        assert writer.anonymous_total == 3000 and writer.dropped == 0
        assert writer.anonymous_rate_limited == statuses.count(429)

    async def test_anonymous_counts_do_not_delay_or_displace_tenant_records(
        self, client: httpx.AsyncClient, world: World, live: Container
    ) -> None:
        for _ in range(30):
            await client.get(orders(world))
        ok = await client.get(orders(world), headers={"X-API-Key": world.api_key_secret})
        await settle(live)
        async with live.db.engine.connect() as connection:
            stored = (
                await connection.execute(
                    sa.select(REQUEST_LOGS.c.entity_id).where(
                        REQUEST_LOGS.c.id == ok.headers["x-request-id"]
                    )
                )
            ).scalar()
        assert stored == world.acme.id
        assert live.log_writer.pending == 0


class TestRefusalsOfAKnownKeyStayLoggedAndBounded:
    async def test_revoked_key_with_oversized_fields_is_one_bounded_tenant_row(
        self, client: httpx.AsyncClient, world: World, live: Container
    ) -> None:
        await live.api_keys.update_entity_api_settings(
            owner(world), world.acme.id, log_capture_bodies=True
        )
        key, secret = await make_key(live, world)
        await live.api_keys.revoke_key(owner(world), key.id)
        huge = "B" * 20_000
        headers = [("X-API-Key", secret), ("User-Agent", huge), ("Idempotency-Key", huge)]
        headers += [(f"X-Extra-{n}", huge) for n in range(200)]
        response = await client.request(
            "PROPFINDXXXXXXXXXXXXXXXXXX",
            f"{orders(world)}/{huge}",
            params={"q": huge},
            headers=headers,
            content=huge.encode() * 5,
        )
        assert_error(response, 401, "api_key_revoked")
        await settle(live)
        async with live.db.engine.connect() as connection:
            row = (
                (
                    await connection.execute(
                        sa.select(REQUEST_LOGS).where(
                            REQUEST_LOGS.c.id == response.headers["x-request-id"]
                        )
                    )
                )
                .mappings()
                .one()
            )
        assert (row["entity_id"], row["api_key_id"]) == (world.acme.id, key.id)
        assert row["error_code"] == "api_key_revoked"
        assert len(row["method"]) <= 10
        assert len(row["path"]) <= 2048 and len(row["query"]) <= 2048
        assert len(row["user_agent"]) <= 512 and len(row["idempotency_key"]) <= 255
        assert len(row["request_headers"]) <= 64
        assert all(len(name) + len(value) <= 2048 for name, value in row["request_headers"])
        assert len(row["request_body"] or "") <= 16 * 1024
        assert live.log_writer.anonymous_total == 0


OPERATOR_TOKEN = "metrics-" + "o" * 40
OPERATOR = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}


class TestOperatorVisibility:
    @pytest.fixture
    def settings(self, migrated: str, tmp_path: Path) -> Settings:
        return make_settings(
            migrated,
            tmp_path,
            anonymous_rate_limit_per_second=0.5,
            anonymous_rate_limit_burst=2,
            metrics_token=OPERATOR_TOKEN,
        )

    async def test_metrics_and_readyz_count_anonymous_requests_by_reason(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        await client.get(orders(world))
        await client.get(orders(world), headers={"X-API-Key": "nope"})
        for _ in range(3):
            await client.get(orders(world))
        metrics = Samples((await client.get("/metrics", headers=OPERATOR)).text)
        total = "portal_anonymous_requests_total"
        assert metrics.value(total, reason="missing_api_key") == 1
        assert metrics.value(total, reason="invalid_api_key") == 1
        assert metrics.value(total, reason="rate_limited") == 3
        assert metrics.value("portal_anonymous_rate_limited_total") == 3
        ready = (await client.get("/readyz", headers=OPERATOR)).json()
        assert ready["anonymous_requests"] == {
            "total": 5,
            "by_reason": {"invalid_api_key": 1, "missing_api_key": 1, "rate_limited": 3},
            "rate_limited": 3,
        }
