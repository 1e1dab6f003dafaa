"""A delivery worker process for tests: ``python -m tests.support.webhook_worker`` runs the
webhook delivery job with settings from ``PORTAL_*`` until SIGTERM (or SIGKILL, the test)."""

from __future__ import annotations

import asyncio
import signal

from app.container import Container
from app.settings import load_settings
from app.worker.webhook_delivery import build_delivery_job


async def main() -> None:
    container = Container(load_settings())
    job = build_delivery_job(container)
    stopping = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopping.set)
    print("ready", flush=True)
    try:
        await job.run(stopping)
    finally:
        await container.close()


if __name__ == "__main__":
    asyncio.run(main())
