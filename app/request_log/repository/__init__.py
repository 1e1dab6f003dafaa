"""All SQL of the request-log domain, one module per concept: raw logs and partitions
(``logs``), rollups, histograms and compaction (``rollups``), the analytics reads
(``analytics``) and log exports (``exports``). Entity settings (retention) are read through the
tenancy repository."""

from app.request_log.repository.exports import ExportChunkRepository, ExportRepository
from app.request_log.repository.logs import (
    TIERS,
    LogRepository,
    log_conditions,
    partition_name,
    partition_start,
)
from app.request_log.repository.rollups import RollupRepository

__all__ = [
    "TIERS",
    "ExportChunkRepository",
    "ExportRepository",
    "LogRepository",
    "RollupRepository",
    "log_conditions",
    "partition_name",
    "partition_start",
]
