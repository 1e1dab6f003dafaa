"""``/metrics`` through prometheus-client, scraped from a real `portal serve` (SQLite and
PostgreSQL) and parsed with ``prometheus_client.parser``: request counts and latency histograms
by route template and status move with requests, the cache, log-writer and webhook figures are
there, the raw path never becomes a label; who may scrape (token, allowed networks)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.main import create_app
from tests.conftest import make_settings
from tests.e2e.test_replicas import CREATE_KEY, DEMO_PASSWORD, acme_id, graphql, login_owner
from tests.support.metrics import Samples
from tests.support.server import Server, portal_env, run_portal, start_server
from tests.support.webhooks import Receiver

pytestmark = pytest.mark.e2e

METRICS_TOKEN = "metrics-" + "t" * 40
OPERATOR = {"Authorization": f"Bearer {METRICS_TOKEN}"}
ORDERS_ROUTE = "/v1/entities/{entity_id}/orders"
REQUESTS = "portal_http_requests_total"
DURATION = "portal_http_request_duration_seconds"


@pytest.fixture
def server(fresh_database_url: str, tmp_path: Path) -> Iterator[Server]:
    env = portal_env(
        tmp_path / "data",
        fresh_database_url,
        PORTAL_ENV="development",
        PORTAL_METRICS_TOKEN=METRICS_TOKEN,
        PORTAL_ALLOW_PRIVATE_WEBHOOK_TARGETS="true",  # the receiver below is on 127.0.0.1
        PORTAL_WEBHOOK_POLL_SECONDS="0.1",
    )
    demo = run_portal(env, "demo", "--password", DEMO_PASSWORD)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    started = start_server(env, tmp_path / "server.log")
    try:
        yield started
    finally:
        started.stop()


def scrape(server: Server) -> Samples:
    response = httpx.get(f"{server.url}/metrics", headers=OPERATOR, timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    return Samples(response.text)


def make_key(server: Server, token: str, entity_id: str) -> str:
    scopes = ["orders:read", "orders:write", "webhooks:write"]
    data = graphql(
        server,
        CREATE_KEY,
        {
            "input": {
                "entityId": entity_id,
                "name": "Metrics",
                "mode": "LIVE",
                "scopes": scopes,
                "justification": "metrics test: orders and webhook endpoints",
            }
        },
        token,
    )
    return str(data["createApiKey"]["secret"])


def wait_for(server: Server, check: Any, within: float = 10) -> Samples:
    deadline = time.monotonic() + within
    while True:
        samples = scrape(server)
        if check(samples) or time.monotonic() > deadline:
            return samples
        time.sleep(0.1)


class TestRequestMetrics:
    def test_counts_and_histograms_move_by_route_template_and_status(self, server: Server) -> None:
        token = login_owner(server)
        entity_id = acme_id(server, token)
        key = make_key(server, token, entity_id)
        before = scrape(server)
        orders = f"{server.url}/v1/entities/{entity_id}/orders"
        with httpx.Client(timeout=10, headers={"Authorization": f"Bearer {key}"}) as http:
            for _ in range(3):
                assert http.get(orders).status_code == 200
            assert http.get(f"{server.url}/v1/no/such/route").status_code == 404
            refused = http.get(orders, headers={"Authorization": "Bearer pk_live_nope"})
            assert refused.status_code == 401
        graphql(server, "{ viewer { memberships { entity { id } } } }", token=token)
        after = wait_for(
            server,
            lambda s: (
                s.value("portal_request_log_written_total")
                >= before.value("portal_request_log_written_total") + 4
                # observed after the flush's live-tail publish: a scrape may fall in between
                and s.value("portal_request_log_flush_seconds_count")
                > before.value("portal_request_log_flush_seconds_count")
            ),
        )

        def moved(name: str, route: str, method: str, status: str) -> float:
            labels = {"route": route, "method": method, "status": status}
            return after.total(name, **labels) - before.total(name, **labels)

        assert moved(REQUESTS, ORDERS_ROUTE, "GET", "200") == 3
        assert moved(f"{DURATION}_count", ORDERS_ROUTE, "GET", "200") == 3
        assert moved(f"{DURATION}_sum", ORDERS_ROUTE, "GET", "200") > 0
        # every bucket is cumulative: the +Inf bucket holds all three
        inf = {"route": ORDERS_ROUTE, "method": "GET", "status": "200", "le": "+Inf"}
        assert after.value(f"{DURATION}_bucket", **inf) >= 3
        assert moved(REQUESTS, ORDERS_ROUTE, "GET", "401") == 1
        assert moved(REQUESTS, "/v1/(unmatched)", "GET", "404") == 1
        assert moved(REQUESTS, "/graphql", "POST", "200") >= 1
        assert after.types[DURATION.removesuffix("_total")] == "histogram"
        # route templates only: the entity ID (a raw path segment) is never a label value
        routes = {dict(labels).get("route", "") for _, labels in after.values}
        assert not any(entity_id in route for route in routes), routes
        assert "/metrics" not in routes and "/healthz" not in routes

        # the key cache, the log writer's queue, totals and flush latency
        assert (
            after.value("portal_api_key_cache_hits_total")
            >= before.value("portal_api_key_cache_hits_total") + 2
        )
        assert after.value("portal_api_key_cache_misses_total") >= 1
        assert after.value("portal_request_log_queued") >= 0
        assert after.value("portal_request_log_dropped_total") == 0
        assert after.value("portal_request_log_flush_seconds_count") > before.value(
            "portal_request_log_flush_seconds_count"
        )
        assert after.value("portal_request_log_flushed_records_total") >= 4
        assert after.value("portal_anonymous_requests_total", reason="invalid_api_key") >= 1
        assert after.value("process_resident_memory_bytes") > 0

    def test_webhook_attempts_by_outcome_and_queue_figures(self, server: Server) -> None:
        token = login_owner(server)
        entity_id = acme_id(server, token)
        key = make_key(server, token, entity_id)
        headers = {"Authorization": f"Bearer {key}"}

        async def deliver() -> int:
            async with Receiver() as receiver, httpx.AsyncClient(timeout=10) as http:
                created = await http.post(
                    f"{server.url}/v1/entities/{entity_id}/webhook_endpoints",
                    json={"url": receiver.url(), "event_types": ["order.*"]},
                    headers=headers,
                )
                assert created.status_code == 201, created.text
                for i in range(2):
                    order = await http.post(
                        f"{server.url}/v1/entities/{entity_id}/orders",
                        json={"customer": f"c{i}", "items": [{"sku": "a", "quantity": 1}]},
                        headers=headers,
                    )
                    assert order.status_code == 201, order.text
                await receiver.wait_for(2, within=20)
                return len(receiver.received)

        before = scrape(server)
        assert before.value("portal_webhook_delivery_attempts_total", outcome="succeeded") == 0
        assert asyncio.run(deliver()) == 2
        after = wait_for(
            server,
            lambda s: (
                s.value("portal_webhook_delivery_attempts_total", outcome="succeeded") >= 2
                and s.value("portal_webhook_deliveries_due") == 0
            ),
        )
        assert after.value("portal_webhook_delivery_attempts_total", outcome="succeeded") == 2
        assert after.value("portal_webhook_delivery_attempts_total", outcome="retry") == 0
        assert after.value("portal_webhook_delivery_attempts_total", outcome="failed") == 0
        assert after.value("portal_webhook_deliveries_due") == 0
        assert after.value("portal_webhook_oldest_due_age_seconds") == 0
        assert after.value("portal_webhook_delivery_alive") == 1


class TestWhoMayScrape:
    async def _status(self, migrated: str, tmp_path: Path, **settings: Any) -> int:
        application = create_app(make_settings(migrated, tmp_path, **settings), migrate=False)
        async with application.router.lifespan_context(application):
            transport = httpx.ASGITransport(app=application, client=("10.1.2.3", 5000))
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
                return (await c.get("/metrics")).status_code

    async def test_peer_in_allowed_networks_needs_no_token(
        self, migrated: str, tmp_path: Path
    ) -> None:
        status = await self._status(
            migrated, tmp_path, metrics_allowed_networks="10.0.0.0/8", metrics_token=METRICS_TOKEN
        )
        assert status == 200

    async def test_peer_outside_allowed_networks_without_token_is_refused(
        self, migrated: str, tmp_path: Path
    ) -> None:
        assert (
            await self._status(migrated, tmp_path, metrics_allowed_networks="192.0.2.0/24") == 404
        )
        status = await self._status(
            migrated, tmp_path, metrics_allowed_networks="192.0.2.0/24", metrics_token=METRICS_TOKEN
        )
        assert status == 401
