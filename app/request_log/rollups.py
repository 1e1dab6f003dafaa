"""Aggregating records into rollup and histogram increments (written by the rollup repository,
app/request_log/repository/rollups.py)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from app.request_log.models import HOUR, TIER_MS
from app.request_log.record import LogRecord
from app.request_log.sketch import bin_of

ALL = "*"  # route and key of the entity-wide histogram rows
RollupKey = tuple[int, str, str, int, str, str, int, str]
HistogramKey = tuple[int, str, str, int, str, str, int]
# per key and hour (advice, app/advice): (entity, mode, hour, key, ip) and (..., method, route)
KeyIpKey = tuple[str, str, int, str, str]
KeyRouteKey = tuple[str, str, int, str, str, str]


@dataclass
class Increments:
    rollups: dict[RollupKey, list[float]] = field(default_factory=dict)  # count, sum, max
    histograms: dict[HistogramKey, int] = field(default_factory=lambda: defaultdict(int))
    key_ips: dict[KeyIpKey, list[int]] = field(default_factory=dict)  # count, first, last
    key_routes: dict[KeyRouteKey, list[int]] = field(default_factory=dict)

    def add(self, record: LogRecord, tiers: Iterable[int]) -> None:
        if record.entity_id is None:
            return  # nobody's request: counted in the raw log only
        if record.api_key_id:
            self._add_key(record)
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

    def _add_key(self, record: LogRecord) -> None:
        """Hour buckets only (never compacted: they stay until hour-tier retention)."""
        ts = record.ts_ms
        hour = ts - ts % TIER_MS[HOUR]
        base = (record.entity_id or "", record.mode, hour, record.api_key_id or "")
        _bump(self.key_ips, (*base, record.ip or ""), ts)
        _bump(self.key_routes, (*base, record.method, record.route), ts)

    def key_ip_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "tier": HOUR,
                "entity_id": k[0],
                "mode": k[1],
                "bucket_ms": k[2],
                "api_key_id": k[3],
                "ip": k[4],
                "count": v[0],
                "first_ms": v[1],
                "last_ms": v[2],
            }
            for k, v in sorted(self.key_ips.items())
        ]

    def key_route_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "tier": HOUR,
                "entity_id": k[0],
                "mode": k[1],
                "bucket_ms": k[2],
                "api_key_id": k[3],
                "method": k[4],
                "route": k[5],
                "count": v[0],
                "first_ms": v[1],
                "last_ms": v[2],
            }
            for k, v in sorted(self.key_routes.items())
        ]

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


def _bump(table: dict[Any, list[int]], key: tuple[Any, ...], ts: int) -> None:
    current = table.get(key)
    if current is None:
        table[key] = [1, ts, ts]
    else:
        current[0] += 1
        current[1] = min(current[1], ts)
        current[2] = max(current[2], ts)
