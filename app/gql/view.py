"""The Starlette-mounted GraphQL endpoint: builds the typed context for each request."""

from __future__ import annotations

from starlette.requests import HTTPConnection, Request
from starlette.responses import PlainTextResponse, Response
from starlette.websockets import WebSocket
from strawberry.exceptions import ConnectionRejectionError

from app.actor import Actor
from app.auth.service import RequestInfo
from app.container import Container
from app.gql.context import Context, Loaders
from app.gql.http import SafeJsonGraphQL
from app.net import client_ip


class PortalGraphQL(SafeJsonGraphQL):  # GraphQL[Context, None] with safe JSON bodies
    def __init__(self, container: Container) -> None:
        from app.gql.schema import schema_for

        super().__init__(schema_for(container.settings))
        self.container = container

    async def render_graphql_ide(self, request: Request) -> Response:
        """GraphiQL; in production only for signed-in users."""
        if self.container.settings.env == "production":
            context = await self.get_context(request, Response())
            if context.actor is None:
                return PlainTextResponse("Sign in to the portal to use GraphiQL", status_code=401)
        return await super().render_graphql_ide(request)

    async def on_ws_connect(self, context: Context) -> dict[str, object] | None:
        """WebSocket sign-in: the session cookie (same-origin pages only) or
        ``{"authorization": "Bearer <token>"}`` in the connection_init payload."""
        params = context.connection_params or {}
        token = str(params.get("authorization") or params.get("Authorization") or "")
        if token.lower().startswith("bearer "):
            info = RequestInfo(ip=context.client_ip, user_agent=context.user_agent)
            context.actor = await self.container.auth.authenticate(token[7:].strip(), info)
            context.auth_via = "bearer"
        elif context.auth_via == "cookie":
            origin = context.request.headers.get("origin", "").lower()
            host = context.request.headers.get("host", "")
            allowed = self.container.settings.trusted_origins | {
                f"http://{host}".lower(),
                f"https://{host}".lower(),
            }
            if origin not in allowed:
                raise ConnectionRejectionError({"reason": "origin_not_allowed"})
        if context.actor is None:
            raise ConnectionRejectionError({"reason": "unauthenticated"})
        return None

    async def get_context(self, request: HTTPConnection, response: Response | WebSocket) -> Context:
        container = self.container
        peer = request.client.host if request.client else None
        ip = client_ip(peer, request.headers.get("x-forwarded-for"), container.trusted_proxies)
        user_agent = request.headers.get("user-agent")
        info = RequestInfo(ip=ip, user_agent=user_agent)

        actor: Actor | None = None
        auth_via = None
        authorization = request.headers.get("authorization", "")
        cookie = request.cookies.get(container.settings.session_cookie_name)
        if authorization.lower().startswith("bearer "):
            auth_via = "bearer"
            actor = await container.auth.authenticate(authorization[7:].strip(), info)
        elif cookie:
            auth_via = "cookie"
            actor = await container.auth.authenticate(cookie, info)
        return Context(
            request=request,
            response=response if isinstance(response, Response) else None,
            container=container,
            actor=actor,
            auth_via=auth_via,  # type: ignore[arg-type]
            client_ip=ip,
            user_agent=user_agent,
            loaders=Loaders.build(container),
        )
