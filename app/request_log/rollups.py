"""Aggregating records into rollup and histogram increments (written by the rollup repository,
app/request_log/repository/rollups.py)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.request_log.models import DAY, HOUR, MINUTE, TIER_MS
from app.request_log.record import LogRecord
from app.request_log.sketch import bin_of

ALL = "*"  # route and key of the entity-wide histogram rows
RollupKey = tuple[int, str, str, int, str, str, int, str]
HistogramKey = tuple[int, str, str, int, str, str, int]
# per key and hour (advice, app/advice): (entity, mode, hour, key, ip) and (..., method, route)
KeyIpKey = tuple[str, str, int, str, str]
KeyRouteKey = tuple[str, str, int, str, str, str]
# A batch's records grouped by their minute rollup row (see ``Increments.add_records``):
# (entity, mode, minute, route, key, status, code) -> count, latency sum, max,
# {latency: count}, {(ip, method): [count, first, last]}
GroupKey = tuple[str, str, int, str, str, int, str]
_MINUTE_MS = TIER_MS[MINUTE]
_HOUR_MS = TIER_MS[HOUR]


@dataclass
class Increments:
    rollups: dict[RollupKey, list[float]] = field(default_factory=dict)  # count, sum, max
    histograms: dict[HistogramKey, int] = field(default_factory=lambda: defaultdict(int))
    key_ips: dict[KeyIpKey, list[int]] = field(default_factory=dict)  # count, first, last
    key_routes: dict[KeyRouteKey, list[int]] = field(default_factory=dict)
    key_rollups: bool = True  # False: no per-key sources and routes (advice off)

    def add(self, record: LogRecord, tiers: Iterable[int]) -> None:
        if record.entity_id is None:
            return  # nobody's request: counted in the raw log only
        if record.api_key_id and self.key_rollups:
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

    def add_records(self, records: Iterable[LogRecord], marks: dict[int, int]) -> None:
        """What ``add`` gives for each record (a record older than a compaction watermark also
        goes to the tier that absorbed its minute), computed once per group of records that
        share a minute rollup row instead of once per record: a record costs one key and one
        look-up, its latency's histogram bin is found once per distinct latency, and the
        per-key source and route counts once per (IP, method) of the group. Within a row the
        latency sum adds the records in their order, as ``add`` does; the rare record past a
        watermark goes through ``add`` itself (its hour and day rows then add in order too)."""
        minute_mark = marks.get(MINUTE, 0)
        hour_mark = marks.get(HOUR, 0)
        top = max(minute_mark, hour_mark)
        key_rollups = self.key_rollups
        groups: dict[GroupKey, list[Any]] = {}
        for record in records:
            entity_id = record.entity_id
            if entity_id is None:
                continue  # nobody's request: counted in the raw log only
            ts = record.ts_ms
            if ts < top:  # past a watermark: also its hour (and day) rows
                tiers = [MINUTE]
                if ts < minute_mark:
                    tiers.append(HOUR)
                if ts < hour_mark:
                    tiers.append(DAY)
                self.add(record, tiers)
                continue
            key = (
                entity_id,
                record.mode,
                ts - ts % _MINUTE_MS,
                record.route,
                record.api_key_id or "",
                record.status,
                record.error_code or "",
            )
            latency = record.latency_ms
            group = groups.get(key)
            if group is None:
                group = groups[key] = [1, latency, latency, {latency: 1}, {}]
            else:
                group[0] += 1
                group[1] += latency
                if latency > group[2]:
                    group[2] = latency
                latencies = group[3]
                latencies[latency] = latencies.get(latency, 0) + 1
            if key_rollups and record.api_key_id:
                source = (record.ip or "", record.method)
                seen = group[4].get(source)
                if seen is None:
                    group[4][source] = [1, ts, ts]
                else:
                    seen[0] += 1
                    if ts < seen[1]:
                        seen[1] = ts
                    if ts > seen[2]:
                        seen[2] = ts
        for key, group in groups.items():
            self._add_group(key, group)

    def _add_group(self, key: GroupKey, group: list[Any]) -> None:
        entity_id, mode, minute, route, key_id, status, code = key
        count, total, peak, latencies, sources = group
        dims = (MINUTE, entity_id, mode, minute, route, key_id)
        rollup: RollupKey = (*dims, status, code)
        current = self.rollups.get(rollup)
        if current is None:
            self.rollups[rollup] = [count, total, peak]
        else:  # not from this batch's groups (one per row): another call's records
            current[0] += count
            current[1] += total
            current[2] = max(current[2], peak)
        bins: dict[int, int] = {}
        for latency, times in latencies.items():
            latency_bin = bin_of(latency)
            bins[latency_bin] = bins.get(latency_bin, 0) + times
        histograms = self.histograms
        for latency_bin, times in bins.items():
            histograms[(*dims, latency_bin)] += times
            histograms[(MINUTE, entity_id, mode, minute, ALL, ALL, latency_bin)] += times
        if sources:
            base = (entity_id, mode, minute - minute % _HOUR_MS, key_id)
            for (ip, method), (times, first, last) in sources.items():
                _merge(self.key_ips, (*base, ip), times, first, last)
                _merge(self.key_routes, (*base, method, route), times, first, last)

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


def _merge(
    table: dict[Any, list[int]], key: tuple[Any, ...], count: int, first: int, last: int
) -> None:
    current = table.get(key)
    if current is None:
        table[key] = [count, first, last]
    else:
        current[0] += count
        current[1] = min(current[1], first)
        current[2] = max(current[2], last)


def _bump(table: dict[Any, list[int]], key: tuple[Any, ...], ts: int) -> None:
    current = table.get(key)
    if current is None:
        table[key] = [1, ts, ts]
    else:
        current[0] += 1
        current[1] = min(current[1], ts)
        current[2] = max(current[2], ts)


def increments_for(
    records: Sequence[LogRecord], marks: dict[int, int], *, key_rollups: bool = True
) -> Increments:
    """The rollup and histogram increments of a batch of records (minute rows; a record older
    than a compaction watermark also goes to the tier that already absorbed its minute)."""
    increments = Increments(key_rollups=key_rollups)
    increments.add_records(records, marks)  # per group of records sharing a minute row
    return increments
