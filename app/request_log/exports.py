"""Log exports: created by a mutation, written in the background by any replica (claimed with
``SKIP LOCKED`` on PostgreSQL), stored in the database in chunks, downloaded through a signed
link that expires. CSV cells that a spreadsheet would run as a formula are neutralised.

An export holds PII (IP, user agent) only when its creator held ``pii.read``; that is recorded
on the export (``filter.pii``). The link is tied to the tenant: its signature covers the entity,
and a download also needs the session of a member with ``logs.read`` there (and ``pii.read``
for an export with PII). Every download is audited."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import json
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

from app.actor import Actor
from app.db import Database
from app.errors import BadUserInput, Forbidden, NotFound
from app.request_log.filters import LogFilter
from app.request_log.models import LogExport
from app.request_log.repository import ExportChunkRepository, LogRepository
from app.request_log.service import (
    MAX_LOG_RANGE,
    PII_FIELDS,
    PII_PERMISSION,
    require_pii_for_ip_filter,
)
from app.security import SignedLinks
from app.uow import UnitOfWorkFactory

logger = logging.getLogger("portal.exports")
FORMATS = ("CSV", "NDJSON")
COLUMNS = (
    "id",
    "timestamp",
    "mode",
    "method",
    "path",
    "route",
    "query",
    "status",
    "error_code",
    "latency_ms",
    "api_key_id",
    "ip",
    "user_agent",
    "request_size",
    "response_size",
    "idempotency_key",
)
PII_COLUMNS = frozenset(COLUMNS) & PII_FIELDS
CHUNK_BYTES = 256 * 1024
LINK_TTL = timedelta(minutes=15)
STALE_RUN = timedelta(minutes=10)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: object) -> str:
    """A leading ``'`` keeps =, +, -, @, tab and CR cells from running as formulas."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def _filter_to_json(f: LogFilter) -> dict[str, Any]:
    return {k: getattr(f, k) for k in LogFilter.__dataclass_fields__}


def _row(row: dict[str, Any], pii: bool) -> dict[str, Any]:
    out = {
        "id": row["id"],
        "timestamp": datetime.fromtimestamp(row["ts_ms"] / 1000, UTC).isoformat(
            timespec="milliseconds"
        ),
        **{c: row.get(c) for c in COLUMNS if c not in ("id", "timestamp")},
    }
    if not pii:
        for column in PII_COLUMNS:
            out[column] = None
    return out


class InvalidLink(Forbidden):
    """A download link that was tampered with, has expired, or names no export."""


def has_pii(export: LogExport) -> bool:
    return bool(export.filter.get("pii", False))


def may_download(export: LogExport, permissions: frozenset[str]) -> bool:
    return "logs.read" in permissions and (not has_pii(export) or PII_PERMISSION in permissions)


def visible_filter(export: LogExport, permissions: frozenset[str]) -> dict[str, Any]:
    """The export's filter as a viewer may see it: an IP filter is PII."""
    spec = dict(export.filter)
    if PII_PERMISSION not in permissions and spec.get("ip") is not None:
        spec["ip"] = "[REDACTED]"
    return spec


def _subject(export: LogExport) -> str:
    return f"{export.entity_id}.{export.id}"


class ExportService:
    def __init__(self, uow: UnitOfWorkFactory, secret: bytes) -> None:
        self.uow = uow
        self.db: Database = uow.db
        self._links = SignedLinks(secret, "log-export-link", LINK_TTL)
        self._wake = asyncio.Event()
        self.processed = 0

    async def create(
        self, actor: Actor, entity_id: str, filters: LogFilter, export_format: str
    ) -> LogExport:
        if export_format not in FORMATS:
            raise BadUserInput("Format must be CSV or NDJSON", field="format")
        if filters.until_ms - filters.since_ms > MAX_LOG_RANGE.total_seconds() * 1000:
            raise BadUserInput("The range may span at most 31 days", field="from")
        async with self.uow.writer(actor) as uow:
            access = await uow.access(entity_id)
            access.require("logs.read")
            require_pii_for_ip_filter(filters.ip, access.permissions)
            export = LogExport(
                entity_id=entity_id,
                mode=filters.mode,
                format=export_format,
                filter={**_filter_to_json(filters), "pii": PII_PERMISSION in access.permissions},
                created_by_user_id=actor.user_id,
                created_at=uow.now(),
            )
            await uow.log_exports.add(export)
            await uow.audit(
                "log_export.created",
                entity_id=entity_id,
                target_type="log_export",
                target_id=export.id,
                details={"format": export_format, "filter": export.filter},
            )
        self._wake.set()
        return export

    async def list(self, actor: Actor, entity_id: str) -> list[LogExport]:
        async with self.uow.reader(actor) as uow:
            (await uow.access(entity_id)).require("logs.read")
            return await uow.log_exports.recent(entity_id, limit=50)

    # Signed links ---------------------------------------------------------------------------

    def link(self, export: LogExport, base_url: str, now: datetime | None = None) -> str:
        expires = self._links.expiry(now or self.uow.clock.now())
        signature = self._links.signature(_subject(export), expires)
        return f"{base_url}/exports/{export.id}/download?expires={expires}&signature={signature}"

    def check_link(self, export: LogExport, expires: str, signature: str) -> bool:
        return self._links.check(_subject(export), expires, signature, self.uow.clock.now())

    async def download(
        self, actor: Actor, export_id: str, expires: str, signature: str
    ) -> tuple[LogExport, AsyncIterator[bytes]]:
        """A signed link used by a member of the export's entity who may read it; audited.

        Raises InvalidLink (tampered, expired, unknown export), NOT_FOUND (not a member of
        the entity, or the export is not ready) or FORBIDDEN (no ``logs.read``, or an export
        with PII and no ``pii.read``)."""
        async with self.uow.reader(actor) as uow:
            export = await uow.log_exports.get(export_id)
            if export is None or not self.check_link(export, expires, signature):
                raise InvalidLink("This link is invalid or expired")
            access = await uow.access(export.entity_id)
        access.require("logs.read")
        if has_pii(export):
            access.require(PII_PERMISSION)
        if export.status != "COMPLETED":
            raise NotFound("No such export", field="id")
        async with self.uow.writer(actor) as uow:
            await uow.audit(
                "log_export.downloaded",
                entity_id=export.entity_id,
                target_type="log_export",
                target_id=export.id,
                details={"format": export.format, "pii": has_pii(export)},
            )

        async def chunks() -> AsyncIterator[bytes]:
            seq = 0
            while True:
                async with self.db.engine.connect() as connection:
                    data = await ExportChunkRepository(connection).read(export_id, seq)
                if data is None:
                    return
                yield data
                seq += 1

        return export, chunks()

    # The background runner ------------------------------------------------------------------

    name = "exports"

    async def run(self, stopping: asyncio.Event) -> None:
        """The job: write pending exports as they are created (or every 5 s, for those created
        by another replica); when stopping, finish the export in hand and claim no other."""

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
                except Exception:
                    logger.exception("export runner failed")
        finally:
            waker.cancel()

    def health(self) -> dict[str, int]:
        return {"processed": self.processed}

    async def run_one(self) -> bool:
        """Claim one pending (or stale running) export and write it. False when none waits."""
        async with self.uow.writer() as uow:
            export = await uow.log_exports.claim_next(uow.now() - STALE_RUN)
            if export is None:
                return False
            export.status = "RUNNING"
            uow.log_exports.save(export)
        try:
            rows, size = await self._write(export)
        except Exception as exc:
            logger.exception("export %s failed", export.id)
            await self._finish(export.id, "FAILED", 0, 0, str(exc)[:500])
            return True
        await self._finish(export.id, "COMPLETED", rows, size, None)
        return True

    async def _write(self, export: LogExport) -> tuple[int, int]:
        spec = dict(export.filter)
        pii = bool(spec.pop("pii", False))
        filters = LogFilter(**spec)
        buffer = io.StringIO()
        writer = csv.writer(buffer) if export.format == "CSV" else None
        if writer is not None:
            writer.writerow(COLUMNS)
        rows = 0
        size = 0
        seq = 0
        before: tuple[int, str] | None = None
        async with self.db.engine.begin() as connection:
            await ExportChunkRepository(connection).clear(export.id)
        while True:
            async with self.db.engine.connect() as connection:
                page = await LogRepository(connection).page(
                    export.entity_id, filters, limit=1000, before=before
                )
            for raw in page:
                row = _row(raw, pii)
                if writer is not None:
                    writer.writerow([csv_safe(row[c]) for c in COLUMNS])
                else:
                    buffer.write(json.dumps(row) + "\n")
                rows += 1
            done = len(page) < 1000
            if page:
                before = (page[-1]["ts_ms"], page[-1]["id"])
            if buffer.tell() >= CHUNK_BYTES or done:
                data = buffer.getvalue().encode()
                buffer.seek(0)
                buffer.truncate()
                if data:
                    async with self.db.engine.begin() as connection:
                        await ExportChunkRepository(connection).append(export.id, seq, data)
                    seq += 1
                    size += len(data)
            if done:
                return rows, size

    async def _finish(
        self, export_id: str, status: str, rows: int, size: int, error: str | None
    ) -> None:
        async with self.uow.writer() as uow:
            export = await uow.log_exports.get(export_id)
            if export is None:
                return
            export.status = status
            export.row_count = rows
            export.size_bytes = size
            export.error = error
            export.finished_at = uow.now()
            uow.log_exports.save(export)
