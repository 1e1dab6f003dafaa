"""Aggregating records into rollup and histogram increments (written by the rollup repository,
app/request_log/repository/rollups.py)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from app.request_log.models import TIER_MS
from app.request_log.record import LogRecord
from app.request_log.sketch import bin_of

ALL = "*"  # route and key of the entity-wide histogram rows
RollupKey = tuple[int, str, str, int, str, str, int, str]
HistogramKey = tuple[int, str, str, int, str, str, int]


@dataclass
class Increments:
    rollups: dict[RollupKey, list[float]] = field(default_factory=dict)  # count, sum, max
    histograms: dict[HistogramKey, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, record: LogRecord, tiers: Iterable[int]) -> None:
        if record.entity_id is None:
            return  # nobody's request: counted in the raw log only
        for tier in tiers:
            size = TIER_MS[tier]
            bucket = record.ts_ms - record.ts_ms % size
            dims = (
                tier,
                record.entity_id,
                record.mode,
                bucket,
                record.route,
                record.api_key_id or "",
            )
            key: RollupKey = (*dims, record.status, record.error_code or "")
            current = self.rollups.get(key)
            if current is None:
                self.rollups[key] = [1, record.latency_ms, record.latency_ms]
            else:
                current[0] += 1
                current[1] += record.latency_ms
                current[2] = max(current[2], record.latency_ms)
            latency_bin = bin_of(record.latency_ms)
            self.histograms[(*dims, latency_bin)] += 1
            # the entity-wide histogram, so unfiltered percentiles read ~1/15 of the rows
            self.histograms[
                (tier, record.entity_id, record.mode, bucket, ALL, ALL, latency_bin)
            ] += 1

    def rollup_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "tier": k[0],
                "entity_id": k[1],
                "mode": k[2],
                "bucket_ms": k[3],
                "route": k[4],
                "api_key_id": k[5],
                "status": k[6],
                "error_code": k[7],
                "count": int(v[0]),
                "latency_sum": v[1],
                "latency_max": v[2],
            }
            for k, v in sorted(self.rollups.items())
        ]

    def histogram_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "tier": k[0],
                "entity_id": k[1],
                "mode": k[2],
                "bucket_ms": k[3],
                "route": k[4],
                "api_key_id": k[5],
                "bin": k[6],
                "count": v,
            }
            for k, v in sorted(self.histograms.items())
        ]
