"""The analytics reads, from rollups and histograms only: each read takes the plan's segments
(tier, start, end) and the optional route and key, and returns plain figures that
app/request_log/analytics.py turns into a report."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
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
    *,
    in_spans: Sequence[sa.ColumnElement[bool]] = (),
) -> list[sa.ColumnElement[bool]]:
    c = table.c
    # entity and mode (and ``in_spans``) repeated inside every span so each OR term can use
    # an index on its own
    spans = [
        sa.and_(
            c.entity_id == entity_id,
            c.mode == mode,
            *in_spans,
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

    def _bins(self, *padding: sa.ColumnElement[Any]) -> sa.Select[Any]:
        """("h", NULL, bin, count, *padding) of the latency histogram: the entity-wide rows when
        nothing narrows the report, the per-route-and-key rows otherwise."""
        h = HISTOGRAMS.c
        segments, entity_id, mode = self.segments, self.entity_id, self.mode
        if self.route is None and self.api_key_id is None:
            # literal, so both databases see that the partial index of these rows applies
            everything: sa.ColumnElement[str] = sa.literal_column(f"'{ALL}'")
            entity_wide = [h.route == everything, h.api_key_id == everything]
            where = _where(HISTOGRAMS, entity_id, mode, segments, None, None, in_spans=entity_wide)
        else:
            where = [
                *_where(HISTOGRAMS, entity_id, mode, segments, self.route, self.api_key_id),
                h.route != ALL,
            ]
        kind = sa.literal("h", sa.String())
        no_text = sa.cast(sa.null(), sa.String())
        return (
            sa.select(kind, no_text, h.bin, sa.func.sum(h.count), *padding)
            .where(*where)
            .group_by(h.bin)
        )

    async def figures(self, size: int | None, limit: int = 20) -> Figures:
        """Every figure of a report in one statement: the totals and the latency histogram
        and, given a series bucket ``size`` (ms), the series and the busiest routes, keys and
        error codes (``limit`` each).

        The range's rollup rows are read once, grouped by series bucket, route, key and error
        code (the CTE ``g``); each figure group is aggregated from ``g``, and the histogram is
        one more branch of the ``UNION ALL``. The first column says which figure a row is.
        Rows: (kind, key, bucket / bin / rank, requests, 2xx, 3xx, 4xx, 5xx, latency sum,
        latency max, active keys)."""
        r = ROLLUPS.c
        text = sa.String()
        no_text, no_int = sa.cast(sa.null(), text), sa.cast(sa.null(), sa.BigInteger())
        branches: list[Any] = []  # selects of one shape
        if size is None:
            totals = sa.select(sa.literal("t", text), no_text, no_int, *self._totals_columns())
            branches.append(totals.where(*self._where))
        else:
            bucket = r.bucket_ms - r.bucket_ms % sa.literal_column(str(int(size)))
            g = (
                sa.select(
                    bucket.label("b"),
                    r.route,
                    r.api_key_id,
                    r.error_code,
                    *(c.label(f"c{i}") for i, c in enumerate(self._totals_columns()[:7])),
                )
                .where(*self._where)
                .group_by(sa.text("b"), r.route, r.api_key_id, r.error_code)
                .cte("g")
            )
            sums = [sa.func.sum(g.c[f"c{i}"]) for i in range(6)] + [sa.func.max(g.c.c6)]
            keys = sa.func.count(sa.distinct(sa.case((g.c.api_key_id != "", g.c.api_key_id))))
            whole = sa.select(sa.literal("t", text), no_text, no_int, *sums, keys)
            branches.append(whole)
            series = sa.select(sa.literal("s", text), no_text, g.c.b, *sums, no_int)
            branches.append(series.group_by(g.c.b))
            for kind, column in (("r", g.c.route), ("k", g.c.api_key_id), ("c", g.c.error_code)):
                order = (sa.func.sum(g.c.c0).desc(), column)
                top = (
                    sa.select(
                        column.label("key"),
                        sa.func.row_number().over(order_by=order).label("rank"),
                        *(s.label(f"s{i}") for i, s in enumerate(sums)),
                    )
                    .where(*([] if kind == "r" else [column != ""]))
                    .group_by(column)
                    .order_by(*order)
                    .limit(limit)
                    .subquery()
                )
                figures = [top.c[f"s{i}"] for i in range(len(sums))]
                kind_column = sa.literal(kind, text)
                branches.append(sa.select(kind_column, top.c.key, top.c.rank, *figures, no_int))
        padding = [sa.cast(sa.null(), sa.Float()) for _ in range(7)]
        branches.append(self._bins(*padding))
        rows = (await self.connection.execute(sa.union_all(*branches))).all()
        return _figures(rows)


TOPS = {"r": "route", "k": "api_key_id", "c": "error_code"}


@dataclass
class Figures:
    totals: TotalsRow
    bins: list[tuple[int, int]] = field(default_factory=list)  # (bin, count)
    series: list[tuple[int, int, int, float]] = field(default_factory=list)  # oldest first
    tops: dict[str, list[GroupRow]] = field(default_factory=dict)  # by "route", ... busiest first


def _figures(rows: Sequence[Sequence[Any]]) -> Figures:
    """The rows of :meth:`AnalyticsRepository.figures`, sorted back into their figures."""
    found = Figures(_totals_row([None] * 8))
    ranked: dict[str, list[tuple[int, GroupRow]]] = {by: [] for by in TOPS.values()}
    for row in rows:
        kind, key, number, n = row[0], row[1], row[2], row[3]
        if kind == "t":
            found.totals = _totals_row(row[3:])
        elif kind == "h":
            found.bins.append((int(number), int(n)))
        else:
            errors, latency_sum = int(row[6] + row[7]), float(row[8])
            if kind == "s":
                found.series.append((int(number), int(n), errors, latency_sum))
            else:
                ranked[TOPS[kind]].append((int(number), (str(key), int(n), errors, latency_sum)))
    found.series.sort()
    found.tops = {by: [g for _, g in sorted(groups)] for by, groups in ranked.items()}
    return found


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
