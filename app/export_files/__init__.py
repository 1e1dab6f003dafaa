"""What every downloadable export shares (request-log exports, audit exports): the signed,
expiring download link, formula-safe CSV cells, the file written in chunks, and the background
loop that writes pending exports.

A link is ``{base_url}{path}/{export_id}/download?expires=...&signature=...``; its signature is
an HMAC (under a key derived from the server secret for the export kind's own ``purpose``, so a
link of one kind never opens another) over the entity, the export and the expiry. The download
itself also needs the session of a member allowed to read the export (each service checks it).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from app.clock import Clock
from app.db import OutageLog
from app.errors import Forbidden
from app.security import SignedLinks

logger = logging.getLogger("portal.exports")
LINK_TTL = timedelta(minutes=15)
CHUNK_BYTES = 256 * 1024
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class ClaimLost(Exception):
    """Another run took the export over (this one was silent too long): stop writing."""


def csv_safe(value: object) -> str:
    """A leading ``'`` keeps =, +, -, @, tab and CR cells from running as formulas."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


class InvalidLink(Forbidden):
    """A download link that was tampered with, has expired, or names no export."""


class ExportLinks:
    """Signed, expiring download links of one kind of export (``purpose``) under ``path``:
    ``app.security.SignedLinks`` over the subject ``{entity_id}.{export_id}``."""

    def __init__(self, secret: bytes, purpose: str, path: str, clock: Clock) -> None:
        self._links = SignedLinks(secret, purpose, LINK_TTL)
        self.path = path
        self.clock = clock

    def link(
        self, entity_id: str, export_id: str, base_url: str, now: datetime | None = None
    ) -> str:
        expires = self._links.expiry(now or self.clock.now())
        signature = self._links.signature(f"{entity_id}.{export_id}", expires)
        return f"{base_url}{self.path}/{export_id}/download?expires={expires}&signature={signature}"

    def check(self, entity_id: str, export_id: str, expires: str, signature: str) -> bool:
        subject = f"{entity_id}.{export_id}"
        return self._links.check(subject, expires, signature, self.clock.now())


class ChunkedFile:
    """Text written to an export, stored in chunks of about ``CHUNK_BYTES`` through ``store``
    (``store(seq, data)``, one transaction each)."""

    def __init__(self, store: Callable[[int, bytes], Awaitable[None]]) -> None:
        self._store = store
        self._buffer = io.StringIO()
        self.chunks = 0
        self.size = 0

    def write(self, text: str) -> None:
        self._buffer.write(text)

    async def flush(self, *, force: bool = False) -> None:
        """Store the buffer once it is large enough (or whatever it holds, with ``force``)."""
        if self._buffer.tell() < CHUNK_BYTES and not force:
            return
        data = self._buffer.getvalue().encode()
        self._buffer.seek(0)
        self._buffer.truncate()
        if data:
            await self._store(self.chunks, data)
            self.chunks += 1
            self.size += len(data)


class ExportJob:
    """The background job of an export kind: writes pending exports as they are created
    (``wake()``) or every 5 s (for those created by another replica); when stopping, it finishes
    the export in hand and claims no other. Subclasses define ``name`` and ``run_one``."""

    name = "exports"

    def __init__(self) -> None:
        self._wake = asyncio.Event()
        self.processed = 0
        self.outage = OutageLog(self.name, logger)

    def wake(self) -> None:
        self._wake.set()

    async def run_one(self) -> bool:
        """Claim one pending export and write it. False when none waits."""
        raise NotImplementedError

    async def run(self, stopping: asyncio.Event) -> None:
        async def wake_on_stop() -> None:
            await stopping.wait()
            self._wake.set()

        waker = asyncio.create_task(wake_on_stop())
        try:
            while not stopping.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=5)
                self._wake.clear()
                try:
                    while not stopping.is_set() and await self.run_one():
                        self.processed += 1
                except Exception as exc:
                    self.outage.failed(exc, "%s runner failed", self.name)
                else:
                    self.outage.up()
        finally:
            waker.cancel()

    def health(self) -> dict[str, int]:
        return {"processed": self.processed}
