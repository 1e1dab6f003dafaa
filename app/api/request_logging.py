"""Pure ASGI middleware around ``/v1`` that turns every request into one log record.

It runs outside the key middleware, so refusals (401/403/429) are logged too, with the key
when one was identified. The record goes on the writer's queue; the request never waits for it.
A request that identified no key belongs to no entity: it is only counted (see writer.py).
Every stored text field is scrubbed of secrets (API keys anywhere: path, query, user agent,
idempotency key, headers, bodies) and bounded.
"""

from __future__ import annotations

import json
import time

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api_key.verifier import KeyRecord
from app.observability import new_request_id
from app.request_log.record import LogRecord
from app.request_log.redact import (
    MAX_BODY,
    redact_body,
    redact_headers,
    redact_query,
    storable,
)
from app.request_log.writer import LogWriter

UNMATCHED = "(unmatched)"


class RequestLogMiddleware:
    def __init__(self, app: ASGIApp, writer: LogWriter) -> None:
        self.app = app
        self.writer = writer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        wall_ms = time.time_ns() // 1_000_000
        state = scope.setdefault("state", {})
        if "request_id" not in state:  # RequestIdMiddleware gave it one (tests may not)
            state["request_id"] = new_request_id()
        request_body = bytearray()
        response_body = bytearray()
        received = 0
        sent = 0
        status = 500
        response_headers: list[tuple[bytes, bytes]] = []

        async def receive_logged() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                received += len(chunk)
                if len(request_body) < MAX_BODY:
                    request_body.extend(chunk[: MAX_BODY - len(request_body)])
            return message

        async def send_logged(message: Message) -> None:
            nonlocal status, sent, response_headers
            if message["type"] == "http.response.start":
                status = message["status"]
                response_headers = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                chunk = message.get("body", b"")
                sent += len(chunk)
                if len(response_body) < MAX_BODY:
                    response_body.extend(chunk[: MAX_BODY - len(response_body)])
            await send(message)

        try:
            await self.app(scope, receive_logged, send_logged)
        finally:
            latency = (time.perf_counter() - started) * 1000
            # a request that identified a key belongs to its entity; any other is only counted
            if isinstance(state.get("key_record"), KeyRecord) or state.get("auth_disabled"):
                self.writer.submit(
                    _record(
                        scope,
                        state,
                        wall_ms,
                        latency,
                        status,
                        received,
                        sent,
                        bytes(request_body),
                        response_headers,
                        bytes(response_body),
                    )
                )
            else:
                self.writer.count_anonymous(
                    wall_ms,
                    _mode_hint(Headers(scope=scope)),
                    str(state.get("route") or UNMATCHED),
                    status,
                    _error_code(status, bytes(response_body)),
                    round(latency, 3),
                )


def _record(
    scope: Scope,
    state: dict[str, object],
    wall_ms: int,
    latency_ms: float,
    status: int,
    received: int,
    sent: int,
    request_body: bytes,
    response_headers: list[tuple[bytes, bytes]],
    response_body: bytes,
) -> LogRecord:
    headers = Headers(scope=scope)
    key = state.get("key_record")
    record = key if isinstance(key, KeyRecord) else None
    error_code = _error_code(status, response_body)
    capture = record is not None and record.log_capture_bodies
    response_header_pairs = [
        (k.decode("latin-1"), v.decode("latin-1")) for k, v in response_headers
    ]
    return LogRecord(
        id=str(state["request_id"]),
        ts_ms=wall_ms,
        entity_id=record.entity_id if record else None,
        mode=record.mode if record else _mode_hint(headers),
        api_key_id=record.id if record else None,
        method=storable(scope["method"], 10) or "?",
        path=storable(scope["path"], 2048) or "/",
        route=str(state.get("route") or UNMATCHED),
        query=storable(redact_query(scope.get("query_string", b"").decode("latin-1")), 2048) or "",
        status=status,
        error_code=error_code,
        latency_ms=round(latency_ms, 3),
        ip=storable(str(state.get("client_ip") or (scope.get("client") or ("",))[0]), 64) or None,
        user_agent=storable(headers.get("user-agent"), 512) or None,
        request_size=received,
        response_size=sent,
        idempotency_key=storable(headers.get("idempotency-key"), 255) or None,
        request_headers=[list(p) for p in redact_headers(headers.items())] if capture else None,
        response_headers=[list(p) for p in redact_headers(response_header_pairs)]
        if capture
        else None,
        request_body=redact_body(request_body, headers.get("content-type")) if capture else None,
        response_body=redact_body(response_body, _content_type(response_header_pairs))
        if capture
        else None,
    )


def _error_code(status: int, response_body: bytes) -> str | None:
    if status < 400 or response_body[:1] != b"{":
        return None
    try:
        code = json.loads(response_body)["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None
    return storable(str(code), 64) if code else None


def _mode_hint(headers: Headers) -> str:
    credential = headers.get("x-api-key") or headers.get("authorization") or ""
    return "test" if "_test_" in credential[:40] else "live"


def _content_type(headers: list[tuple[str, str]]) -> str | None:
    return next((v for k, v in headers if k.lower() == "content-type"), None)
