"""The uvicorn side of ``portal serve``: an HTTP protocol that also bounds how long and how large
a request head may be, and the server options that go with it.

uvicorn times out idle keep-alive connections only *after* a response; a connection that never
finishes its request line and headers (one byte every few seconds, or nothing at all) is kept
forever, and the httptools parser buffers an unbounded head. :class:`EdgeHttpProtocol` gives
every request head ``PORTAL_HEADER_TIMEOUT_SECONDS`` from the moment the connection opens (or the
next request starts) and ``PORTAL_MAX_HEADER_BYTES`` of size, then answers 408 or 431 and closes.
Slow bodies are the ASGI middleware's job (``app.http_edge``).
"""

from __future__ import annotations

import asyncio
import functools
import gc
import logging
from typing import Any

from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
from uvicorn.server import ServerState

from app.settings import Settings, load_settings

logger = logging.getLogger("portal.http")

PROTOCOL = "app.http_server:EdgeHttpProtocol"

# The cyclic collector's thresholds in a serving process (CPython's default: 700, 10, 10). Under
# load requests leave container objects alive past a young collection (a log record waits up to
# ~100 ms in the writer's queue), so with a first generation of 700 they reached the oldest one
# and a full collection (every object of the process, 120 ms to 1 s with the loop stopped on
# the loaded 2-core machine) ran every 10-40 s. With 50,000 they die young: no full collection
# in minutes of wrk (bench/bench_dataplane.py's whoami), p99 and CPU per request lower. The
# older generations keep CPython's defaults.
GC_THRESHOLDS = (50_000, 10, 10)


def tune_gc() -> None:
    """Set :data:`GC_THRESHOLDS` (``portal serve``'s app factory, in each worker process)."""
    gc.set_threshold(*GC_THRESHOLDS)


@functools.cache
def _limits() -> tuple[float, int]:
    """Read once per process (``portal serve`` validated the same environment already)."""
    settings = load_settings()
    return settings.header_timeout_seconds, settings.max_header_bytes


class EdgeHttpProtocol(HttpToolsProtocol):
    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.header_timeout, self.max_header_bytes = _limits()
        self._head_timer: asyncio.TimerHandle | None = None
        self._in_head = False
        self._head_bytes = 0
        self._refused = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        super().data_received(data)
        if self._in_head and not self.transport.is_closing():  # a head still incomplete
            self._head_bytes += len(data)
            if self._head_bytes > self.max_header_bytes:
                self._refuse(431, "Request header fields too large")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if not self._in_head and not self._refused:  # the next request on a kept-alive connection
            self._start_head()

    def on_headers_complete(self) -> None:
        self._stop_head()
        if self._refused:
            return
        size = len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers)
        if size > self.max_header_bytes:  # a complete head that arrived in one read
            self._refuse(431, "Request header fields too large")
            return
        super().on_headers_complete()

    # After a refusal, the rest of the data already read is parsed but goes nowhere.

    def on_body(self, body: bytes) -> None:
        if not self._refused:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if not self._refused:
            super().on_message_complete()

    def _start_head(self) -> None:
        self._stop_head()
        self._in_head = True
        self._head_bytes = 0
        self._head_timer = self.loop.call_later(self.header_timeout, self._head_timed_out)

    def _stop_head(self) -> None:
        self._in_head = False
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if not self._in_head or self.transport.is_closing():
            return
        if self.cycle is not None and not self.cycle.response_complete:
            # Busy with the previous (pipelined) request; reading is paused meanwhile.
            self._head_timer = self.loop.call_later(self.header_timeout, self._head_timed_out)
            return
        if self._head_bytes == 0:
            self._stop_head()
            self.transport.close()  # an idle connection that never sent a request
            return
        self._refuse(408, "Request header timeout")

    def _refuse(self, status: int, message: str) -> None:
        self._stop_head()
        self._refused = True
        logger.debug("request head refused", extra={"fields": {"status": status}})
        body = message.encode("ascii")
        self.transport.write(
            b"".join(
                [
                    STATUS_LINE[status],
                    b"content-type: text/plain; charset=utf-8\r\n",
                    b"content-length: " + str(len(body)).encode("ascii") + b"\r\n",
                    b"connection: close\r\n\r\n",
                    body,
                ]
            )
        )
        self.transport.close()


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """What ``portal serve`` passes to ``uvicorn.run`` besides the app, host and port."""
    return {
        "http": PROTOCOL,
        "timeout_keep_alive": 5,
        "ws_max_size": settings.graphql_max_body_bytes,
        "log_config": None,
        "access_log": False,
        "proxy_headers": False,  # client IPs come from PORTAL_TRUSTED_PROXIES only
        "server_header": False,
        "timeout_graceful_shutdown": 15,
    }
