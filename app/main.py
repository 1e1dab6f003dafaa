"""create_app(settings) -> Starlette: routes, middleware and lifespan."""

from __future__ import annotations

import asyncio
import hmac
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
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
from app.api.errors import error_response
from app.container import Container
from app.errors import Forbidden, NotFound
from app.gql.view import PortalGraphQL, authenticate_request
from app.http_edge import BodyLimitMiddleware, BodyLimits, SecurityHeadersMiddleware
from app.migrate import upgrade_to_head
from app.observability import RequestIdMiddleware, configure_logging
from app.request_log.exports import InvalidLink
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

    def operator(request: Request) -> bool:
        """The caller holds PORTAL_METRICS_TOKEN (``Authorization: Bearer <token>``)."""
        if settings.metrics_token is None:
            return False
        expected = f"Bearer {settings.metrics_token.get_secret_value()}".encode()
        given = request.headers.get("authorization", "").encode("latin-1")
        return hmac.compare_digest(given, expected)

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
        """A signed export link, for a signed-in member of the export's entity (the portal
        cookie or ``Authorization: Bearer``) who may read it. Every download is audited."""

        def _error(status: int, code: str, message: str) -> JSONResponse:
            return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)

        export_id = request.path_params["export_id"]
        query = request.query_params
        actor = (await authenticate_request(container, request)).actor
        if actor is None:
            return _error(401, "unauthenticated", "Sign in to the portal to download this export")
        try:
            export, chunks = await container.exports.download(
                actor, export_id, query.get("expires", ""), query.get("signature", "")
            )
        except InvalidLink:
            return _error(403, "invalid_link", "This link is invalid or expired")
        except NotFound:
            return _error(404, "not_found", "No such export")
        except Forbidden as exc:
            return _error(403, "forbidden", exc.message)
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
    middleware = [
        Middleware(SecurityHeadersMiddleware, public_url=settings.public_url, hsts=hsts),
        Middleware(RequestIdMiddleware),
        Middleware(BodyLimitMiddleware, limits=limits),
    ]
    app = Starlette(routes=routes, lifespan=lifespan, middleware=middleware)
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
    """Static files with a fallback to index.html for client-side routes. GraphiQL's page is only
    served through ``GET /graphql`` (which applies the production sign-in check)."""

    async def get_response(self, path: str, scope: dict) -> Response:  # type: ignore[override,type-arg]
        name = Path(path).name
        if name == "graphiql.html":
            return PlainTextResponse("Not Found", status_code=404)
        try:
            response = await super().get_response(path, scope)
        except HTTPException as exc:  # StaticFiles raises (not returns) its 404
            if exc.status_code != 404 or "." in name:
                raise
            return FileResponse(Path(str(self.directory)) / "index.html")
        if response.status_code == 404 and "." not in name:
            return FileResponse(Path(str(self.directory)) / "index.html")
        return response


def app_factory() -> Starlette:
    """Entry point for ``uvicorn --factory`` (used by ``portal serve``)."""
    settings = load_settings()
    configure_logging(settings.log_level)
    return create_app(settings)
