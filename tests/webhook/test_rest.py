"""/v1/entities/{entity_id}/webhook_endpoints: scopes, tenants, the secret once, idempotency,
the OpenAPI document."""

from __future__ import annotations

from typing import Any

import httpx

from app.container import Container
from tests.request_log.test_logs import settle
from tests.support.keys import make_key, owner
from tests.support.world import World
from tests.webhook.test_endpoints import make_endpoint
from tests.webhook.test_graphql import every_stored_text

BODY = {"url": "https://hooks.example.com/in", "event_types": ["order.*"], "description": "WMS"}


async def key(live: Container, world: World, *scopes: str, **kwargs: object) -> dict[str, str]:
    _, secret = await make_key(live, world, scopes=list(scopes), **kwargs)
    return {"X-API-Key": secret}


def path(world: World, suffix: str = "") -> str:
    return f"/v1/entities/{world.acme.id}/webhook_endpoints{suffix}"


class TestScopes:
    async def test_read_key_cannot_create(
        self, http: httpx.AsyncClient, live: Container, world: World
    ) -> None:
        headers = await key(live, world, "webhooks:read")
        response = await http.post(path(world), json=BODY, headers=headers)
        assert response.status_code == 403, response.text
        assert response.json()["error"]["required"] == "webhooks:write"
        assert (await http.get(path(world), headers=headers)).status_code == 200

    async def test_key_without_webhook_scopes_cannot_list(
        self, http: httpx.AsyncClient, live: Container, world: World
    ) -> None:
        response = await http.get(path(world), headers=await key(live, world, "orders:read"))
        assert response.status_code == 403


class TestLifecycle:
    async def test_create_get_patch_list_delete(
        self, http: httpx.AsyncClient, live: Container, world: World
    ) -> None:
        headers = await key(live, world, "webhooks:read", "webhooks:write", mode="test")
        created = await http.post(path(world), json=BODY, headers=headers)
        assert created.status_code == 201, created.text
        body = created.json()
        secret = body.pop("secret")
        assert secret.startswith("whsec_")
        assert body["object"] == "webhook_endpoint" and body["mode"] == "test"
        assert body["event_types"] == ["order.*"] and body["status"] == "active"
        endpoint_id = body["id"]
        fetched = await http.get(path(world, f"/{endpoint_id}"), headers=headers)
        assert fetched.json() == body and "secret" not in fetched.json()
        patched = await http.patch(
            path(world, f"/{endpoint_id}"),
            json={"event_types": ["*"], "rate_limit_per_second": 5},
            headers=headers,
        )
        assert patched.status_code == 200, patched.text
        assert patched.json()["event_types"] == ["*"]
        assert patched.json()["rate_limit_per_second"] == 5
        listed = (await http.get(path(world), headers=headers)).json()
        assert [e["id"] for e in listed["data"]] == [endpoint_id]
        assert secret not in await every_stored_text(live)
        deleted = await http.delete(path(world, f"/{endpoint_id}"), headers=headers)
        assert deleted.json() == {"id": endpoint_id, "object": "webhook_endpoint", "deleted": True}
        gone = await http.get(path(world, f"/{endpoint_id}"), headers=headers)
        assert gone.status_code == 404

    async def test_bad_input_names_the_json_field(
        self, http: httpx.AsyncClient, live: Container, world: World
    ) -> None:
        headers = await key(live, world, "webhooks:write")
        for body, field in [
            ({**BODY, "event_types": ["nope.*"]}, "event_types"),
            ({**BODY, "url": "ftp://x"}, "url"),
            ({**BODY, "max_concurrency": 100}, "max_concurrency"),
            ({**BODY, "secret": "mine"}, "secret"),
        ]:
            response = await http.post(path(world), json=body, headers=headers)
            assert response.status_code == 400, response.text
            assert response.json()["error"]["field"] == field

    async def test_limit_messages_name_json_fields_and_zero_clears_only_on_update(
        self, http: httpx.AsyncClient, live: Container, world: World
    ) -> None:
        headers = await key(live, world, "webhooks:write")
        refused = await http.post(path(world), json={**BODY, "max_concurrency": 0}, headers=headers)
        assert refused.status_code == 400, refused.text
        error = refused.json()["error"]
        assert error["field"] == "max_concurrency"
        assert error["message"] == "max_concurrency must be 1 to 64"
        body = {**BODY, "max_concurrency": 4, "rate_limit_per_second": 10}
        created = await http.post(path(world), json=body, headers=headers)
        assert created.status_code == 201, created.text
        endpoint_id = created.json()["id"]
        cleared = await http.patch(
            path(world, f"/{endpoint_id}"), json={"max_concurrency": 0}, headers=headers
        )
        assert cleared.status_code == 200, cleared.text
        assert cleared.json()["max_concurrency"] is None
        assert cleared.json()["rate_limit_per_second"] == 10

    async def test_idempotent_create_answers_the_first_endpoint_without_the_secret(
        self, http: httpx.AsyncClient, live: Container, world: World
    ) -> None:
        headers = {**await key(live, world, "webhooks:write"), "Idempotency-Key": "create-1"}
        first = await http.post(path(world), json=BODY, headers=headers)
        again = await http.post(path(world), json=BODY, headers=headers)
        assert first.status_code == again.status_code == 201
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.json()["id"] == first.json()["id"] and "secret" not in again.json()
        other = await http.post(path(world), json={**BODY, "description": "x"}, headers=headers)
        assert other.status_code == 422
        assert other.json()["error"]["code"] == "idempotency_key_reused"
        listed = await http.get(path(world), headers=await key(live, world, "webhooks:read"))
        assert len(listed.json()["data"]) == 1


class TestRequestLogs:
    async def test_secret_in_the_create_response_is_not_in_captured_logs(
        self, http: httpx.AsyncClient, live: Container, world: World
    ) -> None:
        await live.api_keys.update_entity_api_settings(
            owner(world), world.acme.id, log_capture_bodies=True
        )
        created = await http.post(
            path(world), json=BODY, headers=await key(live, world, "webhooks:write")
        )
        assert created.status_code == 201
        await settle(live)
        secret = created.json()["secret"]
        stored = await every_stored_text(live)
        assert created.headers["x-request-id"] in stored  # the request was logged with bodies
        assert secret not in stored and secret.removeprefix("whsec_") not in stored


class TestTenancy:
    async def test_other_entity_and_other_mode_are_not_found(
        self, http: httpx.AsyncClient, live: Container, world: World
    ) -> None:
        globex = (
            await make_endpoint(live, world, label="outsider", entity_id=world.globex.id)
        ).endpoint
        test_mode = (await make_endpoint(live, world, mode="test")).endpoint
        headers = await key(live, world, "webhooks:read", "webhooks:write")
        foreign = f"/v1/entities/{world.globex.id}/webhook_endpoints"
        assert (await http.get(foreign, headers=headers)).status_code in (403, 404)
        for endpoint_id in (globex.id, test_mode.id):
            got = await http.get(path(world, f"/{endpoint_id}"), headers=headers)
            assert got.status_code == 404, got.text
            assert got.json()["error"]["code"] == "not_found"
            gone = await http.delete(path(world, f"/{endpoint_id}"), headers=headers)
            assert gone.status_code == 404
        listed = (await http.get(path(world), headers=headers)).json()
        assert listed["data"] == []  # the live key does not see the test endpoint


class TestOpenApi:
    async def test_routes_and_scopes_are_documented(self, http: httpx.AsyncClient) -> None:
        document = (await http.get("/v1/openapi.json")).json()
        item = document["paths"]["/entities/{entity_id}/webhook_endpoints"]
        assert set(item) >= {"get", "post"}
        one = document["paths"]["/entities/{entity_id}/webhook_endpoints/{endpoint_id}"]
        assert set(one) >= {"get", "patch", "delete"}
        text = str(item) + str(one)
        assert "webhooks:read" in text and "webhooks:write" in text

        def body_schema(operation: dict[str, Any]) -> dict[str, Any]:
            schema = operation["requestBody"]["content"]["application/json"]["schema"]
            return dict(schema["properties"])

        create, update = body_schema(item["post"]), body_schema(one["patch"])
        for name in ("rate_limit_per_second", "max_concurrency"):
            assert create[name]["minimum"] == 1  # 0 is refused on creation
            assert update[name]["minimum"] == 0  # and clears the limit on update
