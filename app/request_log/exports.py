"""Log exports: created by a mutation, written in the background by any replica (claimed with
``SKIP LOCKED`` on PostgreSQL), stored in the database in chunks, downloaded through a signed
link that expires. CSV cells that a spreadsheet would run as a formula are neutralised. The
link, the CSV cells, the chunked file and the job loop are shared with audit exports
(app/export_files.py).

An export holds PII (IP, user agent) only when its creator held ``pii.read``; that is recorded
on the export (``filter.pii``). The link is tied to the tenant: its signature covers the entity,
and a download also needs the session of a member with ``logs.read`` there (and ``pii.read``
for an export with PII). Every download is audited."""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

from app.actor import Actor
from app.db import Database
from app.errors import BadUserInput, NotFound
from app.export_files import ChunkedFile, ClaimLost, ExportJob, ExportLinks, InvalidLink, csv_safe
from app.request_log.filters import LogFilter
from app.request_log.models import LogExport
from app.request_log.repository import ExportChunkRepository, LogRepository
from app.request_log.service import (
    MAX_LOG_RANGE,
    PII_FIELDS,
    PII_PERMISSION,
    require_pii_for_ip_filter,
)
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
STALE_RUN = timedelta(minutes=10)
__all__ = ["ExportService", "InvalidLink", "csv_safe"]


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


class ExportService(ExportJob):
    name = "exports"

    def __init__(self, uow: UnitOfWorkFactory, secret: bytes) -> None:
        super().__init__()
        self.uow = uow
        self.db: Database = uow.db
        self.links = ExportLinks(secret, "log-export-link", "/exports", uow.clock)

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
        self.wake()
        return export

    async def list(self, actor: Actor, entity_id: str) -> list[LogExport]:
        async with self.uow.reader(actor) as uow:
            (await uow.access(entity_id)).require("logs.read")
            return await uow.log_exports.recent(entity_id, limit=50)

    # Signed links ---------------------------------------------------------------------------

    def link(self, export: LogExport, base_url: str, now: datetime | None = None) -> str:
        return self.links.link(export.entity_id, export.id, base_url, now)

    def check_link(self, export: LogExport, expires: str, signature: str) -> bool:
        return self.links.check(export.entity_id, export.id, expires, signature)

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

        return export, ExportChunkRepository.stream(self.db.engine, export_id)

    # The background runner (the loop: ExportJob) ------------------------------------------------

    async def run_one(self) -> bool:
        """Claim one pending (or stale running) export and write it. False when none waits."""
        export = await self.claim_one()
        if export is None:
            return False
        await self.process(export)
        return True

    async def claim_one(self) -> LogExport | None:
        """Claim the next export to write (its ``attempt`` is this run's token)."""
        async with self.uow.writer() as uow:
            return await uow.log_exports.claim_next(uow.now(), STALE_RUN)

    async def heartbeat(self, export: LogExport) -> None:
        """Tell other runners this run is alive; ``ClaimLost`` if one took the export over."""
        async with self.uow.writer() as uow:
            alive = await uow.log_exports.beat(export.id, export.attempt, uow.now())
        if not alive:
            raise ClaimLost(export.id)

    async def process(self, export: LogExport) -> None:
        """Write a claimed export and finish it (unless another run took it over)."""
        try:
            rows, size = await self._write(export)
        except ClaimLost:
            logger.warning("export %s was taken over by another run; this one stops", export.id)
            return
        except Exception as exc:
            logger.exception("export %s failed", export.id)
            await self._finish(export, "FAILED", 0, 0, str(exc)[:500])
            return
        await self._finish(export, "COMPLETED", rows, size, None)

    async def _write(self, export: LogExport) -> tuple[int, int]:
        spec = dict(export.filter)
        pii = bool(spec.pop("pii", False))
        filters = LogFilter(**spec)

        out = ChunkedFile(ExportChunkRepository.store(self.db.engine, export.id))
        buffer = io.StringIO()
        writer = csv.writer(buffer) if export.format == "CSV" else None
        if writer is not None:
            writer.writerow(COLUMNS)
        rows = 0
        before: tuple[int, str] | None = None
        await ExportChunkRepository.reset(self.db.engine, export.id)
        while True:
            await self.heartbeat(export)  # per page: a long export is never stale while it runs
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
            out.write(buffer.getvalue())
            buffer.seek(0)
            buffer.truncate()
            done = len(page) < 1000
            if page:
                before = (page[-1]["ts_ms"], page[-1]["id"])
            await out.flush(force=done)
            if done:
                return rows, out.size

    async def _finish(
        self, claimed: LogExport, status: str, rows: int, size: int, error: str | None
    ) -> None:
        async with self.uow.writer() as uow:
            export = await uow.log_exports.claimed(claimed.id, claimed.attempt)
            if export is None:
                return
            export.status = status
            export.row_count = rows
            export.size_bytes = size
            export.error = error
            export.finished_at = uow.now()
            uow.log_exports.save(export)
