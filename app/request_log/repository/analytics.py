"""The analytics reads, from rollups and histograms only: each read takes the plan's segments
(tier, start, end) and the optional route and key, and returns plain figures that
app/request_log/analytics.py turns into a report."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from app.request_log.models import HISTOGRAMS, ROLLUPS
from app.request_log.rollups import ALL

Segment = tuple[int, int, int]  # tier, start_ms, end_ms
# requests, 2xx, 3xx, 4xx, 5xx, latency sum, latency max, active keys
TotalsRow = tuple[int, int, int, int, int, float, float, int]
GroupRow = tuple[str, int, int, float]  # key (or bucket), requests, errors, latency sum


def _where(
    table: sa.Table,
    entity_id: str,
    mode: str,
    segments: list[Segment],
    route: str | None,
    api_key_id: str | None,
    api_key_ids: Sequence[str] | None = None,
) -> list[sa.ColumnElement[bool]]:
    c = table.c
    # entity and mode repeated inside every span so each OR term can use the scan index
    spans = [
        sa.and_(
            c.entity_id == entity_id,
            c.mode == mode,
            c.tier == tier,
            c.bucket_ms >= start,
            c.bucket_ms < end,
        )
        for tier, start, end in segments
    ]
    conditions = [sa.or_(*spans) if spans else sa.false()]
    if route:
        conditions.append(c.route == route)
    if api_key_id:
        conditions.append(c.api_key_id == api_key_id)
    if api_key_ids is not None:
        conditions.append(c.api_key_id.in_(api_key_ids))
    return conditions


class AnalyticsRepository:
    def __init__(
        self,
        connection: AsyncConnection,
        entity_id: str,
        mode: str,
        segments: list[Segment],
        *,
        route: str | None = None,
        api_key_id: str | None = None,
        api_key_ids: Sequence[str] | None = None,
    ) -> None:
        """``api_key_ids``: several keys at once, for the ``*_by_key`` reads."""
        self.connection = connection
        self.entity_id = entity_id
        self.mode = mode
        self.segments = segments
        self.route = route
        self.api_key_id = api_key_id
        self.api_key_ids = api_key_ids
        self._where = _where(ROLLUPS, entity_id, mode, segments, route, api_key_id, api_key_ids)
        r = ROLLUPS.c
        self._errors = sa.func.sum(sa.case((r.status >= 400, r.count), else_=0))

    def _totals_columns(self) -> list[sa.ColumnElement[Any]]:
        r = ROLLUPS.c
        return [
            sa.func.sum(r.count),
            sa.func.sum(sa.case((sa.and_(r.status >= 200, r.status < 300), r.count), else_=0)),
            sa.func.sum(sa.case((sa.and_(r.status >= 300, r.status < 400), r.count), else_=0)),
            sa.func.sum(sa.case((sa.and_(r.status >= 400, r.status < 500), r.count), else_=0)),
            sa.func.sum(sa.case((r.status >= 500, r.count), else_=0)),
            sa.func.sum(r.latency_sum),
            sa.func.max(r.latency_max),
            sa.func.count(sa.distinct(sa.case((r.api_key_id != "", r.api_key_id)))),
        ]

    async def totals(self) -> TotalsRow:
        query = sa.select(*self._totals_columns()).where(*self._where)
        return _totals_row((await self.connection.execute(query)).one())

    async def totals_by_key(self) -> dict[str, TotalsRow]:
        """``totals`` of each of ``api_key_ids`` that has traffic, in one grouped read."""
        r = ROLLUPS.c
        query = (
            sa.select(r.api_key_id, *self._totals_columns())
            .where(*self._where)
            .group_by(r.api_key_id)
        )
        rows = (await self.connection.execute(query)).all()
        return {str(row[0]): _totals_row(row[1:]) for row in rows}

    async def latency_bins_by_key(self) -> dict[str, list[tuple[int, int]]]:
        """``latency_bins`` of each of ``api_key_ids`` (the per-route-and-key rows)."""
        h = HISTOGRAMS.c
        where = [
            *_where(
                HISTOGRAMS, self.entity_id, self.mode, self.segments, None, None, self.api_key_ids
            ),
            h.route != ALL,
        ]
        query = (
            sa.select(h.api_key_id, h.bin, sa.func.sum(h.count))
            .where(*where)
            .group_by(h.api_key_id, h.bin)
        )
        found: dict[str, list[tuple[int, int]]] = {}
        for key_id, bin_, count in (await self.connection.execute(query)).all():
            found.setdefault(str(key_id), []).append((int(bin_), int(count)))
        return found

    async def latency_bins(self) -> list[tuple[int, int]]:
        """(bin, count) of the latency histogram: the entity-wide rows when nothing narrows the
        report, the per-route-and-key rows otherwise."""
        h = HISTOGRAMS.c
        segments, entity_id, mode = self.segments, self.entity_id, self.mode
        if self.route is None and self.api_key_id is None:
            where = [*_where(HISTOGRAMS, entity_id, mode, segments, ALL, ALL)]
        else:
            where = [
                *_where(HISTOGRAMS, entity_id, mode, segments, self.route, self.api_key_id),
                h.route != ALL,
            ]
        bins = (
            await self.connection.execute(
                sa.select(h.bin, sa.func.sum(h.count)).where(*where).group_by(h.bin)
            )
        ).all()
        return [(int(b), int(c)) for b, c in bins]

    async def series(self, size: int) -> list[tuple[int, int, int, float]]:
        """(bucket, requests, errors, latency sum) per ``size`` ms, oldest first."""
        r = ROLLUPS.c
        bucket = (r.bucket_ms - r.bucket_ms % size).label("b")
        rows = await self.connection.execute(
            sa.select(bucket, sa.func.sum(r.count), self._errors, sa.func.sum(r.latency_sum))
            .where(*self._where)
            .group_by(sa.text("b"))
            .order_by(sa.text("b"))
        )
        return [(int(b), int(n), int(e or 0), float(s or 0)) for b, n, e, s in rows]

    async def top(self, by: str, limit: int = 20) -> list[GroupRow]:
        """The busiest routes (``by="route"``), keys or error codes (``""`` left out)."""
        r = ROLLUPS.c
        column: sa.ColumnElement[str] = r[by]
        extra = [] if by == "route" else [column != ""]
        rows = await self.connection.execute(
            sa.select(column, sa.func.sum(r.count), self._errors, sa.func.sum(r.latency_sum))
            .where(*self._where, *extra)
            .group_by(column)
            .order_by(sa.func.sum(r.count).desc(), column)
            .limit(limit)
        )
        return [(str(k), int(n), int(e or 0), float(s or 0)) for k, n, e, s in rows]


def _totals_row(row: Sequence[Any]) -> TotalsRow:
    return (
        int(row[0] or 0),
        int(row[1] or 0),
        int(row[2] or 0),
        int(row[3] or 0),
        int(row[4] or 0),
        float(row[5] or 0.0),
        float(row[6] or 0.0),
        int(row[7] or 0),
    )
