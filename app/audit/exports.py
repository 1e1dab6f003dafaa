"""Audit exports: an entity's audit events for a time range (at most 366 days, optionally one
action or family ``x.*``, or one actor) as CSV or NDJSON. Created by a mutation (audited),
written in the background by any replica, stored in chunks and downloaded through a signed,
expiring link (the mechanism of log exports, app/export_files.py) by a member with
``audit.read`` (OWNER and ADMIN hold it); every download is audited.

The events are written in chain order. The export is a snapshot: the events of the range up to
the chain's last event when the export is written (the first and last ``seq`` created in the
range, and every event between them for an unfiltered export, so the lines link up).

NDJSON is verifiable offline (scripts/verify_audit_export.py): each line holds every field its
digest covers (``DIGESTED_FIELDS`` and ``created_at``), its ``prev_digest`` and ``digest``; the
last line is a summary (count, first and last seq, last digest, the range and filter) signed
with the chain key, so a removed last line or a truncated file is detected too. CSV cells are
formula-safe (``csv_safe``)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

from app.actor import Actor
from app.audit.chain import event_content, sign
from app.audit.repository import AuditExportChunkRepository
from app.errors import BadUserInput, NotFound
from app.export_files import ChunkedFile, ClaimLost, ExportJob, ExportLinks, InvalidLink, csv_safe
from app.models import AuditEvent, AuditExport
from app.uow import UnitOfWorkFactory

logger = logging.getLogger("portal.exports")
FORMATS = ("CSV", "NDJSON")
MAX_RANGE = timedelta(days=366)
STALE_RUN = timedelta(minutes=10)
PAGE = 500
SUMMARY_KIND = "portico.audit_export.v1"
CSV_COLUMNS = (
    "seq",
    "id",
    "created_at",
    "action",
    "actor_user_id",
    "actor_email",
    "impersonator_user_id",
    "impersonator_email",
    "target_type",
    "target_id",
    "ip",
    "user_agent",
    "details",
    "prev_digest",
    "digest",
)
__all__ = ["AuditExportService", "InvalidLink"]


def _csv_row(event: AuditEvent) -> list[str]:
    content = event_content(event)
    content["details"] = json.dumps(event.details, sort_keys=True, ensure_ascii=False)
    content["digest"] = event.digest
    return [csv_safe(content[c]) for c in CSV_COLUMNS]


def _ndjson_line(event: AuditEvent) -> str:
    line = {**event_content(event), "digest": event.digest}
    return json.dumps(line, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"


class AuditExportService(ExportJob):
    name = "audit_exports"

    def __init__(self, uow: UnitOfWorkFactory, secret: bytes) -> None:
        super().__init__()
        self.uow = uow
        self.links = ExportLinks(secret, "audit-export-link", "/audit-exports", uow.clock)

    async def create(
        self,
        actor: Actor,
        entity_id: str,
        export_format: str,
        since: datetime,
        until: datetime,
        *,
        action: str | None = None,
        actor_user_id: str | None = None,
    ) -> AuditExport:
        if export_format not in FORMATS:
            raise BadUserInput("Format must be CSV or NDJSON", field="format")
        if since.tzinfo is None or until.tzinfo is None:
            raise BadUserInput("'from' and 'to' need a time zone", field="from")
        if since >= until:
            raise BadUserInput("'from' must be before 'to'", field="from")
        if until - since > MAX_RANGE:
            raise BadUserInput("The range may span at most 366 days", field="from")
        if action is not None and not 0 < len(action) <= 64:
            raise BadUserInput("An action has 1 to 64 characters", field="action")
        async with self.uow.writer(actor) as uow:
            (await uow.access(entity_id)).require("audit.read")
            export = AuditExport(
                entity_id=entity_id,
                format=export_format,
                since=since,
                until=until,
                action=action or None,
                actor_user_id=actor_user_id or None,
                created_by_user_id=actor.user_id,
                created_at=uow.now(),
            )
            await uow.audit_exports.add(export)
            await uow.audit(
                "audit_export.created",
                entity_id=entity_id,
                target_type="audit_export",
                target_id=export.id,
                details={
                    "format": export_format,
                    "from": since.isoformat(),
                    "to": until.isoformat(),
                    "action": export.action,
                    "actor_id": export.actor_user_id,
                },
            )
        self.wake()
        return export

    async def list(self, actor: Actor, entity_id: str) -> list[AuditExport]:
        async with self.uow.reader(actor) as uow:
            (await uow.access(entity_id)).require("audit.read")
            return await uow.audit_exports.recent(entity_id, limit=50)

    def link(self, export: AuditExport, base_url: str, now: datetime | None = None) -> str:
        return self.links.link(export.entity_id, export.id, base_url, now)

    async def download(
        self, actor: Actor, export_id: str, expires: str, signature: str
    ) -> tuple[AuditExport, AsyncIterator[bytes]]:
        """A signed link used by a member of the export's entity with ``audit.read``; audited.

        Raises InvalidLink (tampered, expired, unknown export), NOT_FOUND (not a member of the
        entity, or the export is not ready) or FORBIDDEN (no ``audit.read``)."""
        async with self.uow.reader(actor) as uow:
            export = await uow.audit_exports.get(export_id)
            if export is None or not self.links.check(
                export.entity_id, export.id, expires, signature
            ):
                raise InvalidLink("This link is invalid or expired")
            access = await uow.access(export.entity_id)
        access.require("audit.read")
        if export.status != "COMPLETED":
            raise NotFound("No such export", field="id")
        async with self.uow.writer(actor) as uow:
            await uow.audit(
                "audit_export.downloaded",
                entity_id=export.entity_id,
                target_type="audit_export",
                target_id=export.id,
                details={"format": export.format},
            )
        return export, AuditExportChunkRepository.stream(self.uow.db.engine, export_id)

    # The background runner (the loop: ExportJob) ------------------------------------------------

    async def run_one(self) -> bool:
        """Claim one pending (or stale running) export and write it. False when none waits."""
        export = await self.claim_one()
        if export is None:
            return False
        await self.process(export)
        return True

    async def claim_one(self) -> AuditExport | None:
        """Claim the next export to write (its ``attempt`` is this run's token)."""
        async with self.uow.writer() as uow:
            return await uow.audit_exports.claim_next(uow.now(), STALE_RUN)

    async def heartbeat(self, export: AuditExport) -> None:
        """Tell other runners this run is alive; ``ClaimLost`` if one took the export over."""
        async with self.uow.writer() as uow:
            alive = await uow.audit_exports.beat(export.id, export.attempt, uow.now())
        if not alive:
            raise ClaimLost(export.id)

    async def process(self, export: AuditExport) -> None:
        """Write a claimed export and finish it (unless another run took it over)."""
        try:
            rows, size = await self._write(export)
        except ClaimLost:
            logger.warning(
                "audit export %s was taken over by another run; this one stops", export.id
            )
            return
        except Exception as exc:
            logger.exception("audit export %s failed", export.id)
            await self._finish(export, "FAILED", 0, 0, str(exc)[:500])
            return
        await self._finish(export, "COMPLETED", rows, size, None)

    async def _write(self, export: AuditExport) -> tuple[int, int]:
        engine = self.uow.db.engine
        await AuditExportChunkRepository.reset(engine, export.id)
        out = ChunkedFile(AuditExportChunkRepository.store(engine, export.id))
        buffer = io.StringIO()
        writer = csv.writer(buffer) if export.format == "CSV" else None
        if writer is not None:
            writer.writerow(CSV_COLUMNS)
        async with self.uow.reader() as uow:
            bounds = await uow.audit_log.seq_range(export.entity_id, export.since, export.until)
        rows = 0
        first: AuditEvent | None = None
        last: AuditEvent | None = None
        digests = hashlib.sha256()
        after, last_seq = (bounds[0] - 1, bounds[1]) if bounds else (0, 0)
        while bounds:
            await self.heartbeat(export)  # per page: a long export is never stale while it runs
            async with self.uow.reader() as uow:
                page = await uow.audit_log.seq_page(
                    export.entity_id,
                    after,
                    last_seq,
                    action=export.action,
                    actor_user_id=export.actor_user_id,
                    limit=PAGE,
                )
            for event in page:
                if writer is not None:
                    writer.writerow(_csv_row(event))
                else:
                    buffer.write(_ndjson_line(event))
                digests.update(event.digest.encode())
                first = first or event
                last = event
                rows += 1
            out.write(buffer.getvalue())
            buffer.seek(0)
            buffer.truncate()
            await out.flush()
            if len(page) < PAGE:
                break
            after = page[-1].seq
        if writer is None:
            out.write(self._summary(export, rows, first, last, digests.hexdigest()))
        await out.flush(force=True)
        return rows, out.size

    def _summary(
        self,
        export: AuditExport,
        count: int,
        first: AuditEvent | None,
        last: AuditEvent | None,
        digests_sha256: str,
    ) -> str:
        """The signed last line of an NDJSON export (the verification script checks it)."""
        summary: dict[str, Any] = {
            "kind": SUMMARY_KIND,
            "export_id": export.id,
            "chain": export.entity_id,
            "from": export.since.isoformat(timespec="microseconds"),
            "to": export.until.isoformat(timespec="microseconds"),
            "action": export.action,
            "actor_user_id": export.actor_user_id,
            "filtered": bool(export.action or export.actor_user_id),
            "count": count,
            "first_seq": first.seq if first else None,
            "last_seq": last.seq if last else None,
            "first_prev_digest": first.prev_digest if first else None,
            "last_digest": last.digest if last else None,
            "digests_sha256": digests_sha256,
        }
        line = {"summary": summary, "signature": sign(self.uow.audit_key, summary)}
        return json.dumps(line, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"

    async def _finish(
        self, claimed: AuditExport, status: str, rows: int, size: int, error: str | None
    ) -> None:
        async with self.uow.writer() as uow:
            export = await uow.audit_exports.claimed(claimed.id, claimed.attempt)
            if export is None:
                return
            export.status = status
            export.row_count = rows
            export.size_bytes = size
            export.error = error
            export.finished_at = uow.now()
            uow.audit_exports.save(export)
