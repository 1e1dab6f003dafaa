"""Pure ASGI middleware at the HTTP edge: request body limits and read timeouts, and the
security headers of every response.

``BodyLimitMiddleware`` runs before any route reads a byte of the body:

- a ``Content-Length`` above the surface's limit is answered 413 at once, nothing read;
- a body without one (chunked) is counted while the route reads it; past the limit the route's
  ``receive()`` raises :class:`PayloadTooLarge` and no further byte is read;
- the whole body must arrive within ``body_timeout`` seconds of the first read, otherwise
  ``receive()`` raises :class:`BodyReadTimeout` and the client gets 408;
- a response sent before the body was read to its end closes the connection, so the server does
  not go on draining whatever the client still sends.

The 413/408 answer has the surface's error shape: the ``/v1`` envelope on ``/v1`` and
``/internal`` (the ``/v1`` app renders it itself, so its request log records the refusal), a
GraphQL error on ``/graphql``. WebSocket messages are bounded by uvicorn's ``ws_max_size``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.errors import error_body
from app.observability import new_request_id
from app.request_log.redact import MAX_BODY


class BodyError(Exception):
    """The request body was refused while it was being read (not a ``ValueError``: nothing that
    parses bodies may mistake it for bad input and carry on)."""

    status = 400
    code = "invalid_request"
    graphql_code = "BAD_REQUEST"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PayloadTooLarge(BodyError):
    status = 413
    code = "payload_too_large"
    graphql_code = "PAYLOAD_TOO_LARGE"


class BodyReadTimeout(BodyError):
    status = 408
    code = "request_timeout"
    graphql_code = "REQUEST_TIMEOUT"


@dataclass(frozen=True)
class BodyLimits:
    graphql: int
    api: int
    internal: int
    other: int
    timeout_seconds: float

    def for_path(self, path: str) -> tuple[str, int]:
        """The surface a path belongs to and its limit in bytes."""
        if path == "/graphql" or path.startswith("/graphql/"):
            return "graphql", self.graphql
        if path == "/v1" or path.startswith("/v1/"):
            return "api", self.api
        if path.startswith("/internal/") or path.startswith("/secret-scanning/"):
            return "internal", self.internal
        return "other", self.other


def describe_size(limit: int) -> str:
    if limit >= 1024 * 1024 and limit % (1024 * 1024) == 0:
        return f"{limit // (1024 * 1024)} MiB"
    if limit >= 1024 and limit % 1024 == 0:
        return f"{limit // 1024} KiB"
    return f"{limit} bytes"


def too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"The request body is larger than {describe_size(limit)}")


def too_slow(timeout: float) -> BodyReadTimeout:
    return BodyReadTimeout(f"The request body did not arrive within {timeout:g} s")


def body_error_response(error: BodyError, surface: str, request_id: str) -> JSONResponse:
    """The refusal in the surface's error shape; the connection is closed after it."""
    headers = {"Connection": "close"}
    if surface == "graphql":
        body: dict[str, Any] = {
            "errors": [{"message": error.message, "extensions": {"code": error.graphql_code}}]
        }
        return JSONResponse(body, status_code=error.status, headers=headers)
    return JSONResponse(
        error_body(error.code, error.message, request_id), status_code=error.status, headers=headers
    )


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


def _has_body(scope: Scope, declared: int | None) -> bool:
    if declared is not None:
        return declared > 0
    return any(name == b"transfer-encoding" for name, _ in scope.get("headers", []))


class BodyState(Protocol):
    pending: bool  # the body is not read to its end yet
    started: bool  # the response has started
    capture: bool  # keep the first MAX_BODY bytes (the request log stores them)


class BodyReader:
    """``receive`` for a request with a body, as :class:`BodyLimitMiddleware` bounds it (size
    and read timeout), also counting what reaches the route (and keeping its first bytes when
    the request log captures bodies)."""

    __slots__ = (
        "_counted",
        "_deadline",
        "body",
        "limit",
        "received",
        "state",
        "timeout",
        "upstream",
    )

    def __init__(self, upstream: Receive, state: BodyState, limit: int, timeout: float) -> None:
        self.upstream = upstream
        self.state = state
        self.limit = limit
        self.timeout = timeout
        self._counted = 0  # every body byte read, for the limit
        self._deadline: float | None = None
        self.received = 0  # body bytes handed to the route
        self.body = bytearray()

    async def receive(self) -> Message:
        message = await self._limited()
        if message["type"] == "http.request":
            chunk = message.get("body", b"")
            self.received += len(chunk)
            if self.state.capture and len(self.body) < MAX_BODY:
                self.body.extend(chunk[: MAX_BODY - len(self.body)])
        return message

    async def _limited(self) -> Message:
        state = self.state
        if not state.pending:  # the body is complete: e.g. listening for http.disconnect
            return await self.upstream()
        if self._deadline is None:
            self._deadline = asyncio.get_running_loop().time() + self.timeout
        error: BodyError | None = None
        try:
            async with asyncio.timeout_at(self._deadline):
                message = await self.upstream()
        except TimeoutError:
            error = too_slow(self.timeout)
        else:
            if message["type"] != "http.request":
                state.pending = False
                return message
            self._counted += len(message.get("body", b""))
            if self._counted > self.limit:
                error = too_large(self.limit)
            state.pending = bool(message.get("more_body", False))
        if error is None:
            return message
        state.pending = False
        if state.started:  # e.g. a streaming response listening for a disconnect
            return {"type": "http.disconnect"}
        raise error


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, limits: BodyLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        surface, limit = self.limits.for_path(scope.get("path", ""))
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await self._refuse(too_large(limit), surface, state, scope, receive, send)
            return

        timeout = self.limits.timeout_seconds
        pending = _has_body(scope, declared)
        received = 0
        deadline: float | None = None
        response_started = False

        async def limited_receive() -> Message:
            nonlocal pending, received, deadline
            if not pending:  # the body is complete: e.g. listening for http.disconnect
                return await receive()
            if deadline is None:
                deadline = asyncio.get_running_loop().time() + timeout
            error: BodyError | None = None
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                error = too_slow(timeout)
            else:
                if message["type"] != "http.request":
                    pending = False
                    return message
                received += len(message.get("body", b""))
                if received > limit:
                    error = too_large(limit)
                pending = bool(message.get("more_body", False))
            if error is None:
                return message
            pending = False
            if response_started:  # e.g. a streaming response listening for a disconnect
                return {"type": "http.disconnect"}
            raise error

        async def guarded_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
                if pending:  # answered before the body was read: do not drain the rest
                    message = {
                        **message,
                        "headers": [*message.get("headers", []), (b"connection", b"close")],
                    }
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except BodyError as error:
            if response_started:
                raise
            await self._refuse(error, surface, state, scope, receive, send)

    async def _refuse(
        self,
        error: BodyError,
        surface: str,
        state: dict[str, Any],
        scope: Scope,
        receive: Receive,
        send: Send,
    ) -> None:
        request_id = state.get("request_id") or new_request_id()
        await body_error_response(error, surface, request_id)(scope, receive, send)


# Security headers ---------------------------------------------------------------------------


def content_security_policy(public_url: str) -> str:
    """Same-origin scripts, styles, fetches and WebSockets only; no CDN, no framing.

    ``'self'`` covers same-origin ``ws:``/``wss:`` in current browsers; the public origin's
    WebSocket form is listed too for older ones. Inline styles are allowed (editors such as
    GraphiQL's inject ``<style>`` elements); inline scripts are not.
    """
    origin = public_url.rstrip("/")
    ws_origin = (
        "wss://" + origin.removeprefix("https://")
        if origin.startswith("https://")
        else ("ws://" + origin.removeprefix("http://"))
    )
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self' data:",
            f"connect-src 'self' {ws_origin}",
            "worker-src 'self' blob:",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


class SecurityHeaders:
    """``X-Content-Type-Options``, ``X-Frame-Options`` and ``Referrer-Policy`` on every response,
    the ``Content-Security-Policy`` on HTML (the portal and GraphiQL), HSTS over HTTPS in
    production. Headers the route set itself are kept."""

    def __init__(self, *, public_url: str, hsts: bool) -> None:
        self.always: list[tuple[bytes, bytes]] = [
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"no-referrer"),
        ]
        if hsts:
            self.always.append((b"strict-transport-security", b"max-age=31536000"))
        self.html = [(b"content-security-policy", content_security_policy(public_url).encode())]
        self._names = frozenset(name for name, _ in self.always + self.html)
        # lower-case names seen that are none of the above and not content-type (most of a
        # response's headers): one set look-up each instead of lower() and two comparisons
        self._plain: set[bytes] = set()
        self._html: dict[bytes, bool] = {}  # content-type value -> HTML (bounded like _plain)
        self._always_html = self.always + self.html

    def add(self, headers: list[tuple[bytes, bytes]]) -> None:
        """Appends (in place) the ones the response lacks."""
        headers += self.missing(headers)

    def missing(self, headers: Iterable[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        """The ones these headers lack, in the order :meth:`add` appends them (a list of this
        object's own: never modify it)."""
        present: set[bytes] | None = None
        html = False
        plain = self._plain
        for name, value in headers:
            if name in plain:
                continue
            lowered = name.lower()
            if lowered in self._names:
                if present is None:
                    present = set()
                present.add(lowered)
            elif lowered == b"content-type":
                is_html = self._html.get(value)
                if is_html is None:
                    is_html = value.lower().startswith(b"text/html")
                    if len(self._html) < _PLAIN_NAMES:
                        self._html[value] = is_html
                html = html or is_html
            elif lowered == name and len(plain) < _PLAIN_NAMES:
                plain.add(name)
        extra = self._always_html if html else self.always
        if present:
            return [(name, value) for name, value in extra if name not in present]
        return extra


_PLAIN_NAMES = 256  # bounded: names come from routes (and what they echo), not from clients


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, public_url: str, hsts: bool) -> None:
        self.app = app
        self.headers = SecurityHeaders(public_url=public_url, hsts=hsts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                self.headers.add(headers)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
