"""ApiRouter.find: the data plane's route lookup picks what Starlette's router picks."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.routing import Match

from app.api.routes import api

PATHS = [
    "/whoami",
    "/openapi.json",
    "/entities/ent_1/orders",
    "/entities/ent_1/orders/ord_2",
    "/entities/ent_1/orders/ord_2/cancel",
    "/entities/ent_1/products",
    "/entities/ent_1/products/prd_3",
    "/entities/ent_1/webhook_endpoints",
    "/whoami/",
    "/nothing",
    "/entities/ent_1",
]


def scope(method: str, path: str) -> dict[str, Any]:
    return {"type": "http", "method": method, "path": "/v1" + path, "root_path": "/v1"}


def starlette_choice(method: str, path: str) -> tuple[str, dict[str, Any]] | None:
    for route in api.routes:
        matched, child = route.matches(scope(method, path))
        if matched is Match.FULL:
            return route.path, child["path_params"]
    return None


class TestFind:
    @pytest.mark.parametrize("method", ["GET", "POST", "DELETE", "HEAD"])
    @pytest.mark.parametrize("path", PATHS)
    def test_every_path_and_method_gets_starlettes_route(self, method: str, path: str) -> None:
        found = api.find(scope(method, path))
        expected = starlette_choice(method, path)
        assert (None if found is None else (found[1].path, found[2])) == expected
        if found is not None:
            assert found[0].path == found[1].path

    def test_match_agrees_with_find(self) -> None:
        operation, params = api.match(scope("GET", "/entities/ent_1/orders/ord_2"))
        assert operation is not None and operation.path == "/entities/{entity_id}/orders/{order_id}"
        assert params == {"entity_id": "ent_1", "order_id": "ord_2"}
        assert api.match(scope("GET", "/nothing")) == (None, {})
