"""30 days of synthetic requests for one entity: routes, keys, a realistic status mix and
lognormal latencies, as ``LogRecord`` batches in time order."""

from __future__ import annotations

import base64
import random
from collections.abc import Iterator
from dataclasses import dataclass

from common.base import create_key

from app.container import Container
from app.request_log.record import LogRecord

# route, method, weight, median latency (ms)
ROUTES = (
    ("/entities/{entity_id}/orders", "GET", 45, 14.0),
    ("/entities/{entity_id}/orders/{order_id}", "GET", 25, 6.0),
    ("/entities/{entity_id}/products", "GET", 15, 11.0),
    ("/entities/{entity_id}/orders", "POST", 8, 25.0),
    ("/whoami", "GET", 4, 2.0),
    ("/entities/{entity_id}/orders/{order_id}/cancel", "POST", 3, 20.0),
)
# status, error code, weight (per 10,000), latency factor, key identified
OUTCOMES = (
    (200, None, 9_390, 1.0, True),
    (400, "invalid_request", 120, 0.4, True),
    (401, "api_key_expired", 60, 0.1, False),
    (403, "insufficient_scope", 50, 0.1, True),
    (404, "not_found", 200, 0.5, True),
    (429, "rate_limited", 150, 0.05, True),
    (500, "internal_error", 20, 3.0, True),
    (503, "service_unavailable", 10, 8.0, True),
)
KEY_WEIGHTS = (50, 30, 15, 5)
SIGMA = 0.7
USER_AGENTS = ("python-requests/2.32.3", "node-fetch/3.3", "acme-erp/4.1 (+sync)", "curl/8.5.0")


@dataclass(frozen=True, slots=True)
class Dataset:
    entity_id: str
    key_ids: tuple[str, ...]
    since_ms: int
    until_ms: int
    rows: int
    batch: int
    seed: int = 20261122


def synthetic_batches(data: Dataset) -> Iterator[list[LogRecord]]:
    """Records in time order (as the writer sees them), spread evenly over [since, until)."""
    rng = random.Random(data.seed)
    span = data.until_ms - data.since_ms
    step = span / data.rows
    entity = data.entity_id
    route_weights = [r[2] for r in ROUTES]
    outcome_weights = [o[2] for o in OUTCOMES]
    paths = {
        route: [
            "/v1" + route.replace("{entity_id}", entity).replace("{order_id}", f"ord_{n:08d}")
            for n in range(500)
        ]
        for route, *_ in ROUTES
    }
    ips = [f"198.51.100.{n}" for n in range(1, 40)]
    produced = 0
    while produced < data.rows:
        n = min(data.batch, data.rows - produced)
        routes = rng.choices(ROUTES, route_weights, k=n)
        outcomes = rng.choices(OUTCOMES, outcome_weights, k=n)
        keys = rng.choices(data.key_ids, KEY_WEIGHTS[: len(data.key_ids)], k=n)
        ids = base64.urlsafe_b64encode(rng.randbytes(18 * n)).decode()
        batch: list[LogRecord] = []
        for i in range(n):
            route, method, _, median = routes[i]
            status, code, _, factor, identified = outcomes[i]
            index = produced + i
            latency = rng.lognormvariate(0.0, SIGMA) * median * factor
            batch.append(
                LogRecord(
                    id="req_" + ids[24 * i : 24 * i + 24],
                    ts_ms=data.since_ms + int(index * step + rng.random() * step),
                    entity_id=entity,
                    mode="live",
                    api_key_id=keys[i] if identified else None,
                    method=method,
                    path=paths[route][index % 500],
                    route=route,
                    query="limit=20" if method == "GET" and index % 3 == 0 else "",
                    status=status,
                    error_code=code,
                    latency_ms=round(max(latency, 0.05), 3),
                    ip=ips[index % len(ips)],
                    user_agent=USER_AGENTS[index % len(USER_AGENTS)],
                    request_size=180 if method == "POST" else 0,
                    response_size=2_400 if status < 400 else 160,
                    idempotency_key=f"idem-{index}" if method == "POST" else None,
                )
            )
        produced += n
        yield batch


async def create_keys(container: Container, count: int) -> tuple[str, tuple[str, ...]]:
    """``count`` live keys of Acme scoped ``orders:read``: its id and theirs."""
    keys = [await create_key(container, name=f"bench {n}") for n in range(count)]
    return keys[0].entity_id, tuple(key.key_id for key in keys)
