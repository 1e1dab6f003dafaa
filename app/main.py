"""create_app(settings) -> Starlette: composes the routes, the middleware and the lifespan."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from app.api.app import AnyPathMount, build_data_plane, build_internal, build_v1, openapi_for
from app.api.dataplane import is_data_plane
from app.api.downloads import audit_download_route, collection_download_route, download_route
from app.api.ops import ops_routes
from app.api.secret_scanning import secret_scanning_route
from app.container import Container
from app.frontend import frontend_route, reference_route
from app.gql.view import PortalGraphQL
from app.http_edge import (
    BodyLimitMiddleware,
    BodyLimits,
    SecurityHeaders,
    SecurityHeadersMiddleware,
)
from app.http_server import tune_gc
from app.migrate import upgrade_to_head
from app.observability import RequestIdMiddleware, configure_logging
from app.settings import Settings, load_settings
from app.tracing import middleware as tracing_middleware
from app.worker.jobs import jobs_for
from app.worker.runner import TaskRunner

logger = logging.getLogger("portal")


class PortalApp(Starlette):
    """Every ``/v1/...`` HTTP request goes straight to the data plane, one layer that does what
    the middleware below does for the other paths (security headers, request ID, access log,
    body limits) together with the key check and the request log; the rest takes the stack."""

    data_plane: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.data_plane is not None and is_data_plane(scope):
            scope["app"] = self
            await self.data_plane(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def create_app(settings: Settings | None = None, *, migrate: bool | None = None) -> Starlette:
    """Build the ASGI app. The embedded SQLite default migrates itself at start-up."""
    settings = settings or load_settings()
    container = Container(settings)
    should_migrate = settings.is_sqlite if migrate is None else migrate
    runner = TaskRunner(jobs_for(container, "serve"), settings.job_drain_seconds)
    # GraphQL's webhookDelivery.jobAlive: this process's delivery job (None: it runs elsewhere)
    container.webhooks.job_alive = lambda: runner.is_up("webhook_delivery")

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if should_migrate:
            await asyncio.to_thread(upgrade_to_head, settings)
        await container.start()  # pub/sub first: the jobs publish (tail, invalidation)
        await runner.start()
        logger.info("portal started", extra={"fields": {"url": settings.public_url}})
        try:
            yield
        finally:
            await runner.stop()
            await container.stop()
            await container.close()
            logger.info("portal stopped")

    graphql = PortalGraphQL(container, lambda: openapi_for(settings))
    v1 = build_v1(container)
    v1_mount = AnyPathMount("/v1", app=v1)  # /v1 WebSockets (none: closed) and url_for
    routes: list[BaseRoute] = [
        v1_mount,
        *ops_routes(container),
        Route("/graphql", graphql, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql),
        download_route(container),
        collection_download_route(container),
        audit_download_route(container),
        reference_route(),
        *build_internal(container),
        secret_scanning_route(container),
    ]
    routes.append(frontend_route())
    limits = BodyLimits(
        graphql=settings.graphql_max_body_bytes,
        api=settings.api_max_body_bytes,
        internal=settings.internal_max_body_bytes,
        other=settings.max_body_bytes,
        timeout_seconds=settings.body_timeout_seconds,
    )
    hsts = settings.env == "production" and settings.public_url.startswith("https://")
    # Outermost first. The body limit sits inside the request ID so a 413/408 carries the ID
    # and gets its access log line, and before every route, so it fires before any body read.
    tracing = tracing_middleware(settings, container.db.engine)  # PORTAL_OTEL_ENABLED
    middleware = [
        *tracing,  # app/tracing.py
        Middleware(SecurityHeadersMiddleware, public_url=settings.public_url, hsts=hsts),
        Middleware(RequestIdMiddleware),
        Middleware(BodyLimitMiddleware, limits=limits),
    ]
    app = PortalApp(routes=routes, lifespan=lifespan, middleware=middleware)
    data_plane: ASGIApp = build_data_plane(
        container,
        v1,
        limits=limits,
        security=SecurityHeaders(public_url=settings.public_url, hsts=hsts),
        outer_router=app.router,
        mount=v1_mount,
    )
    for cls, args, kwargs in reversed(tracing):  # /v1 is traced like every other path
        data_plane = cls(data_plane, *args, **kwargs)
    app.data_plane = data_plane
    app.state.container = container
    app.state.runner = runner  # read by /readyz and /metrics (app/api/ops.py)
    return app


def app_factory() -> Starlette:
    """Entry point for ``uvicorn --factory`` (used by ``portal serve``)."""
    settings = load_settings()
    configure_logging(settings.log_level)
    tune_gc()
    return create_app(settings)
