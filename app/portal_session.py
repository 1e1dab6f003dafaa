"""Who is calling the portal: the session behind an HTTP request or a WebSocket
(``Authorization: Bearer <session token>``, else the session cookie). Used by the GraphQL
endpoint and the export downloads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from starlette.requests import HTTPConnection

from app.actor import Actor
from app.auth.service import RequestInfo
from app.container import Container
from app.net import client_ip


@dataclass(frozen=True, slots=True)
class RequestSession:
    """Who sent an HTTP request or opened a WebSocket: the portal session, if any."""

    actor: Actor | None
    token: str | None
    auth_via: Literal["cookie", "bearer"] | None
    info: RequestInfo


async def authenticate_request(container: Container, request: HTTPConnection) -> RequestSession:
    """``Authorization: Bearer <session token>``, else the session cookie."""
    peer = request.client.host if request.client else None
    ip = client_ip(peer, request.headers.getlist("x-forwarded-for"), container.trusted_proxies)
    info = RequestInfo(ip=ip, user_agent=request.headers.get("user-agent"))
    authorization = request.headers.get("authorization", "")
    cookie = request.cookies.get(container.settings.session_cookie_name)
    via: Literal["cookie", "bearer"]
    if authorization.lower().startswith("bearer "):
        token, via = authorization[7:].strip(), "bearer"
    elif cookie:
        token, via = cookie, "cookie"
    else:
        return RequestSession(None, None, None, info)
    return RequestSession(await container.auth.authenticate(token, info), token, via, info)
