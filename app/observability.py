"""Structured JSON logs with request IDs, and the pure ASGI middleware that assigns them."""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import sys
import time
from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.metrics import observe_request
from app.request_log.redact import scrub, storable
from app.security import RandomPool

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)
access_logger = logging.getLogger("portal.access")
ACCESS_LOG_PATH_LIMIT = 2048


_REQUEST_ID_RANDOM = RandomPool(24)  # 256 request IDs per CSPRNG call


def new_request_id() -> str:
    """``req_`` + 24 base62 characters from ``secrets`` (app/security.py's ``RandomPool``)."""
    return "req_" + _REQUEST_ID_RANDOM.take()


_DUMPS_OPTIONS = (
    orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
)


def dumps_line(payload: dict[str, Any]) -> str:
    """One JSON log line (orjson; anything it cannot encode as JSON is ``str()``-ed, as
    ``json.dumps(default=str)`` did)."""
    try:
        return orjson.dumps(payload, default=str, option=_DUMPS_OPTIONS).decode()
    except TypeError:  # e.g. an int beyond 64 bits
        return json.dumps(payload, default=str)


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
        return scrub(dumps_line(payload))


def configure_logging(level: str = "INFO") -> None:
    # The JSON lines never show the caller, thread or process: LogRecord need not look them up
    # (a stack walk and several calls per record, once per request for the access log).
    logging._srcfile = None  # the documented switch that skips findCaller
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    handler = JsonLineHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    access_log.handler = handler
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True  # RequestIdMiddleware logs requests


def _iso_ms(now: float) -> str:
    return datetime.fromtimestamp(now, UTC).isoformat(timespec="milliseconds")


class AccessLog:
    """One JSON line per HTTP request on the ``portal.access`` logger.

    While the logging set-up is the one :func:`configure_logging` made (its JSON handler alone
    on the root, nothing on ``portal`` / ``portal.access``), the line is built here: the same
    fields :class:`JsonFormatter` writes, in the same order, with no ``LogRecord`` and no
    formatter, and gathered: the lines go to the handler's stream together every ~50 ms (or
    each 256), before any other line the handler writes, and at exit, so the output holds every
    line in order with one write for many (``PYTHONUNBUFFERED`` makes each stream write a system
    call). Otherwise (a test capturing records, a handler added) the record goes through
    ``logging`` as before. Every field here is already scrubbed and bounded by the caller."""

    FLUSH_SECONDS = 0.05
    FLUSH_LINES = 256

    def __init__(self) -> None:
        self.handler: logging.StreamHandler[Any] | None = None
        self._second = -1
        self._prefix = ""
        self._flush_due = False
        self._lines: list[str] = []
        self._portal = logging.getLogger("portal")

    def _fast(self) -> logging.StreamHandler[Any] | None:
        handler = self.handler
        if handler is None:
            return None
        root = logging.root.handlers
        logger = access_logger
        if (
            len(root) != 1
            or root[0] is not handler
            or logger.handlers
            or logger.filters
            or logger.disabled
            or not logger.propagate
            or self._portal.handlers
            or not self._portal.propagate
            or handler.filters
            or handler.level > logging.INFO
            or not logger.isEnabledFor(logging.INFO)
        ):
            return None
        return handler

    def request(self, method: str, path: str, status: int, duration_ms: float) -> None:
        handler = self._fast()
        if handler is None:
            fields = {"method": method, "path": path, "status": status, "duration_ms": duration_ms}
            access_logger.info("request", extra={"fields": fields})
            return
        now = time.time()
        second = int(now)
        if second != self._second:
            self._second = second
            self._prefix = _iso_ms(second)[:19]  # up to the seconds
        micros = round((now - second) * 1_000_000)
        ts = f"{self._prefix}.{micros // 1000:03d}+00:00" if micros < 1_000_000 else _iso_ms(now)
        # the formatter's fields, in its order: ts, level, logger, message, request_id, fields
        request_id = request_id_var.get()
        payload: dict[str, Any] = (
            {
                "ts": ts,
                "level": "info",
                "logger": "portal.access",
                "message": "request",
                "request_id": request_id,
                "method": method,
                "path": path,
                "status": status,
                "duration_ms": duration_ms,
            }
            if request_id
            else {
                "ts": ts,
                "level": "info",
                "logger": "portal.access",
                "message": "request",
                "method": method,
                "path": path,
                "status": status,
                "duration_ms": duration_ms,
            }
        )
        lines = self._lines
        lines.append(orjson.dumps(payload).decode())
        if len(lines) >= self.FLUSH_LINES:
            self.write_pending()
        elif not self._flush_due:
            self._flush_due = True
            try:
                asyncio.get_running_loop().call_later(self.FLUSH_SECONDS, self._flush)
            except RuntimeError:  # no loop: at once
                self._flush()

    def _flush(self) -> None:
        self._flush_due = False
        self.write_pending()

    def write_pending(self) -> None:
        """The gathered lines, to the handler's stream (then flushed)."""
        handler = self.handler
        if not self._lines or handler is None:
            return
        lines, self._lines = self._lines, []
        terminator = handler.terminator
        with handler.lock:  # type: ignore[union-attr]
            handler.stream.write(terminator.join(lines) + terminator)
            handler.flush()


class JsonLineHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The JSON stream handler :func:`configure_logging` installs: the access lines gathered
    so far are written before any other line, and when logging shuts down."""

    def emit(self, record: logging.LogRecord) -> None:
        access_log.write_pending()
        super().emit(record)

    def flush(self) -> None:
        if access_log.handler is self and access_log._lines:
            access_log.write_pending()  # calls flush again once the lines are out
            return
        super().flush()


access_log = AccessLog()


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
            access_log.request(
                # the path may carry an API key (or anything else): scrubbed, bounded
                storable(str(scope.get("method") or ""), 16) or "",
                storable(str(scope.get("path") or ""), ACCESS_LOG_PATH_LIMIT) or "",
                status,
                round(seconds * 1000, 2),
            )
            request_id_var.reset(token)
