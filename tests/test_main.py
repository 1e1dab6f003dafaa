"""The operational endpoints: ``/readyz`` says only ok / unavailable to anonymous callers, and
``/metrics`` is for the metrics token (not served at all in production without one)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.container import Container
from app.main import create_app
from app.settings import Settings
from tests.conftest import make_settings
from tests.support.metrics import Samples

METRICS_TOKEN = "metrics-" + "m" * 40
OPERATOR = {"Authorization": f"Bearer {METRICS_TOKEN}"}


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    application = create_app(settings, migrate=False)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url=settings.public_url) as client:
            yield client


@pytest.fixture
def settings(migrated: str, tmp_path: Path) -> Settings:
    return make_settings(migrated, tmp_path, metrics_token=METRICS_TOKEN)


class TestReadiness:
    async def test_anonymous_caller_gets_only_ok(self, client: httpx.AsyncClient) -> None:
        for headers in ({}, {"Authorization": "Bearer wrong"}):
            response = await client.get("/readyz", headers=headers)
            assert response.status_code == 200
            assert response.json() == {"status": "ok"}

    async def test_metrics_token_gets_the_figures(self, client: httpx.AsyncClient) -> None:
        body = (await client.get("/readyz", headers=OPERATOR)).json()
        assert body["status"] == "ok" and body["database"] == "ok"
        assert set(body["request_log"]) == {
            "queued",
            "written",
            "dropped",
            "failed_flushes",
            "rejected",
        }

    async def test_metrics_token_gets_the_jobs_and_the_pubsub(
        self, client: httpx.AsyncClient
    ) -> None:
        body = (await client.get("/readyz", headers=OPERATOR)).json()
        # SQLite, or PostgreSQL with the embedded worker (the default): the worker jobs too
        assert set(body["jobs"]) == {
            "log_writer",
            "usage_recorder",
            "exports",
            "audit_exports",
            "webhook_delivery",
            "api_key_expiry",
        }
        assert body["jobs"]["webhook_delivery"]["health"]["alive"] is True
        writer = body["jobs"]["log_writer"]
        assert writer["up"] is True and writer["restarts"] == 0
        assert set(writer["health"]) == {
            "queued",
            "written",
            "dropped",
            "failed_flushes",
            "rejected",
        }
        assert body["pubsub"]["connected"] is True and body["pubsub"]["reconnects"] == 0
        assert body["webhooks"] == {
            "delivery_job_alive": True,
            "due": 0,
            "held": 0,
            "oldest_due_age_seconds": None,
        }

    async def test_unreachable_database_is_unavailable_without_details(
        self, client: httpx.AsyncClient, live: Container, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        async def down() -> None:
            raise ConnectionRefusedError("db.internal:5432 refused")

        monkeypatch.setattr(live.db, "ping", down)
        anonymous = await client.get("/readyz")
        assert anonymous.status_code == 503
        assert anonymous.json() == {"status": "unavailable"}
        operator = await client.get("/readyz", headers=OPERATOR)
        assert operator.json() == {"status": "unavailable", "database": "unreachable"}

    async def test_without_a_metrics_token_nobody_gets_figures(
        self, migrated: str, tmp_path: Path, container: Container
    ) -> None:
        async with serving(make_settings(migrated, tmp_path)) as client:
            response = await client.get("/readyz", headers={"Authorization": "Bearer "})
        assert response.json() == {"status": "ok"}


class TestMetrics:
    async def test_token_is_required_when_configured(self, client: httpx.AsyncClient) -> None:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": METRICS_TOKEN}):
            response = await client.get("/metrics", headers=headers)
            assert response.status_code == 401
            assert response.json()["error"]["code"] == "invalid_metrics_token"
            assert response.headers["www-authenticate"].startswith("Bearer")
        scraped = await client.get("/metrics", headers=OPERATOR)
        assert scraped.status_code == 200
        samples = Samples(scraped.text)
        assert samples.value("portal_request_log_dropped_total") == 0
        for job in ("log_writer", "usage_recorder", "exports", "webhook_delivery"):
            assert samples.value("portal_job_up", job=job) == 1
            assert samples.value("portal_job_restarts_total", job=job) == 0
        assert samples.value("portal_pubsub_connected") == 1
        assert samples.value("portal_pubsub_reconnects_total") == 0
        assert samples.value("portal_webhook_deliveries_due") == 0
        assert samples.value("portal_webhook_oldest_due_age_seconds") == 0

    @pytest.mark.parametrize(
        ("env", "status"), [("production", 404), ("development", 200), ("test", 200)]
    )
    async def test_without_a_token_metrics_are_served_outside_production_only(
        self, migrated: str, tmp_path: Path, container: Container, env: str, status: int
    ) -> None:
        extra: dict[str, Any] = {"env": env}
        if env == "production":
            extra["base_url"] = "https://portal.example"
        async with serving(make_settings(migrated, tmp_path, **extra)) as client:
            response = await client.get("/metrics")
        assert response.status_code == status
