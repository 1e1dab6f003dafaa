"""The sample platform API behind the keys: validation, pagination, idempotency, OpenAPI."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from typing import Any

import httpx
import sqlalchemy as sa
from starlette.routing import Route

from app.api.routes import api
from app.container import Container
from app.models import ApiKey, utcnow
from app.sample_platform.models import IdempotencyRecord, SampleOrder
from tests.support.keys import make_key
from tests.support.world import World

ORDER = {"customer": "Ada", "items": [{"sku": "A-1", "quantity": 2}]}


async def writer(live: Container, world: World) -> dict[str, str]:
    _, secret = await make_key(
        live, world, scopes=["orders:read", "orders:write", "products:read", "products:write"]
    )
    return {"X-API-Key": secret}


def path(world: World, resource: str) -> str:
    return f"/v1/entities/{world.acme.id}/{resource}"


async def count_orders(live: Container) -> int:
    async with live.db.engine.connect() as connection:
        total = await connection.scalar(sa.select(sa.func.count()).select_from(SampleOrder))
    return int(total or 0)


class TestValidation:
    async def test_bad_bodies_name_the_field(
        self, http: httpx.AsyncClient, world: World, live: Container
    ) -> None:
        headers = await writer(live, world)
        cases: list[tuple[Any, str]] = [
            ({"items": ORDER["items"]}, "customer"),
            ({"customer": "Ada", "items": []}, "items"),
            ({"customer": "Ada", "items": [{"sku": "A", "quantity": 0}]}, "items[0].quantity"),
            ({"customer": "Ada", "items": [{"sku": "A", "quantity": True}]}, "items[0].quantity"),
            ({"customer": "Ada", "items": [{"quantity": 1}]}, "items[0].sku"),
            ({**ORDER, "discount": 5}, "discount"),
            (["not", "an", "object"], "body"),
        ]
        for body, field in cases:
            response = await http.post(path(world, "orders"), json=body, headers=headers)
            assert response.status_code == 400, (body, response.text)
            error = response.json()["error"]
            assert (error["code"], error["field"]) == ("invalid_request", field)
        broken = await http.post(
            path(world, "orders"),
            content=b"{not json",
            headers={**headers, "Content-Type": "application/json"},
        )
        assert broken.json()["error"]["field"] == "body"
        product = await http.post(
            path(world, "products"),
            json={"sku": "X", "name": "Thing", "price_cents": -1},
            headers=headers,
        )
        assert product.json()["error"]["field"] == "price_cents"
        assert await count_orders(live) == 0


class TestOrdersAndProducts:
    async def test_create_get_cancel_and_paginate(
        self, http: httpx.AsyncClient, world: World, live: Container
    ) -> None:
        headers = await writer(live, world)
        ids = []
        for i in range(5):
            created = await http.post(
                path(world, "orders"), json={**ORDER, "customer": f"C{i}"}, headers=headers
            )
            assert created.status_code == 201
            ids.append(created.json()["id"])
        seen: list[str] = []
        cursor = None
        while True:
            params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
            page = (await http.get(path(world, "orders"), params=params, headers=headers)).json()
            seen += [o["id"] for o in page["data"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == list(reversed(ids))
        orders_cursor = (
            await http.get(path(world, "orders"), params={"limit": "1"}, headers=headers)
        ).json()["next_cursor"]
        crossed = await http.get(
            path(world, "products"), params={"cursor": orders_cursor}, headers=headers
        )
        assert crossed.status_code == 400
        error = crossed.json()["error"]
        assert error["field"] == "cursor" and "another list" in error["message"]
        canceled = await http.post(f"{path(world, 'orders')}/{ids[0]}/cancel", headers=headers)
        assert canceled.json()["status"] == "canceled"
        fetched = await http.get(f"{path(world, 'orders')}/{ids[0]}", headers=headers)
        assert fetched.json()["status"] == "canceled"
        bad_limit = await http.get(path(world, "orders"), params={"limit": "500"}, headers=headers)
        assert bad_limit.json()["error"]["field"] == "limit"

        product = {"sku": "SKU-1", "name": "Widget", "price_cents": 1250}
        made = await http.post(path(world, "products"), json=product, headers=headers)
        assert made.status_code == 201 and made.json()["price_cents"] == 1250
        duplicate = await http.post(path(world, "products"), json=product, headers=headers)
        assert duplicate.status_code == 409 and duplicate.json()["error"]["field"] == "sku"
        listed = await http.get(path(world, "products"), headers=headers)
        assert [p["sku"] for p in listed.json()["data"]] == ["SKU-1"]


class TestIdempotency:
    async def test_same_key_and_body_returns_the_first_response(
        self, http: httpx.AsyncClient, world: World, live: Container
    ) -> None:
        headers = {**(await writer(live, world)), "Idempotency-Key": "order-42"}
        first = await http.post(path(world, "orders"), json=ORDER, headers=headers)
        second = await http.post(path(world, "orders"), json=ORDER, headers=headers)
        assert first.status_code == second.status_code == 201
        assert first.json() == second.json()
        assert second.headers["idempotent-replayed"] == "true"
        assert "idempotent-replayed" not in first.headers
        assert await count_orders(live) == 1

    async def test_same_key_with_another_body_is_refused(
        self, http: httpx.AsyncClient, world: World, live: Container
    ) -> None:
        headers = {**(await writer(live, world)), "Idempotency-Key": "order-43"}
        await http.post(path(world, "orders"), json=ORDER, headers=headers)
        other = await http.post(
            path(world, "orders"), json={**ORDER, "customer": "Bob"}, headers=headers
        )
        assert other.status_code == 422
        assert other.json()["error"]["code"] == "idempotency_key_reused"
        assert await count_orders(live) == 1

    async def test_concurrent_duplicates_create_one_order(
        self, http: httpx.AsyncClient, world: World, live: Container
    ) -> None:
        headers = {**(await writer(live, world)), "Idempotency-Key": "burst"}
        responses = await asyncio.gather(
            *(http.post(path(world, "orders"), json=ORDER, headers=headers) for _ in range(6))
        )
        assert {r.status_code for r in responses} == {201}
        assert len({r.json()["id"] for r in responses}) == 1
        assert await count_orders(live) == 1

    async def test_key_expires_after_24_hours(
        self, http: httpx.AsyncClient, world: World, live: Container
    ) -> None:
        headers = {**(await writer(live, world)), "Idempotency-Key": "daily"}
        first = await http.post(path(world, "orders"), json=ORDER, headers=headers)
        async with live.db.engine.begin() as connection:
            await connection.execute(
                sa.update(IdempotencyRecord).values(created_at=utcnow() - timedelta(hours=25))
            )
        later = await http.post(path(world, "orders"), json=ORDER, headers=headers)
        assert later.status_code == 201 and later.json()["id"] != first.json()["id"]

    async def test_keys_are_separate_per_mode(
        self, http: httpx.AsyncClient, world: World, live: Container
    ) -> None:
        live_headers = {**(await writer(live, world)), "Idempotency-Key": "shared"}
        _, test_secret = await make_key(live, world, mode="test", scopes=["orders:write"])
        test_headers = {"X-API-Key": test_secret, "Idempotency-Key": "shared"}
        a = await http.post(path(world, "orders"), json=ORDER, headers=live_headers)
        b = await http.post(path(world, "orders"), json=ORDER, headers=test_headers)
        assert a.json()["id"] != b.json()["id"]
        assert (a.json()["livemode"], b.json()["livemode"]) == (True, False)


class TestOpenApi:
    async def test_document_lists_every_route_with_its_declared_scope(
        self, http: httpx.AsyncClient
    ) -> None:
        document = (await http.get("/v1/openapi.json")).json()
        assert document["openapi"].startswith("3.1")
        schemes = document["components"]["securitySchemes"]
        assert schemes["bearerAuth"] == {"type": "http", "scheme": "bearer"}
        assert schemes["apiKeyHeader"] == {"type": "apiKey", "in": "header", "name": "X-API-Key"}
        documented = {
            (method.upper(), route): spec.get("x-required-scope")
            for route, item in document["paths"].items()
            for method, spec in item.items()
        }
        served = {
            (method, route.path): op.scope
            for route, op in zip(api.routes, api.operations, strict=True)
            for method in (route.methods or set()) - {"HEAD"}
            if isinstance(route, Route)
        }
        assert documented == served
        assert documented[("POST", "/entities/{entity_id}/orders")] == "orders:write"
        assert documented[("GET", "/entities/{entity_id}/products/{product_id}")] == "products:read"

    async def test_declared_scopes_are_enforced(
        self, http: httpx.AsyncClient, world: World, live: Container
    ) -> None:
        """For every scoped operation, a key with every other scope is refused with its name."""
        all_scopes = sorted(live.catalog.scopes)
        for op in api.operations:
            if op.scope is None:
                continue
            _, secret = await make_key(live, world, scopes=[s for s in all_scopes if s != op.scope])
            url = "/v1" + re.sub(r"{entity_id}", world.acme.id, op.path)
            url = re.sub(r"{\w+}", "x", url)
            response = await http.request(op.method, url, headers={"X-API-Key": secret}, json={})
            assert response.status_code == 403, (op.path, response.text)
            assert response.json()["error"]["required"] == op.scope


class TestLastUsed:
    async def test_last_used_is_written_in_batches(
        self, http: httpx.AsyncClient, world: World, live: Container
    ) -> None:
        assert world.api_key is not None
        for _ in range(3):
            assert (
                await http.get(path(world, "orders"), headers={"X-API-Key": world.api_key_secret})
            ).status_code == 200

        async def stored() -> tuple[Any, Any]:
            async with live.db.engine.connect() as connection:
                row = (
                    await connection.execute(
                        sa.select(ApiKey.last_used_at, ApiKey.last_used_ip).where(  # type: ignore[call-overload]
                            ApiKey.id == world.api_key.id  # type: ignore[union-attr]
                        )
                    )
                ).one()
            return row[0], row[1]

        assert await stored() == (None, None)  # nothing written per request
        assert await live.usage.flush() == 1  # one batch, one row
        used_at, used_ip = await stored()
        assert used_ip == "127.0.0.1" and used_at is not None
