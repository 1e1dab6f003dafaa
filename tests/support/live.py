"""Serve an in-process app with a real uvicorn server on 127.0.0.1 (real sockets, real HTTP),
while the test keeps direct access to the app's container."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from starlette.applications import Starlette

from tests.support.server import free_port


@asynccontextmanager
async def serve(app: Starlette) -> AsyncIterator[str]:
    """The app's lifespan is already running (the ``app`` fixture); uvicorn only serves."""
    port = free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        lifespan="off",
        log_config=None,
        access_log=False,
        proxy_headers=False,  # like `portal serve`: client IPs come from PORTAL_TRUSTED_PROXIES
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
