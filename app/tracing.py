"""Optional OpenTelemetry tracing (``PORTAL_OTEL_ENABLED=true``; off by default).

When enabled, ``portal serve`` traces every HTTP request and WebSocket (one server span each,
through ``opentelemetry-instrumentation-asgi``) and the SQL it runs (child spans, through
``opentelemetry-instrumentation-sqlalchemy``). A span is named ``<METHOD> <route template>``
(``GET /v1/entities/{entity_id}/orders``, ``POST /graphql``) with ``http.route`` set; never the
raw path, which carries IDs. ``/healthz``, ``/readyz`` and ``/metrics`` are not traced.

Spans go to an OTLP/HTTP exporter configured by the standard variables
(``OTEL_EXPORTER_OTLP_ENDPOINT``, ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``,
``OTEL_EXPORTER_OTLP_HEADERS``, ``OTEL_SERVICE_NAME`` (default ``portico``),
``OTEL_RESOURCE_ATTRIBUTES``, ``OTEL_TRACES_SAMPLER``...). If the process already has an SDK
tracer provider (``opentelemetry-instrument portal serve``, or a test's in-memory exporter), that
one is used instead. The packages (``pip install 'portico[otel]'``) are imported only when
tracing is enabled, so a deployment without them pays nothing.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from starlette.middleware import Middleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.metrics import route_label
from app.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

logger = logging.getLogger("portal.tracing")

EXCLUDED_URLS = "/healthz,/readyz,/metrics"
DEFAULT_SERVICE_NAME = "portico"


def middleware(settings: Settings, engine: AsyncEngine) -> list[Middleware]:
    """The outermost middleware when tracing is enabled (else none), and the engine's SQL
    spans. Raises ``RuntimeError`` with the install command when the packages are missing."""
    if not settings.otel_enabled:
        return []
    try:
        from opentelemetry.exporter.otlp.proto.http import trace_exporter  # noqa: F401
        from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
        from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer  # noqa: F401
        from opentelemetry.sdk.trace import TracerProvider  # noqa: F401
    except ImportError as exc:
        raise RuntimeError(
            "PORTAL_OTEL_ENABLED=true needs the OpenTelemetry packages: pip install 'portico[otel]'"
        ) from exc
    provider = _tracer_provider()
    _trace_sql(engine, provider)
    logger.info("OpenTelemetry tracing enabled")
    return [
        Middleware(
            OpenTelemetryMiddleware,
            excluded_urls=EXCLUDED_URLS,
            default_span_details=_initial_span_details,
            tracer_provider=provider,
        ),
        Middleware(RouteSpanName),
    ]


def _trace_sql(engine: AsyncEngine, provider: Any) -> None:
    """SQL spans for this engine only (the instrumentation's per-engine tracer; its global
    ``SQLAlchemyInstrumentor().instrument()`` would patch every engine, once per process)."""
    from opentelemetry import metrics, trace
    from opentelemetry.instrumentation.sqlalchemy import __name__ as scope_name
    from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer

    tracer = trace.get_tracer(scope_name, tracer_provider=provider)
    usage = metrics.get_meter(scope_name).create_up_down_counter(
        name="db.client.connections.usage", unit="connections"
    )
    EngineTracer(tracer, engine.sync_engine, usage)  # type: ignore[no-untyped-call]


def _tracer_provider() -> Any:
    """The process's SDK tracer provider if it has one; else a new one exporting over OTLP/HTTP
    (the standard OTEL_* variables), installed as the global provider."""
    from opentelemetry import trace
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider

    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        return current
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    # OTEL_SERVICE_NAME, when set, still wins over the default name
    resource = Resource.create({SERVICE_NAME: DEFAULT_SERVICE_NAME})
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    return provider


def _initial_span_details(scope: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The span's name until the route is known: the method (never the raw path)."""
    if scope.get("type") == "websocket":
        return "WebSocket", {}
    return str(scope.get("method") or "HTTP"), {}


class RouteSpanName:
    """Inside the OpenTelemetry middleware: when the response starts (the route template is
    known by then: ``scope["state"]["route"]`` for ``/v1``), names the server span after it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        from opentelemetry import trace

        span = trace.get_current_span()  # the server span (ended with the last body message)

        def name() -> None:
            route = route_label(scope)
            if route is not None:
                method = "WebSocket" if scope["type"] == "websocket" else str(scope["method"])
                span.update_name(f"{method} {route}")
                span.set_attribute("http.route", route)

        if scope["type"] != "http":
            name()
            await self.app(scope, receive, send)
            return

        async def named(message: Message) -> None:
            if message["type"] == "http.response.start":
                name()
            await send(message)

        await self.app(scope, receive, named)
