"""N requests through a real `portal serve`, then a graceful stop: a log row for every keyed
request, a count (never a row) for every keyless one."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from app.request_log.models import REQUEST_LOGS, ROLLUPS
from app.settings import Settings
from tests.support.server import Server, portal_env, run_portal, start_server

PASSWORD = "demo password 123"


async def owner_key(server: Server) -> tuple[str, str]:
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
        login = await client.post(
            "/graphql",
            json={
                "query": 'mutation { login(email: "owner@acme.example", password: "'
                + PASSWORD
                + '") { token } }'
            },
        )
        token = login.json()["data"]["login"]["token"]
        headers = {"Authorization": f"Bearer {token}"}
        viewer = await client.post(
            "/graphql",
            json={"query": "{ viewer { memberships { entity { id } } } }"},
            headers=headers,
        )
        entity = viewer.json()["data"]["viewer"]["memberships"][0]["entity"]["id"]
        created = await client.post(
            "/graphql",
            json={
                "query": 'mutation($e: ID!) { createApiKey(input: {entityId: $e, name: "load", '
                'mode: LIVE, scopes: ["orders:read"]}) { secret } }',
                "variables": {"e": entity},
            },
            headers=headers,
        )
        return entity, created.json()["data"]["createApiKey"]["secret"]


@pytest.mark.e2e
class TestLosslessPipeline:
    async def test_every_request_is_written_before_the_process_exits(
        self, fresh_database_url: str, tmp_path: Path
    ) -> None:
        env = portal_env(
            tmp_path / "data",
            fresh_database_url,
            PORTAL_DEMO_PASSWORD=PASSWORD,
            PORTAL_RATE_LIMIT_PER_SECOND="100000",
            PORTAL_RATE_LIMIT_BURST="100000",
            PORTAL_ANONYMOUS_RATE_LIMIT_PER_SECOND="100000",
            PORTAL_ANONYMOUS_RATE_LIMIT_BURST="100000",
            PORTAL_LOG_FLUSH_SECONDS="0.5",
        )
        assert (await asyncio.to_thread(run_portal, env, "demo")).returncode == 0
        server = await asyncio.to_thread(start_server, env, tmp_path / "server.log")
        try:
            entity, key = await owner_key(server)
            n = 400
            async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:

                async def one(i: int) -> int:
                    headers = {"X-API-Key": key} if i % 4 else {"X-API-Key": "pk_live_bad"}
                    response = await client.get(f"/v1/entities/{entity}/orders", headers=headers)
                    return response.status_code

                statuses = []
                for start in range(0, n, 50):
                    statuses += await asyncio.gather(*(one(i) for i in range(start, start + 50)))
            assert statuses.count(200) == 300 and statuses.count(401) == 100
        finally:
            code = await asyncio.to_thread(server.stop)  # SIGTERM right away: the queue drains
        assert code in (0, -15), server.logs()

        url = Settings(database_url=fresh_database_url).resolved_database_url
        engine = create_async_engine(url)
        try:
            async with engine.connect() as connection:
                total = await connection.scalar(
                    sa.select(sa.func.count()).select_from(REQUEST_LOGS)
                )
                logged_ok = await connection.scalar(
                    sa.select(sa.func.count())
                    .select_from(REQUEST_LOGS)
                    .where(REQUEST_LOGS.c.status == 200, REQUEST_LOGS.c.entity_id == entity)
                )
                anonymous = await connection.scalar(
                    sa.select(sa.func.sum(ROLLUPS.c.count)).where(
                        ROLLUPS.c.entity_id == "", ROLLUPS.c.tier == 0
                    )
                )
        finally:
            await engine.dispose()
        # the unknown key's requests belong to no entity: counted, never rows
        assert total == 300
        assert logged_ok == 300
        assert anonymous == 100
