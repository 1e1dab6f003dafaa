"""Traffic for the key advice tests: request records through the real log writer."""

from __future__ import annotations

import time
from typing import Any

from app.advice.privilege import RouteScopes
from app.api.app import openapi_for
from app.container import Container
from app.gql.api_key.advice_types import route_scopes_of
from app.models import ApiKey
from tests.support.logs import log_record

ORDERS = "/entities/{entity_id}/orders"
PRODUCTS = "/entities/{entity_id}/products"
HOUR_MS = 3_600_000
DAY_MS = 86_400_000


def routes(container: Container) -> RouteScopes:
    """The real route scope declarations of /v1 (app/api/routes.py)."""
    return route_scopes_of(openapi_for(container.settings))


async def traffic(
    container: Container,
    key: ApiKey,
    method: str,
    route: str,
    *,
    count: int = 1,
    ago_ms: int = 60_000,
    ip: str | None = "203.0.113.7",
    **overrides: Any,
) -> list[str]:
    """``count`` requests of ``key`` flushed by the log writer (one batch, as in production);
    returns their request IDs."""
    now = int(time.time() * 1000)
    fields: dict[str, Any] = {
        "entity_id": key.entity_id,
        "mode": key.mode,
        "api_key_id": key.id,
        "method": method,
        "route": route,
        "path": "/v1" + route.replace("{entity_id}", key.entity_id),
        "ip": ip,
        **overrides,
    }
    records = [log_record(ts_ms=now - ago_ms + i, **fields) for i in range(count)]
    await container.log_writer.flush(records)
    return [r.id for r in records]
