"""Live webhook endpoints need the entity's live mode, in GraphQL and on the /v1 data plane."""

from __future__ import annotations

import httpx

from app.container import Container
from app.tenancy.live_mode import LIVE_MODE_DISABLED
from tests.support.graphql import error_codes
from tests.support.keys import make_key, owner
from tests.support.world import World
from tests.webhook.test_graphql import create

BODY = {"url": "https://hooks.example.com/in", "event_types": ["order.*"]}


async def live_mode(container: Container, world: World, on: bool) -> None:
    await container.api_keys.update_entity_api_settings(
        owner(world), world.acme.id, live_mode_enabled=on
    )


class TestGraphQL:
    async def test_live_endpoint_refused_until_enabled_test_endpoint_allowed(
        self, client: httpx.AsyncClient, container: Container, world: World
    ) -> None:
        await live_mode(container, world, False)
        refused = await create(client, world)
        assert error_codes(refused) == ["BAD_USER_INPUT"]
        error = refused["errors"][0]
        assert error["extensions"]["field"] == "mode" and error["message"] == LIVE_MODE_DISABLED
        assert not (await create(client, world, mode="TEST")).get("errors")
        await live_mode(container, world, True)
        assert not (await create(client, world)).get("errors")


class TestRest:
    async def test_live_key_cannot_create_an_endpoint_while_live_mode_is_off(
        self, http: httpx.AsyncClient, live: Container, world: World
    ) -> None:
        _, secret = await make_key(live, world, scopes=["webhooks:write"])  # a live key
        await live_mode(live, world, False)
        url = f"/v1/entities/{world.acme.id}/webhook_endpoints"
        refused = await http.post(url, json=BODY, headers={"X-API-Key": secret})
        assert refused.status_code == 400, refused.text
        error = refused.json()["error"]
        assert error["field"] == "mode" and error["message"] == LIVE_MODE_DISABLED
        await live_mode(live, world, True)
        created = await http.post(url, json=BODY, headers={"X-API-Key": secret})
        assert created.status_code == 201, created.text
        assert created.json()["mode"] == "live"
