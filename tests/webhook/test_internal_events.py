"""POST /internal/events: the platform publishes events; Idempotency-Key honoured."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from starlette.applications import Starlette

from app.container import Container
from app.settings import Settings
from app.webhook.models import WebhookEvent
from tests.conftest import make_settings
from tests.support.live import serve
from tests.support.world import World
from tests.webhook.test_endpoints import ORDER, make_endpoint

EVENTS = WebhookEvent.__table__  # type: ignore[attr-defined]
TOKEN = "svc-" + "t" * 40


@pytest.fixture
def settings(migrated: str, tmp_path: Path) -> Settings:
    return make_settings(migrated, tmp_path, platform_token=TOKEN)


@pytest.fixture
async def internal(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(app) as url, httpx.AsyncClient(base_url=url) as client:
        yield client


async def post(
    client: httpx.AsyncClient, body: object, *, token: str = TOKEN, key: str | None = None
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    return await client.post("/internal/events", json=body, headers=headers)


def event(world: World, **changes: object) -> dict[str, object]:
    return {
        "entity_id": world.acme.id,
        "mode": "live",
        "type": "order.created",
        "data": ORDER,
        **changes,
    }


class TestInternalEvents:
    async def test_wrong_token_is_refused(self, internal: httpx.AsyncClient, world: World) -> None:
        response = await post(internal, event(world), token="nope")
        assert response.status_code == 401

    async def test_event_is_published_to_matching_endpoints(
        self, internal: httpx.AsyncClient, live: Container, world: World
    ) -> None:
        await make_endpoint(live, world)
        await make_endpoint(live, world, event_types=["invoice.*"])
        response = await post(internal, event(world))
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["id"].startswith("evt_") and body["type"] == "order.created"
        assert body["deliveries"] == 1

    async def test_same_key_same_body_answers_the_first_event(
        self, internal: httpx.AsyncClient, live: Container, world: World
    ) -> None:
        await make_endpoint(live, world)
        first = await post(internal, event(world), key="evt-1")
        again = await post(internal, event(world), key="evt-1")
        assert (first.status_code, again.status_code) == (201, 200)
        assert again.json() == first.json()
        other = await post(internal, event(world, data={**ORDER, "id": "ord_2"}), key="evt-1")
        assert other.status_code == 422
        assert other.json()["error"]["code"] == "idempotency_key_reused"
        fresh = await post(internal, event(world), key="evt-2")
        assert fresh.status_code == 201 and fresh.json()["id"] != first.json()["id"]

    async def test_bad_data_is_422_naming_the_path(
        self, internal: httpx.AsyncClient, world: World
    ) -> None:
        bad = {**ORDER, "items": [{"sku": "A", "quantity": 0}]}
        response = await post(internal, event(world, data=bad))
        assert response.status_code == 422
        error = response.json()["error"]
        assert error["path"] == "data.items[0].quantity"
        assert "data.items[0].quantity" in error["message"]

    @pytest.mark.parametrize(
        ("changes", "status", "field"),
        [
            ({"type": "order.exploded"}, 400, "type"),
            ({"mode": "staging"}, 400, "mode"),
            ({"entity_id": "ent_missing"}, 404, "entity_id"),
            ({"type": 5}, 400, "type"),
        ],
    )
    async def test_bad_requests_name_the_field(
        self,
        internal: httpx.AsyncClient,
        world: World,
        changes: dict[str, object],
        status: int,
        field: str,
    ) -> None:
        response = await post(internal, event(world, **changes))
        assert response.status_code == status, response.text
        assert response.json()["error"]["field"] == field


async def count_events(container: Container) -> int:
    async with container.db.engine.connect() as connection:
        return int(await connection.scalar(sa.select(sa.func.count()).select_from(EVENTS)) or 0)


class TestInternalEventsRefusals:
    @pytest.mark.parametrize("event_type", ["api_key.revoked", "webhook_endpoint.disabled"])
    async def test_portico_own_type_is_refused_and_nothing_sent(
        self, internal: httpx.AsyncClient, live: Container, world: World, event_type: str
    ) -> None:
        await make_endpoint(live, world, event_types=["*"])
        before = await count_events(live)
        response = await post(internal, event(world, type=event_type, data={"id": "key_x"}))
        assert response.status_code == 400, response.text
        error = response.json()["error"]
        assert (error["code"], error["field"]) == ("invalid_request", "type")
        assert "only Portico publishes" in error["message"]
        assert await count_events(live) == before

    @pytest.mark.parametrize("key", ["caf\u00e9-1", "tab\tinside", "k" * 201])
    async def test_malformed_idempotency_key_is_refused(
        self, internal: httpx.AsyncClient, world: World, key: str
    ) -> None:
        headers = {"Authorization": f"Bearer {TOKEN}", "Idempotency-Key": key.encode()}
        response = await internal.post("/internal/events", json=event(world), headers=headers)
        assert response.status_code == 400, response.text
        assert response.json()["error"]["field"] == "Idempotency-Key"
