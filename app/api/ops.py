"""Operations endpoints: liveness (``/healthz``), readiness (``/readyz``) and Prometheus metrics
(``/metrics``). The figures are for the operator only (``PORTAL_METRICS_TOKEN``)."""

from __future__ import annotations

import asyncio
import hmac
import logging
from typing import Any

from prometheus_client.core import Metric
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.api.errors import error_response
from app.container import Container
from app.metrics import CONTENT_TYPE_LATEST, counter, gauge
from app.metrics import render as metrics_text
from app.net import in_networks, parse_address, parse_networks

logger = logging.getLogger("portal")


def ops_routes(container: Container) -> list[Route]:
    settings = container.settings

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    def operator(request: Request) -> bool:
        """The caller holds PORTAL_METRICS_TOKEN (``Authorization: Bearer <token>``)."""
        if settings.metrics_token is None:
            return False
        expected = f"Bearer {settings.metrics_token.get_secret_value()}".encode()
        given = request.headers.get("authorization", "").encode("latin-1")
        return hmac.compare_digest(given, expected)

    metrics_networks = parse_networks(settings.metrics_allowed_networks)

    def scraper_network(request: Request) -> bool:
        """The TCP peer (never a forwarded header) is in PORTAL_METRICS_ALLOWED_NETWORKS."""
        if not metrics_networks or request.client is None:
            return False
        try:
            peer = parse_address(request.client.host)
        except ValueError:
            return False
        return in_networks(peer, metrics_networks)

    async def webhook_queue() -> tuple[int, int, float | None] | None:
        """The webhook queue's figures, bounded like the database ping (None: unavailable)."""
        try:
            return await asyncio.wait_for(container.webhooks.queue_figures(), timeout=5)
        except Exception as exc:
            logger.warning("webhook queue figures failed", extra={"fields": {"error": repr(exc)}})
            return None

    async def delivery_alive() -> bool | None:
        """A delivery job here or a fresh heartbeat elsewhere (None: unavailable)."""
        try:
            return await asyncio.wait_for(container.webhooks.delivery_alive(), timeout=5)
        except Exception as exc:
            logger.warning("webhook heartbeat read failed", extra={"fields": {"error": repr(exc)}})
            return None

    async def readyz(request: Request) -> Response:
        """ok / unavailable for anyone; the figures only for the metrics token."""
        try:
            await asyncio.wait_for(container.db.ping(), timeout=5)
        except Exception as exc:  # any failure means "not ready"
            logger.warning("readiness check failed", extra={"fields": {"error": repr(exc)}})
            body: dict[str, object] = {"status": "unavailable"}
            if operator(request):
                body["database"] = "unreachable"
            return JSONResponse(body, status_code=503)
        if not operator(request):
            return JSONResponse({"status": "ok"})
        writer = container.log_writer
        queue = await webhook_queue()
        webhooks: dict[str, object] = {"delivery_job_alive": await delivery_alive()}
        if queue is None:
            webhooks["queue"] = "unavailable"
        else:
            webhooks.update(zip(("due", "held", "oldest_due_age_seconds"), queue, strict=True))
        return JSONResponse(
            {
                "status": "ok",
                "jobs": _runner_health(request),
                "webhooks": webhooks,
                "pubsub": container.pubsub.health(),
                "database": "ok",
                "request_log": {
                    "queued": writer.pending,
                    "written": writer.written,
                    "dropped": writer.dropped,
                    "failed_flushes": writer.failed_flushes,
                    "rejected": writer.rejected,
                },
                "anonymous_requests": writer.anonymous_stats(),
            }
        )

    async def metrics(request: Request) -> Response:
        """Prometheus text format (app/metrics.py), this process's figures. Served to peers in
        PORTAL_METRICS_ALLOWED_NETWORKS, and with PORTAL_METRICS_TOKEN set to that bearer token;
        with neither, open in development and test, not served in production."""
        request_id = str(request.scope.get("state", {}).get("request_id", ""))
        if scraper_network(request):
            pass  # PORTAL_METRICS_ALLOWED_NETWORKS: the TCP peer may scrape without the token
        elif settings.metrics_token is None and (settings.env == "production" or metrics_networks):
            return error_response(404, "not_found", "No such endpoint", request_id)
        elif settings.metrics_token is not None and not operator(request):
            return error_response(
                401,
                "invalid_metrics_token",
                "Send Authorization: Bearer <PORTAL_METRICS_TOKEN>",
                request_id,
                headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
            )
        queue = await webhook_queue()
        alive = await delivery_alive()
        snapshot = _snapshot(container, queue, alive, _runner_health(request))
        return Response(metrics_text(snapshot), media_type=CONTENT_TYPE_LATEST)

    return [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
    ]


def _runner_health(request: Request) -> dict[str, Any]:
    """The task runner's figures (``app.state.runner``, set by ``create_app``)."""
    runner = getattr(request.app.state, "runner", None)
    return runner.health() if runner is not None else {}


def _snapshot(
    container: Container,
    queue: tuple[int, int, float | None] | None,
    alive: bool | None,
    jobs: dict[str, Any],
) -> list[Metric]:
    """The figures read at scrape time (this process's, and the shared webhook queue's)."""
    writer = container.log_writer
    cache = container.key_cache
    pubsub = container.pubsub.health()
    families: list[Metric] = []
    if queue is not None:
        due, held, oldest_age = queue
        families += [
            gauge("portal_webhook_deliveries_due", "Deliveries due now (every entity)", due),
            gauge("portal_webhook_deliveries_held", "Deliveries held (paused endpoints)", held),
            gauge(
                "portal_webhook_oldest_due_age_seconds",
                "Age of the oldest due delivery (0: none due)",
                oldest_age or 0.0,
            ),
        ]
    if alive is not None:
        families.append(
            gauge(
                "portal_webhook_delivery_alive",
                "A delivery job runs here or has a fresh heartbeat elsewhere",
                int(alive),
            )
        )
    anonymous: dict[tuple[str, ...], float] = {
        (reason,): count for reason, count in sorted(writer.anonymous.items())
    }
    up: dict[tuple[str, ...], float] = {(n,): int(bool(j["up"])) for n, j in jobs.items()}
    restarts: dict[tuple[str, ...], float] = {(n,): j["restarts"] for n, j in jobs.items()}
    families += [
        gauge(
            "portal_request_log_queued", "Request-log records waiting to be written", writer.pending
        ),
        counter("portal_request_log_written", "Request-log records written", writer.written),
        counter(
            "portal_request_log_dropped", "Request-log records dropped (queue full)", writer.dropped
        ),
        counter(
            "portal_request_log_failed_flushes",
            "Request-log flushes that failed (retried)",
            writer.failed_flushes,
        ),
        counter(
            "portal_request_log_rejected",
            "Request-log records the database refused",
            writer.rejected,
        ),
        counter(
            "portal_api_key_cache_hits", "API key verifications served by the cache", cache.hits
        ),
        counter(
            "portal_api_key_cache_misses",
            "API key verifications that queried the database",
            cache.misses,
        ),
        counter(
            "portal_anonymous_requests",
            "/v1 requests that identified no key, by reason",
            anonymous,
            "reason",
        ),
        counter(
            "portal_anonymous_rate_limited",
            "Anonymous /v1 requests refused by the per-IP limit",
            writer.anonymous_rate_limited,
        ),
        gauge(
            "portal_job_up",
            "A background job of this process is running",
            up,
            "job",
        ),
        counter(
            "portal_job_restarts",
            "Restarts of a background job of this process",
            restarts,
            "job",
        ),
        gauge(
            "portal_pubsub_connected", "Connected to the pub/sub", int(bool(pubsub["connected"]))
        ),
        counter("portal_pubsub_reconnects", "Pub/sub reconnections", int(pubsub["reconnects"])),
    ]
    return families
