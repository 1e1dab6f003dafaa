"""Operations endpoints: liveness (``/healthz``), readiness (``/readyz``) and Prometheus metrics
(``/metrics``). The figures are for the operator only (``PORTAL_METRICS_TOKEN``)."""

from __future__ import annotations

import asyncio
import hmac
import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from app.api.errors import error_response
from app.container import Container

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
        """Prometheus text format. With PORTAL_METRICS_TOKEN set, only for that bearer token;
        without one, open in development and test, not served in production."""
        request_id = str(request.scope.get("state", {}).get("request_id", ""))
        if settings.metrics_token is None and settings.env == "production":
            return error_response(404, "not_found", "No such endpoint", request_id)
        if settings.metrics_token is not None and not operator(request):
            return error_response(
                401,
                "invalid_metrics_token",
                "Send Authorization: Bearer <PORTAL_METRICS_TOKEN>",
                request_id,
                headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
            )
        writer = container.log_writer
        cache = container.key_cache
        queue = await webhook_queue()
        alive = await delivery_alive()
        lines = [
            *_webhook_metrics(queue),
            *(
                []
                if alive is None
                else [
                    "# TYPE portal_webhook_delivery_alive gauge",
                    f"portal_webhook_delivery_alive {int(alive)}",
                ]
            ),
            "# TYPE portal_request_log_queued gauge",
            f"portal_request_log_queued {writer.pending}",
            "# TYPE portal_request_log_written_total counter",
            f"portal_request_log_written_total {writer.written}",
            "# TYPE portal_request_log_dropped_total counter",
            f"portal_request_log_dropped_total {writer.dropped}",
            "# TYPE portal_request_log_failed_flushes_total counter",
            f"portal_request_log_failed_flushes_total {writer.failed_flushes}",
            "# TYPE portal_request_log_rejected_total counter",
            f"portal_request_log_rejected_total {writer.rejected}",
            "# TYPE portal_api_key_cache_hits_total counter",
            f"portal_api_key_cache_hits_total {cache.hits}",
            "# TYPE portal_api_key_cache_misses_total counter",
            f"portal_api_key_cache_misses_total {cache.misses}",
            "# TYPE portal_anonymous_requests_total counter",
            *(
                f'portal_anonymous_requests_total{{reason="{reason}"}} {count}'
                for reason, count in sorted(writer.anonymous.items())
            ),
            "# TYPE portal_anonymous_rate_limited_total counter",
            f"portal_anonymous_rate_limited_total {writer.anonymous_rate_limited}",
            *_job_metrics(_runner_health(request)),
            *_pubsub_metrics(container.pubsub.health()),
        ]
        return PlainTextResponse("\n".join(lines) + "\n")

    return [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
    ]


def _runner_health(request: Request) -> dict[str, Any]:
    """The task runner's figures (``app.state.runner``, set by ``create_app``)."""
    runner = getattr(request.app.state, "runner", None)
    return runner.health() if runner is not None else {}


def _job_metrics(jobs: dict[str, Any]) -> list[str]:
    lines = ["# TYPE portal_job_up gauge"]
    lines += [f'portal_job_up{{job="{name}"}} {int(bool(j["up"]))}' for name, j in jobs.items()]
    lines.append("# TYPE portal_job_restarts_total counter")
    lines += [
        f'portal_job_restarts_total{{job="{name}"}} {j["restarts"]}' for name, j in jobs.items()
    ]
    return lines


def _pubsub_metrics(health: dict[str, Any]) -> list[str]:
    return [
        "# TYPE portal_pubsub_connected gauge",
        f"portal_pubsub_connected {int(bool(health['connected']))}",
        "# TYPE portal_pubsub_reconnects_total counter",
        f"portal_pubsub_reconnects_total {health['reconnects']}",
    ]


def _webhook_metrics(queue: tuple[int, int, float | None] | None) -> list[str]:
    if queue is None:
        return []
    due, held, oldest_age = queue
    return [
        "# TYPE portal_webhook_deliveries_due gauge",
        f"portal_webhook_deliveries_due {due}",
        "# TYPE portal_webhook_deliveries_held gauge",
        f"portal_webhook_deliveries_held {held}",
        "# TYPE portal_webhook_oldest_due_age_seconds gauge",
        f"portal_webhook_oldest_due_age_seconds {oldest_age or 0:.3f}",
    ]
