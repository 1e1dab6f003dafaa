// Requests and errors per bucket, drawn by uPlot (a small maintained canvas chart library, bundled),
// with a tooltip under the cursor; clicking a bucket (or its row in the data table) opens the Logs
// tab for that bucket.

import { useEffect, useMemo, useRef } from 'react';
import { Link } from 'react-router';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatLatency, formatNumber } from '../shared/format';
import { bucketLabel, buckets, type Analytics, type AnalyticsRange } from './analyticsUtils';

const HEIGHT = 220;
const REQUESTS_COLOR = '#8ea2ee';
const ERRORS_COLOR = '#d64545';
const TIP_TIME = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
const TIP_HOUR = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });

/** "May 1, 06:00 – 12:00" for a bucket. */
export function bucketSpan(timestamp: string, stepMs: number): string {
  const start = Date.parse(timestamp);
  if (Number.isNaN(start)) return timestamp;
  const end = start + stepMs;
  const sameDay = new Date(start).toDateString() === new Date(end - 1).toDateString();
  return `${TIP_TIME.format(start)} – ${sameDay ? TIP_HOUR.format(end) : TIP_TIME.format(end)}`;
}

/** A tooltip following the cursor, and a click on the plot opening the bucket under it. */
function tooltipPlugin(lines: (idx: number) => string[] | null, onClick: (idx: number) => void): uPlot.Plugin {
  let tip: HTMLDivElement | null = null;
  return {
    hooks: {
      init: (u) => {
        tip = document.createElement('div');
        tip.className = 'chart-tooltip';
        tip.setAttribute('role', 'tooltip');
        tip.dataset.testid = 'chart-tooltip';
        tip.style.display = 'none';
        u.over.appendChild(tip);
        u.over.style.cursor = 'pointer';
        u.over.addEventListener('click', () => {
          const idx = u.cursor.idx;
          if (idx != null) onClick(idx);
        });
        u.over.addEventListener('mouseleave', () => {
          if (tip) tip.style.display = 'none';
        });
      },
      setCursor: (u) => {
        if (!tip) return;
        const idx = u.cursor.idx;
        const left = u.cursor.left ?? -1;
        const content = idx == null || left < 0 ? null : lines(idx);
        if (!content) {
          tip.style.display = 'none';
          return;
        }
        tip.replaceChildren(
          ...content.map((line, i) => {
            const el = document.createElement(i === 0 ? 'strong' : 'div');
            el.textContent = line;
            return el;
          }),
        );
        tip.style.display = 'block';
        const width = u.over.clientWidth;
        const flip = left > width - 190;
        tip.style.left = flip ? '' : `${left + 12}px`;
        tip.style.right = flip ? `${width - left + 12}px` : '';
        tip.style.top = `${Math.max(0, (u.cursor.top ?? 0) - 10)}px`;
      },
    },
  };
}

interface Props {
  analytics: Analytics;
  range: AnalyticsRange;
  /** The Logs tab's URL for the requests of a bucket. */
  bucketHref: (timestamp: string, stepMs: number) => string;
  onOpenBucket: (timestamp: string, stepMs: number) => void;
}

export function SeriesChart({ analytics, range, bucketHref, onOpenBucket }: Props) {
  const step = (analytics.granularitySeconds || range.granularityMs / 1000) * 1000;
  const points = useMemo(() => buckets(analytics, step), [analytics, step]);
  const total = points.reduce((sum, pt) => sum + pt.requests, 0);
  const busiest = Math.max(0, ...points.map((pt) => pt.requests));
  const summary = `${formatNumber(total)} requests in ${points.length} buckets of ${bucketLabel(step)}; busiest bucket ${formatNumber(busiest)}.`;
  const plotRef = useRef<HTMLDivElement>(null);
  const openRef = useRef(onOpenBucket);
  useEffect(() => {
    openRef.current = onOpenBucket;
  });

  useEffect(() => {
    const el = plotRef.current;
    if (!el) return;
    const xs = points.map((pt) => Date.parse(pt.timestamp) / 1000);
    const data: uPlot.AlignedData = [xs, points.map((pt) => pt.requests), points.map((pt) => pt.errors)];
    const half = step / 2000;
    const bars = uPlot.paths.bars?.({ size: [0.72, Infinity], align: 0 });
    const latencyAt = (idx: number | null | undefined) => (idx == null ? null : (points[idx]?.avgLatencyMs ?? null));
    const tooltip = tooltipPlugin(
      (idx) => {
        const pt = points[idx];
        if (!pt) return null;
        return [
          bucketSpan(pt.timestamp, step),
          `Requests: ${formatNumber(pt.requests)}`,
          `Errors: ${formatNumber(pt.errors)}`,
          `Avg latency: ${formatLatency(pt.avgLatencyMs)}`,
          pt.requests > 0 ? 'Click to see these requests in Logs' : 'No requests',
        ];
      },
      (idx) => {
        const pt = points[idx];
        if (pt && pt.requests > 0) openRef.current(pt.timestamp, step);
      },
    );
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
        plugins: [tooltip],
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
      {total > 0 && (
        <details className="chart-data">
          <summary>Data table</summary>
          <table className="table compact-table" aria-label="Requests per bucket">
            <thead>
              <tr>
                <th scope="col">Period</th>
                <th scope="col" className="num">
                  Requests
                </th>
                <th scope="col" className="num">
                  Errors
                </th>
                <th scope="col" className="num">
                  Avg latency
                </th>
              </tr>
            </thead>
            <tbody>
              {points
                .filter((pt) => pt.requests > 0)
                .map((pt) => (
                  <tr key={pt.timestamp} data-bucket={pt.timestamp}>
                    <td>
                      <Link to={bucketHref(pt.timestamp, step)} title="See these requests in Logs">
                        {bucketSpan(pt.timestamp, step)}
                      </Link>
                    </td>
                    <td className="num">{formatNumber(pt.requests)}</td>
                    <td className="num">{formatNumber(pt.errors)}</td>
                    <td className="num">{formatLatency(pt.avgLatencyMs)}</td>
                  </tr>
                ))}
            </tbody>
          </table>
        </details>
      )}
    </figure>
  );
}
