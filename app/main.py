"""create_app(settings) -> Starlette: routes, middleware and lifespan."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp

from app.api.app import build_internal, build_v1
from app.container import Container
from app.errors import NotFound
from app.gql.view import PortalGraphQL
from app.migrate import upgrade_to_head
from app.observability import RequestIdMiddleware, configure_logging
from app.settings import Settings, load_settings

logger = logging.getLogger("portal")

FRONTEND_DIST = Path(__file__).resolve().parent.parent / "frontend" / "dist"

PLACEHOLDER_PAGE = """<!doctype html><title>Portico</title>
<h1>Portico</h1><p>The portal frontend is not built (run <code>make run</code>).
GraphiQL is at <a href="/graphql">/graphql</a>.</p>"""


def create_app(settings: Settings | None = None, *, migrate: bool | None = None) -> Starlette:
    """Build the ASGI app. The embedded SQLite default migrates itself at start-up."""
    settings = settings or load_settings()
    container = Container(settings)
    should_migrate = settings.is_sqlite if migrate is None else migrate

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if should_migrate:
            await asyncio.to_thread(upgrade_to_head, settings)
        await container.start()
        logger.info("portal started", extra={"fields": {"url": settings.public_url}})
        try:
            yield
        finally:
            await container.stop()
            await container.close()
            logger.info("portal stopped")

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        try:
            await asyncio.wait_for(container.db.ping(), timeout=5)
        except Exception as exc:  # any failure means "not ready"
            logger.warning("readiness check failed", extra={"fields": {"error": repr(exc)}})
            return JSONResponse(
                {"status": "unavailable", "database": "unreachable"}, status_code=503
            )
        writer = container.log_writer
        return JSONResponse(
            {
                "status": "ok",
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
        """Prometheus text format."""
        writer = container.log_writer
        cache = container.key_cache
        lines = [
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
        ]
        return PlainTextResponse("\n".join(lines) + "\n")

    async def download_export(request: Request) -> Response:
        export_id = request.path_params["export_id"]
        query = request.query_params
        if not container.exports.check_link(
            export_id, query.get("expires", ""), query.get("signature", "")
        ):
            return JSONResponse(
                {"error": {"code": "invalid_link", "message": "This link is invalid or expired"}},
                status_code=403,
            )
        try:
            export, chunks = await container.exports.download(export_id)
        except NotFound:
            return JSONResponse(
                {"error": {"code": "not_found", "message": "No such export"}}, status_code=404
            )
        kind = "text/csv" if export.format == "CSV" else "application/x-ndjson"
        extension = "csv" if export.format == "CSV" else "ndjson"
        return StreamingResponse(
            chunks,
            media_type=f"{kind}; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="{export.id}.{extension}"',
                "Cache-Control": "no-store",
            },
        )

    graphql = PortalGraphQL(container)
    routes: list[BaseRoute] = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
        Route("/graphql", graphql, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql),
        Route("/exports/{export_id}/download", download_export, methods=["GET"]),
        AnyPathMount("/v1", app=build_v1(container)),
        *build_internal(container),
    ]
    routes.append(_frontend_route())
    app = Starlette(routes=routes, lifespan=lifespan)
    app.add_middleware(RequestIdMiddleware)
    app.state.container = container
    return app


def _frontend_route() -> Route | Mount:
    index = FRONTEND_DIST / "index.html"
    if not index.exists():

        async def placeholder(request: Request) -> Response:
            return HTMLResponse(PLACEHOLDER_PAGE)

        return Route("/", placeholder)
    return Mount("/", app=SpaStaticFiles(directory=FRONTEND_DIST, html=True), name="frontend")


class AnyPathMount(Mount):
    """A Mount whose prefix pattern also matches paths holding a newline (``%0A``), so every
    ``/v1`` request, however odd, reaches the key middleware and gets the error envelope."""

    def __init__(self, path: str, app: ASGIApp) -> None:
        super().__init__(path, app=app)
        self.path_regex = re.compile(self.path_regex.pattern, re.DOTALL)


class SpaStaticFiles(StaticFiles):
    """Static files with a fallback to index.html for client-side routes."""

    async def get_response(self, path: str, scope: dict) -> Response:  # type: ignore[override,type-arg]
        response = await super().get_response(path, scope)
        if response.status_code == 404 and "." not in Path(path).name:
            return FileResponse(Path(str(self.directory)) / "index.html")
        return response


def app_factory() -> Starlette:
    """Entry point for ``uvicorn --factory`` (used by ``portal serve``)."""
    settings = load_settings()
    configure_logging(settings.log_level)
    return create_app(settings)
