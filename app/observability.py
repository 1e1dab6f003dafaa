"""Structured JSON logs with request IDs, and the pure ASGI middleware that assigns them."""

from __future__ import annotations

import contextvars
import json
import logging
import sys
import time
from datetime import UTC, datetime
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.metrics import observe_request
from app.request_log.redact import scrub, storable
from app.security import random_base62

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)
access_logger = logging.getLogger("portal.access")
ACCESS_LOG_PATH_LIMIT = 2048


def new_request_id() -> str:
    return "req_" + random_base62(24)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = request_id_var.get()
        if request_id:
            payload["request_id"] = request_id
        extra = getattr(record, "fields", None)
        if isinstance(extra, dict):
            payload.update(extra)
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        # no API key (or other secret) reaches stdout, whatever a message or traceback holds
        return scrub(json.dumps(payload, default=str))


def configure_logging(level: str = "INFO") -> None:
    # The JSON lines never show the caller, thread or process: LogRecord need not look them up
    # (a stack walk and several calls per record, once per request for the access log).
    logging._srcfile = None  # the documented switch that skips findCaller
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True  # RequestIdMiddleware logs requests


class RequestIdMiddleware:
    """Gives every HTTP request an ``X-Request-Id`` and writes one access log line for it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = new_request_id()
        scope.setdefault("state", {})["request_id"] = request_id
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            observe_request(scope, status, seconds)  # Prometheus (app/metrics.py)
            access_logger.info(
                "request",
                extra={
                    "fields": {
                        # the path may carry an API key (or anything else): scrubbed, bounded
                        "method": storable(str(scope.get("method") or ""), 16),
                        "path": storable(str(scope.get("path") or ""), ACCESS_LOG_PATH_LIMIT),
                        "status": status,
                        "duration_ms": round(seconds * 1000, 2),
                    }
                },
            )
            request_id_var.reset(token)
