"""Main-thread CPU per request with no sockets at all: ``create_app`` on a seeded SQLite dir,
its lifespan started, called as an ASGI app against a bare async Starlette route answering the
same bytes (``time.thread_time``: other processes on the shared machine do not count)."""

from __future__ import annotations

import logging
import os
import statistics
import sys
import time
from collections.abc import MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common.base import bench_settings

from .servers import prepare


@dataclass(frozen=True, slots=True)
class CpuResult:
    bare_us: float
    whoami_us: float
    healthz_us: float
    writer_us: float  # the log writer's main-thread CPU per /v1/whoami record (its flushes)

    @property
    def ratio(self) -> float:
        return self.bare_us / self.whoami_us


def _scope(path: str, secret: str) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"127.0.0.1"),
            (b"user-agent", b"bench"),
            (b"authorization", f"Bearer {secret}".encode()),
        ],
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }


async def _cpu_per_request(app: Any, path: str, secret: str, count: int) -> float:
    """Main-thread CPU microseconds per request (``time.thread_time``: other processes on
    the machine do not count, the log writer's flushes run outside the timed loop)."""

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        return None

    started = time.thread_time()
    for _ in range(count):
        await app(_scope(path, secret), receive, send)
    return (time.thread_time() - started) / count * 1e6


async def measure_cpu(root: Path, count: int, rounds: int) -> CpuResult:
    """``create_app`` on a seeded SQLite data dir, its lifespan started, the access log sent
    to /dev/null, against a bare Starlette route answering the same bytes; medians."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    from app.main import create_app
    from app.observability import configure_logging

    settings = bench_settings(root / "cpu")  # seeded by the caller (seed runs its own loop)
    fixture = await prepare(root / "cpu")
    configure_logging("INFO")
    sink = Path(os.devnull).open("w")  # noqa: ASYNC230, SIM115 (set up once; closed below)
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(sink)
    app = create_app(settings)
    secret = fixture.key.secret
    try:
        async with app.router.lifespan_context(app):
            body: list[bytes] = []

            async def capture(message: MutableMapping[str, Any]) -> None:
                if message["type"] == "http.response.body":
                    body.append(message.get("body", b""))

            async def receive() -> dict[str, Any]:
                return {"type": "http.request", "body": b"", "more_body": False}

            await app(_scope("/v1/whoami", secret), receive, capture)
            answer = b"".join(body)

            async def whoami(request: Request) -> Response:
                return Response(answer, media_type="application/json")

            bare = Starlette(routes=[Route("/v1/whoami", whoami)])
            writer = app.state.container.log_writer
            rates: dict[str, list[float]] = {"bare": [], "whoami": [], "healthz": [], "writer": []}
            for _ in range(rounds):
                rates["bare"].append(await _cpu_per_request(bare, "/v1/whoami", secret, count))
                rates["whoami"].append(await _cpu_per_request(app, "/v1/whoami", secret, count))
                started = time.thread_time()  # the flushes of those records (rows, rollups)
                await writer.drain()
                rates["writer"].append((time.thread_time() - started) / count * 1e6)
                rates["healthz"].append(await _cpu_per_request(app, "/healthz", secret, count))
    finally:
        handler.setStream(sys.stdout)
        sink.close()
    return CpuResult(
        *(statistics.median(rates[k]) for k in ("bare", "whoami", "healthz", "writer"))
    )
