"""The Starlette-mounted GraphQL endpoint: builds the typed context for each request (and for
each WebSocket operation, see app/gql/websocket.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from starlette.requests import HTTPConnection, Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.websockets import WebSocket
from strawberry.exceptions import ConnectionRejectionError

from app.auth.service import RequestInfo
from app.container import Container
from app.gql.context import Context, Loaders, Services
from app.gql.http import SafeJsonGraphQL
from app.gql.schema import schema_for
from app.gql.websocket import SessionCheckedGraphQLWSHandler, SessionCheckedTransportWSHandler
from app.portal_session import authenticate_request

# GraphiQL as bundled by the portal build (frontend/graphiql.html + src/graphiql/): its scripts,
# styles, fonts and editor workers are same-origin files, so it works without internet access.
GRAPHIQL_PAGE = Path(__file__).resolve().parents[2] / "frontend" / "dist" / "graphiql.html"

GRAPHIQL_NOT_BUILT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>GraphiQL</title></head><body>
<h1>GraphiQL is not built</h1>
<p>GraphiQL is bundled with the portal frontend. Build it with <code>make install</code>
(or <code>npm ci &amp;&amp; npm run build</code> in <code>frontend/</code>), then reload.</p>
<p>The GraphQL API itself works: POST queries to <code>/graphql</code>.</p>
</body></html>
"""


def services_of(container: Container, openapi: Callable[[], dict[str, Any]]) -> Services:
    """The services resolvers may call, by name (never the container itself)."""
    return Services(
        settings=container.settings,
        auth=container.auth,
        tenancy=container.tenancy,
        api_keys=container.api_keys,
        catalog=container.catalog,
        audit=container.audit,
        audit_exports=container.audit_exports,
        request_logs=container.request_logs,
        exports=container.exports,
        collections=container.collections,
        tail=container.tail,
        webhooks=container.webhooks,
        insight=container.insight,
        docs=container.docs,
        advice=container.advice,
        openapi=openapi,
    )


class PortalGraphQL(SafeJsonGraphQL):  # GraphQL[Context, None] with safe JSON bodies
    # Every WebSocket operation re-reads the session and gets its own context.
    graphql_transport_ws_handler_class = SessionCheckedTransportWSHandler
    graphql_ws_handler_class = SessionCheckedGraphQLWSHandler

    def __init__(
        self,
        container: Container,
        openapi: Callable[[], dict[str, Any]],
        graphiql_page: Path | None = None,
    ) -> None:
        """``openapi``: the /v1 document (the entry point passes it: adapters are independent)."""
        super().__init__(schema_for(container.settings))
        self.container = container  # for reading the session of a request
        self.services = services_of(container, openapi)
        self.graphiql_page = graphiql_page or GRAPHIQL_PAGE

    async def render_graphql_ide(self, request: Request) -> Response:
        """The bundled GraphiQL (never Strawberry's CDN page); in production only for signed-in
        users."""
        if self.services.settings.env == "production":
            context = await self.get_context(request, Response())
            if context.actor is None:
                return PlainTextResponse("Sign in to the portal to use GraphiQL", status_code=401)
        headers = {"Cache-Control": "no-cache"}
        try:
            page = self.graphiql_page.read_text(encoding="utf-8")
        except FileNotFoundError:
            return HTMLResponse(GRAPHIQL_NOT_BUILT, status_code=503, headers=headers)
        return HTMLResponse(page, headers=headers)

    async def on_ws_connect(self, context: Context) -> dict[str, object] | None:
        """WebSocket sign-in: the session cookie (same-origin pages only) or
        ``{"authorization": "Bearer <token>"}`` in the connection_init payload."""
        params = context.connection_params or {}
        token = str(params.get("authorization") or params.get("Authorization") or "")
        if token.lower().startswith("bearer "):
            info = RequestInfo(ip=context.client_ip, user_agent=context.user_agent)
            context.session_token = token[7:].strip()
            context.actor = await self.services.auth.authenticate(context.session_token, info)
            context.auth_via = "bearer"
        elif context.auth_via == "cookie":
            origin = context.request.headers.get("origin", "").lower()
            host = context.request.headers.get("host", "")
            allowed = self.services.settings.trusted_origins | {
                f"http://{host}".lower(),
                f"https://{host}".lower(),
            }
            if origin not in allowed:
                raise ConnectionRejectionError({"reason": "origin_not_allowed"})
        if context.actor is None:
            raise ConnectionRejectionError({"reason": "unauthenticated"})
        return None

    async def get_context(self, request: HTTPConnection, response: Response | WebSocket) -> Context:
        """A fresh context per HTTP request; for a WebSocket, the socket's context, from which
        each operation derives its own (``Context.for_operation``)."""
        session = await authenticate_request(self.container, request)
        return Context(
            request=request,
            response=response if isinstance(response, Response) else None,
            services=self.services,
            actor=session.actor,
            auth_via=session.auth_via,
            client_ip=session.info.ip,
            user_agent=session.info.user_agent,
            loaders=Loaders.build(self.services),
            session_token=session.token,
        )
