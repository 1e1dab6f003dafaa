"""Log exports: the export rows (listed, claimed by one runner with ``SKIP LOCKED`` on
PostgreSQL) and the chunks of the file they produce."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import SQLModel

from app.export_files.repository import ExportChunks, ExportRows
from app.request_log.models import LogExport, LogExportChunk

CHUNKS: sa.Table = SQLModel.metadata.tables["log_export_chunks"]
_ = LogExportChunk  # keeps the chunk table registered


class ExportRepository(ExportRows[LogExport]):
    model = LogExport


class ExportChunkRepository(ExportChunks):
    """The file of a log export, one row per chunk, written and read on the engine directly."""

    table = CHUNKS
