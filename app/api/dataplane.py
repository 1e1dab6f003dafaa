"""The ``/v1`` data plane as one pure ASGI layer: each thing a request needs, done once.

For every HTTP request whose path starts with ``/v1/`` it does, in this order, what the portal's
generic stack and the ``/v1`` middleware did one layer each (security headers, request ID and
access log, body limits, the request log, then the key check: client IP, credentials, entity,
allowlist, scope, rate limit), reading the request headers once, wrapping ``send`` once and
``receive`` only when there is a body. A request that matches an operation is handed to its
route straight away (the ``/v1`` app's exception handlers apply as before); anything else (no
operation: 404, 405, a trailing slash) goes through the ``/v1`` Starlette app as it always did.

The answers are the ones the layered stack gave: the same status, body and headers (in the same
order), the same request-log record, the same access-log line, the same error envelope.
"""

from __future__ import annotations

import time
from typing import Any

from starlette.exceptions import HTTPException
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from app.api.errors import (
    UNAVAILABLE_QUIET_SECONDS,
    UNAVAILABLE_STATE,
    unavailable_outage,
    unavailable_response,
)
from app.api.middleware import KeyGate
from app.api.operations import ApiRouter, route_path
from app.api.request_logging import UNMATCHED, RawHeaders, error_code, log_record
from app.api_key.verifier import KeyRecord
from app.db import is_unavailable
from app.http_edge import (
    BodyError,
    BodyLimits,
    BodyReader,
    SecurityHeaders,
    body_error_response,
    too_large,
)
from app.metrics import observe_v1
from app.observability import (
    ACCESS_LOG_PATH_LIMIT,
    access_log,
    new_request_id,
    request_id_var,
)
from app.request_log.redact import MAX_BODY
from app.request_log.writer import LogWriter

__all__ = ["DataPlane", "is_data_plane"]


def is_data_plane(scope: Scope) -> bool:
    """An HTTP request for ``/v1/...`` (what the ``/v1`` mount matched)."""
    return scope["type"] == "http" and route_path(scope).startswith("/v1/")


class Exchange:
    """One request's response side: every header the layers added, and what the log needs."""

    __slots__ = (
        "access_status",
        "body",
        "capture",
        "downstream",
        "keep_body",
        "logging",
        "pending",
        "rate_headers",
        "request_id",
        "response_headers",
        "security",
        "sent",
        "started",
        "status",
    )

    def __init__(self, downstream: Send, request_id: bytes, security: SecurityHeaders) -> None:
        self.downstream = downstream
        self.request_id = request_id
        self.security = security
        self.status = 500  # what the request log records when nothing was answered
        self.access_status = 500  # what the access log records
        self.started = False
        self.pending = False  # a request body not read to its end
        self.logging = False  # inside the request log (the pre-log 413 is not)
        self.capture = False  # the entity stores headers and bodies
        self.keep_body = False
        self.sent = 0
        self.body = bytearray()
        self.rate_headers: list[tuple[bytes, bytes]] | None = None
        self.response_headers: list[tuple[bytes, bytes]] = []

    async def send(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            status = message["status"]
            own = message.get("headers", ())
            # the security headers depend on the route's own headers only (added last)
            missing = self.security.missing(own)
            headers = list(own)
            if self.rate_headers is not None:
                headers += self.rate_headers
            if self.logging:
                self.status = status
                self.keep_body = status >= 400 or self.capture
                if self.capture:
                    self.response_headers = list(headers)
            self.started = True
            if self.pending:  # answered before the body was read: do not drain the rest
                headers.append((b"connection", b"close"))
            self.access_status = status
            headers.append((b"x-request-id", self.request_id))
            headers += missing
            message = {**message, "headers": headers}
        elif kind == "http.response.body" and self.logging:
            chunk = message.get("body", b"")
            self.sent += len(chunk)
            if self.keep_body and len(self.body) < MAX_BODY:
                self.body.extend(chunk[: MAX_BODY - len(self.body)])
        await self.downstream(message)


class DataPlane:
    def __init__(
        self,
        v1: Any,  # the /v1 Starlette app (state, exception handlers, fallback routing)
        *,
        router: ApiRouter,
        gate: KeyGate,
        writer: LogWriter | None,
        limits: BodyLimits,
        security: SecurityHeaders,
        outer_router: Any,
        mount: Any,
        auth_enabled: bool,
    ) -> None:
        self.v1 = v1
        self.router = router
        self.gate = gate
        self.writer = writer
        self.limit = limits.api
        self.timeout = limits.timeout_seconds
        self.security = security
        self.outer_router = outer_router
        self.mount = mount
        self.auth_enabled = auth_enabled
        self.unavailable = unavailable_outage()
        errors = ExceptionMiddleware(v1.router, handlers=v1.exception_handlers)
        self.handlers = (errors._exception_handlers, errors._status_handlers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = scope.get("state")
        if state is None:
            state = scope["state"] = {}
        request_id = new_request_id()
        state["request_id"] = request_id
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        exchange = Exchange(send, request_id.encode(), self.security)
        headers = RawHeaders(scope["headers"])
        try:
            declared = headers.content_length
            if declared is not None and declared > self.limit:
                error = too_large(self.limit)
                await body_error_response(error, "api", request_id)(scope, receive, exchange.send)
                return
            has_body = declared > 0 if declared is not None else headers.chunked
            reader = None
            if has_body:
                exchange.pending = True
                reader = BodyReader(receive, exchange, self.limit, self.timeout)
                receive = reader.receive
            try:
                await self._logged(scope, state, receive, exchange, headers, started, reader)
            except BodyError as error:
                if exchange.started:
                    raise
                exchange.logging = False
                await body_error_response(error, "api", request_id)(scope, receive, exchange.send)
        finally:
            seconds = time.perf_counter() - started
            # Prometheus (app/metrics.py): by the route template the router matched (or none)
            observe_v1(state.get("route"), scope.get("method"), exchange.access_status, seconds)
            access_log.request(
                # the path may carry an API key (or anything else): scrubbed, bounded
                headers.storable(str(scope.get("method") or ""), 16),
                headers.storable(str(scope.get("path") or ""), ACCESS_LOG_PATH_LIMIT),
                exchange.access_status,
                round(seconds * 1000, 2),
            )
            request_id_var.reset(token)

    async def _logged(
        self,
        scope: Scope,
        state: dict[str, Any],
        receive: Receive,
        exchange: Exchange,
        headers: RawHeaders,
        started: float,
        reader: BodyReader | None,
    ) -> None:
        # what the /v1 mount did to the scope
        root_path = scope.get("root_path", "")
        scope["router"] = scope.get("router") or self.outer_router
        scope["route"] = self.mount
        scope["path_params"] = dict(scope.get("path_params", {}))
        scope["app_root_path"] = scope.get("app_root_path", root_path)
        scope["root_path"] = root_path + "/v1"
        scope["endpoint"] = self.v1
        writer = self.writer
        if writer is None:
            await self._gated(scope, state, receive, exchange, headers)
            return
        wall_ms = time.time_ns() // 1_000_000
        exchange.logging = True
        try:
            await self._gated(scope, state, receive, exchange, headers)
        finally:
            latency = (time.perf_counter() - started) * 1000
            received = reader.received if reader is not None else 0
            request_body = bytes(reader.body) if reader is not None else b""
            key = state.get("key_record")
            # a request that identified a key belongs to its entity; any other is only counted
            if isinstance(key, KeyRecord) or state.get("auth_disabled"):
                writer.submit(
                    log_record(
                        scope,
                        state,
                        headers,
                        key if isinstance(key, KeyRecord) else None,
                        latency,
                        wall_ms,
                        exchange.status,
                        received,
                        exchange.sent,
                        request_body,
                        exchange.response_headers,
                        bytes(exchange.body),
                    )
                )
            else:
                writer.count_anonymous(
                    wall_ms,
                    headers.mode_hint,
                    str(state.get("route") or UNMATCHED),
                    exchange.status,
                    error_code(exchange.status, bytes(exchange.body)),
                    round(latency, 3),
                )

    async def _gated(
        self,
        scope: Scope,
        state: dict[str, Any],
        receive: Receive,
        exchange: Exchange,
        headers: RawHeaders,
    ) -> None:
        """The key gate, then the route. The database away (a key look-up on a cache miss, a
        handler's query): 503 ``service_unavailable`` with ``Retry-After``, logged like any
        refusal, never a 500; the outage is logged once each way (``unavailable_outage``)."""
        state[UNAVAILABLE_STATE] = self.unavailable  # the /v1 handler logs through it too
        try:
            found = self.router.find(scope)
            operation = found[0] if found is not None else None
            if operation is not None:
                state["route"] = operation.path
            if self.auth_enabled:
                entity_id = found[2].get("entity_id") if found is not None else None
                if not await self.gate.admit(
                    scope, receive, state, headers, operation, entity_id, exchange
                ):
                    return
            else:
                state["auth_disabled"] = True  # benchmarks: logged like keyed requests, as rows
            if found is None:
                await self.v1(scope, receive, exchange.send)
                return
            await self._dispatch(found[1], found[2], scope, receive, exchange)
        except Exception as error:
            if exchange.started or not is_unavailable(error):
                raise
            self.unavailable.down(error)
            await unavailable_response(state["request_id"])(scope, receive, exchange.send)
            return
        outage = self.unavailable
        if outage.since is not None and time.monotonic() - outage.last > UNAVAILABLE_QUIET_SECONDS:
            outage.up()  # answered, and no 503 for a while: the outage is over

    async def _dispatch(
        self,
        route: Route,
        path_params: dict[str, Any],
        scope: Scope,
        receive: Receive,
        exchange: Exchange,
    ) -> None:
        """What the ``/v1`` app's stack did for a matched route: the endpoint called with a
        ``Request``, the app's exception handlers around it (as Starlette's
        ``wrap_app_handling_exceptions``), and a plain 500 (then the exception raised on) for
        anything they do not handle."""
        scope["app"] = self.v1
        scope["path_params"].update(path_params)
        scope["endpoint"] = route.endpoint
        scope["route"] = route
        scope["starlette.exception_handlers"] = self.handlers
        send = exchange.send
        try:
            request = Request(scope, receive, send)
            try:
                response = await route.endpoint(request)
                await response(scope, receive, send)
            except Exception as exc:
                handler = self._handler(exc)
                if handler is None:
                    raise
                if exchange.started:
                    raise RuntimeError(
                        "Caught handled exception, but response already started."
                    ) from exc
                response = await handler(request, exc)
                if response is not None:
                    await response(scope, receive, send)
                exc.__traceback__ = None  # reused exception instances accumulate tracebacks
        except Exception:
            if not exchange.started:
                await PlainTextResponse("Internal Server Error", status_code=500)(
                    scope, receive, send
                )
            raise

    def _handler(self, exc: Exception) -> Any:
        exception_handlers, status_handlers = self.handlers
        handler = None
        if isinstance(exc, HTTPException):
            handler = status_handlers.get(exc.status_code)
        if handler is None:
            for kind in type(exc).__mro__:
                if kind in exception_handlers:
                    return exception_handlers[kind]
        return handler
