// Requests and errors per bucket, drawn by uPlot (a small maintained canvas chart library).

import { useEffect, useMemo, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatLatency, formatNumber } from '../shared/format';
import { bucketLabel, buckets, type Analytics, type AnalyticsRange } from './analyticsUtils';

const HEIGHT = 220;
const REQUESTS_COLOR = '#8ea2ee';
const ERRORS_COLOR = '#d64545';
const TIP_TIME = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });

export function SeriesChart({ analytics, range }: { analytics: Analytics; range: AnalyticsRange }) {
  const step = (analytics.granularitySeconds || range.granularityMs / 1000) * 1000;
  const points = useMemo(() => buckets(analytics, step), [analytics, step]);
  const total = points.reduce((sum, pt) => sum + pt.requests, 0);
  const busiest = Math.max(0, ...points.map((pt) => pt.requests));
  const summary = `${formatNumber(total)} requests in ${points.length} buckets of ${bucketLabel(step)}; busiest bucket ${formatNumber(busiest)}.`;
  const plotRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const el = plotRef.current;
    if (!el) return;
    const xs = points.map((pt) => Date.parse(pt.timestamp) / 1000);
    const data: uPlot.AlignedData = [xs, points.map((pt) => pt.requests), points.map((pt) => pt.errors)];
    const half = step / 2000;
    const bars = uPlot.paths.bars?.({ size: [0.72, Infinity], align: 0 });
    const latencyAt = (idx: number | null | undefined) => (idx == null ? null : (points[idx]?.avgLatencyMs ?? null));
    const plot = new uPlot(
      {
        width: Math.max(200, el.clientWidth),
        height: HEIGHT,
        scales: {
          x: { time: true, range: (_u, min, max) => [min - half, max + half] },
          y: { range: (_u, _min, max) => [0, Math.max(4, max)] },
        },
        series: [
          { label: 'Time', value: (_u, v) => (v == null ? '—' : TIP_TIME.format(new Date(v * 1000))) },
          {
            label: 'Requests',
            fill: REQUESTS_COLOR,
            stroke: REQUESTS_COLOR,
            width: 0,
            paths: bars,
            points: { show: false },
            value: (u, v, _s, idx) => {
              const latency = latencyAt(idx ?? u.cursor.idx);
              return v == null ? '—' : `${formatNumber(v)}${latency !== null ? ` (avg ${formatLatency(latency)})` : ''}`;
            },
          },
          {
            label: 'Errors',
            fill: ERRORS_COLOR,
            stroke: ERRORS_COLOR,
            width: 0,
            paths: bars,
            points: { show: false },
            value: (_u, v) => (v == null ? '—' : formatNumber(v)),
          },
        ],
        axes: [
          { grid: { show: false } },
          {
            size: 48,
            values: (_u, splits) => splits.map((v) => (Number.isInteger(v) ? formatNumber(v) : '')),
          },
        ],
        legend: { live: true },
        cursor: { points: { show: false }, drag: { x: false, y: false } },
      },
      data,
      el,
    );
    const observer = new ResizeObserver(() => plot.setSize({ width: Math.max(200, el.clientWidth), height: HEIGHT }));
    observer.observe(el);
    return () => {
      observer.disconnect();
      plot.destroy();
    };
  }, [points, step]);

  return (
    <figure className="chart">
      <div
        ref={plotRef}
        className="chart-plot"
        role="img"
        aria-label={`Requests and errors over time. ${summary}`}
        data-testid="requests-chart"
        data-points={points.length}
        data-total={total}
      />
      <figcaption className="visually-hidden">{summary}</figcaption>
      {total === 0 && <p className="chart-empty muted">No requests in this period.</p>}
    </figure>
  );
}
