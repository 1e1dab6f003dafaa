import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { gqlRequest } from './graphql';
import {
  ENTITY_ANALYTICS_QUERY,
  type Analytics,
  type AnalyticsGroup,
  type AnalyticsPoint,
  type AnalyticsTotals,
  type EntityAnalyticsResult,
  type KeyLabel,
  type Mode,
} from './queries';
import { errorMessage } from './apiKeyUtils';
import {
  ANALYTICS_RANGES,
  formatLatency,
  formatNumber,
  formatPercent,
  isForbidden,
  rangeEndingNow,
  type AnalyticsRange,
} from './logUtils';
import { useKeyLabels, useViewerPermissions } from './entityInfo';
import { Segmented } from './Segmented';

type State =
  | { status: 'loading' }
  | { status: 'forbidden' }
  | { status: 'error'; message: string }
  | { status: 'ready'; analytics: Analytics; refreshing: boolean };

export function AnalyticsTab({ entityId }: { entityId: string }) {
  const [rangeId, setRangeId] = useState<string>('24h');
  const [mode, setMode] = useState<Mode>('LIVE');
  const [state, setState] = useState<State>({ status: 'loading' });
  const seqRef = useRef(0);
  const range = ANALYTICS_RANGES.find((r) => r.id === rangeId) ?? ANALYTICS_RANGES[0];

  const { permissions } = useViewerPermissions(entityId);
  const keys = useKeyLabels(entityId, permissions?.includes('api_keys.manage') ?? false);

  const load = useCallback(() => {
    const seq = ++seqRef.current;
    setState((s) => (s.status === 'ready' ? { ...s, refreshing: true } : { status: 'loading' }));
    gqlRequest<EntityAnalyticsResult>(ENTITY_ANALYTICS_QUERY, {
      id: entityId,
      mode,
      ...rangeEndingNow(range.ms),
      granularity: range.granularity,
    }).then(
      (data) => {
        if (seq !== seqRef.current) return;
        if (!data.entity) {
          setState({ status: 'error', message: 'Entity not found.' });
          return;
        }
        setState({ status: 'ready', analytics: data.entity.analytics, refreshing: false });
      },
      (err) => {
        if (seq !== seqRef.current) return;
        setState(isForbidden(err) ? { status: 'forbidden' } : { status: 'error', message: errorMessage(err) });
      },
    );
  }, [entityId, mode, range]);

  useEffect(() => {
    load();
    return () => {
      seqRef.current++;
    };
  }, [load]);

  if (state.status === 'forbidden') {
    return (
      <div className="notice" data-testid="analytics-forbidden">
        <h2>Analytics</h2>
        <p>You don&apos;t have access to this section</p>
      </div>
    );
  }

  return (
    <div className="analytics">
      <div className="section-head">
        <div>
          <h2>Analytics</h2>
          <p className="muted">API traffic for this entity, compared with the period before.</p>
        </div>
        <div className="head-actions">
          <button
            type="button"
            className="button"
            onClick={() => load()}
            disabled={state.status === 'loading' || (state.status === 'ready' && state.refreshing)}
          >
            Refresh
          </button>
        </div>
      </div>

      <div className="filters" role="group" aria-label="Analytics period">
        <Segmented
          label="Range"
          options={ANALYTICS_RANGES.map((r) => ({ value: r.id, label: r.label }))}
          value={rangeId}
          onChange={setRangeId}
        />
        <Segmented
          label="Mode"
          options={[
            { value: 'LIVE', label: 'Live' },
            { value: 'TEST', label: 'Test' },
          ]}
          value={mode}
          onChange={setMode}
        />
        {state.status === 'ready' && state.refreshing && (
          <span className="muted filter-status" role="status">
            Updating…
          </span>
        )}
      </div>

      {state.status === 'loading' && (
        <p className="muted" role="status">
          Loading analytics…
        </p>
      )}
      {state.status === 'error' && (
        <div>
          <p role="alert" className="alert">
            {state.message}
          </p>
          <button type="button" className="button" onClick={() => load()}>
            Retry
          </button>
        </div>
      )}
      {state.status === 'ready' && <AnalyticsBody analytics={state.analytics} range={range} keys={keys} />}
    </div>
  );
}

// Cards --------------------------------------------------------------------------------------------

type Better = 'up' | 'down' | 'neutral';

interface CardDef {
  id: string;
  label: string;
  value: (t: AnalyticsTotals) => number | null;
  format: (v: number | null) => string;
  /** Which direction of change is good. */
  better: Better;
  /** Rates change in percentage points, not percent. */
  points?: boolean;
}

const CARDS: CardDef[] = [
  { id: 'requests', label: 'Requests', value: (t) => t.requests, format: (v) => (v === null ? '—' : formatNumber(v)), better: 'neutral' },
  {
    id: 'error-rate',
    label: 'Error rate',
    value: (t) => (t.requests > 0 ? t.errorRate : null),
    format: (v) => (v === null ? '—' : formatPercent(v)),
    better: 'down',
    points: true,
  },
  { id: 'active-keys', label: 'Active keys', value: (t) => t.activeKeys, format: (v) => (v === null ? '—' : formatNumber(v)), better: 'neutral' },
  { id: 'avg-latency', label: 'Avg latency', value: (t) => t.avgLatencyMs, format: formatLatency, better: 'down' },
  { id: 'p50-latency', label: 'p50 latency', value: (t) => t.p50LatencyMs, format: formatLatency, better: 'down' },
  { id: 'p95-latency', label: 'p95 latency', value: (t) => t.p95LatencyMs, format: formatLatency, better: 'down' },
  { id: 'p99-latency', label: 'p99 latency', value: (t) => t.p99LatencyMs, format: formatLatency, better: 'down' },
];

function change(card: CardDef, current: number | null, previous: number | null): { text: string; tone: string } {
  if (current === null || previous === null) return { text: 'No previous data', tone: 'flat' };
  if (card.points) {
    const diff = (current - previous) * 100;
    if (Math.abs(diff) < 0.05) return { text: 'No change vs previous', tone: 'flat' };
    const tone = card.better === 'neutral' ? 'flat' : (diff < 0) === (card.better === 'down') ? 'good' : 'bad';
    return { text: `${diff > 0 ? '+' : '−'}${Math.abs(diff).toFixed(1)} pp vs previous`, tone };
  }
  if (previous === 0) {
    return current === 0
      ? { text: 'No change vs previous', tone: 'flat' }
      : { text: 'None in previous period', tone: 'flat' };
  }
  const pct = ((current - previous) / previous) * 100;
  if (Math.abs(pct) < 0.5) return { text: 'No change vs previous', tone: 'flat' };
  const tone = card.better === 'neutral' ? 'flat' : (pct < 0) === (card.better === 'down') ? 'good' : 'bad';
  const shown = Math.abs(pct) >= 100 ? Math.round(Math.abs(pct)).toString() : Math.abs(pct).toFixed(1);
  return { text: `${pct > 0 ? '▲ +' : '▼ −'}${shown}% vs previous`, tone };
}

function AnalyticsBody({
  analytics,
  range,
  keys,
}: {
  analytics: Analytics;
  range: AnalyticsRange;
  keys: ReadonlyMap<string, KeyLabel>;
}) {
  const t = analytics.totals;
  const p = analytics.previousPeriod;
  return (
    <>
      <ul className="stat-cards" aria-label="Totals">
        {CARDS.map((card) => {
          const value = card.value(t);
          const delta = change(card, value, card.value(p));
          return (
            <li key={card.id} className="stat-card" data-card={card.id}>
              <span className="stat-label">{card.label}</span>
              <span className="stat-value" data-testid={`stat-${card.id}`}>
                {card.format(value)}
              </span>
              <span className={`stat-change ${delta.tone}`}>{delta.text}</span>
            </li>
          );
        })}
      </ul>
      <p className="hint status-breakdown">
        {formatNumber(t.ok2xx)} 2xx · {formatNumber(t.redirects3xx)} 3xx · {formatNumber(t.errors4xx)} 4xx ·{' '}
        {formatNumber(t.errors5xx)} 5xx
      </p>

      <section className="chart-section" aria-labelledby="chart-title">
        <div className="chart-head">
          <h3 id="chart-title">Requests over time</h3>
          <span className="chart-legend" aria-hidden="true">
            <span className="legend-swatch ok" /> Requests <span className="legend-swatch err" /> Errors
          </span>
        </div>
        <SeriesChart analytics={analytics} range={range} />
      </section>

      <div className="breakdowns">
        <GroupTable
          wide
          title="Top endpoints"
          keyHeader="Endpoint"
          groups={analytics.topEndpoints}
          renderKey={(g) => <span className="mono break">{g.key}</span>}
          showLatency
        />
        <GroupTable
          title="Usage by key"
          keyHeader="Key"
          groups={analytics.usageByKey}
          renderKey={(g) => {
            const key = keys.get(g.key);
            return key ? (
              <span title={g.key}>
                {key.name} <span className="mono muted small-text nowrap">{`${key.start}…${key.last4}`}</span>
              </span>
            ) : (
              <span className="mono">{g.key}</span>
            );
          }}
          showLatency
        />
        <GroupTable
          title="Top error codes"
          keyHeader="Error code"
          groups={analytics.topErrorCodes}
          renderKey={(g) => <span className="mono">{g.key}</span>}
          countOnly
        />
      </div>
    </>
  );
}

// Chart --------------------------------------------------------------------------------------------

const TICK_DATE = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });
const TICK_TIME = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const TIP_TIME = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });

/** The series with empty buckets filled in, from the start of the range to its end. */
function buckets(analytics: Analytics, stepMs: number): AnalyticsPoint[] {
  const from = Date.parse(analytics.from);
  const to = Date.parse(analytics.to);
  if (Number.isNaN(from) || Number.isNaN(to) || stepMs <= 0) return analytics.series;
  const byTime = new Map<number, AnalyticsPoint>();
  for (const point of analytics.series) byTime.set(Date.parse(point.timestamp), point);
  const start = Math.floor(from / stepMs) * stepMs;
  const out: AnalyticsPoint[] = [];
  for (let ts = start; ts < to && out.length < 1000; ts += stepMs) {
    out.push(byTime.get(ts) ?? { timestamp: new Date(ts).toISOString(), requests: 0, errors: 0, avgLatencyMs: null });
  }
  // Points the grid missed (e.g. a different bucket alignment) are kept as they are.
  const grid = new Set(out.map((pt) => Date.parse(pt.timestamp)));
  for (const point of analytics.series) if (!grid.has(Date.parse(point.timestamp))) out.push(point);
  return out.sort((a, b) => Date.parse(a.timestamp) - Date.parse(b.timestamp));
}

function bucketLabel(stepMs: number): string {
  const [n, unit] =
    stepMs >= 86_400_000 ? [stepMs / 86_400_000, 'day'] : stepMs >= 3_600_000 ? [stepMs / 3_600_000, 'hour'] : [stepMs / 60_000, 'minute'];
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

function niceMax(n: number): number {
  if (n <= 4) return 4;
  const magnitude = 10 ** Math.floor(Math.log10(n));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * magnitude >= n) return m * magnitude;
  return 10 * magnitude;
}

function SeriesChart({ analytics, range }: { analytics: Analytics; range: AnalyticsRange }) {
  const step = (analytics.granularitySeconds || range.granularityMs / 1000) * 1000;
  const points = buckets(analytics, step);
  const total = points.reduce((sum, pt) => sum + pt.requests, 0);
  const width = 720;
  const height = 220;
  const pad = { left: 44, right: 12, top: 10, bottom: 26 };
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const max = niceMax(Math.max(0, ...points.map((pt) => pt.requests)));
  const slot = points.length > 0 ? plotW / points.length : plotW;
  const barW = Math.max(1, slot * 0.72);
  const y = (v: number) => pad.top + plotH - (v / max) * plotH;
  const showDate = step >= 86_400_000 || range.ms > 86_400_000;
  const tickEvery = Math.max(1, Math.ceil(points.length / 8));
  const summary = `${formatNumber(total)} requests in ${points.length} buckets of ${bucketLabel(step)}; busiest bucket ${formatNumber(
    Math.max(0, ...points.map((pt) => pt.requests)),
  )}.`;

  return (
    <figure className="chart">
      <svg
        viewBox={`0 0 ${width} ${height}`}
        role="img"
        aria-label={`Requests and errors over time. ${summary}`}
        className="chart-svg"
      >
        {[0, 0.5, 1].map((f) => (
          <g key={f}>
            <line x1={pad.left} x2={width - pad.right} y1={y(max * f)} y2={y(max * f)} className="grid-line" />
            <text x={pad.left - 6} y={y(max * f) + 4} textAnchor="end" className="axis-label">
              {formatNumber(Math.round(max * f))}
            </text>
          </g>
        ))}
        {points.map((pt, i) => {
          const x = pad.left + i * slot + (slot - barW) / 2;
          const ts = new Date(pt.timestamp);
          return (
            <g key={pt.timestamp}>
              <title>
                {`${TIP_TIME.format(ts)}: ${formatNumber(pt.requests)} requests, ${formatNumber(pt.errors)} errors${
                  pt.avgLatencyMs !== null ? `, avg ${formatLatency(pt.avgLatencyMs)}` : ''
                }`}
              </title>
              {/* A full-height hit area so small bars still show their tooltip. */}
              <rect x={pad.left + i * slot} y={pad.top} width={slot} height={plotH} className="bar-hit" />
              {pt.requests > 0 && (
                <rect x={x} y={y(pt.requests)} width={barW} height={y(0) - y(pt.requests)} className="bar-ok" />
              )}
              {pt.errors > 0 && <rect x={x} y={y(pt.errors)} width={barW} height={y(0) - y(pt.errors)} className="bar-err" />}
              {i % tickEvery === 0 && (
                <text
                  x={Math.min(pad.left + i * slot + slot / 2, width - pad.right)}
                  y={height - 8}
                  textAnchor={pad.left + i * slot + slot / 2 > width - pad.right - 28 ? 'end' : 'middle'}
                  className="axis-label"
                >
                  {showDate ? TICK_DATE.format(ts) : TICK_TIME.format(ts)}
                </text>
              )}
            </g>
          );
        })}
        <line x1={pad.left} x2={width - pad.right} y1={y(0)} y2={y(0)} className="axis-line" />
      </svg>
      <figcaption className="visually-hidden">{summary}</figcaption>
      {total === 0 && <p className="chart-empty muted">No requests in this period.</p>}
    </figure>
  );
}

// Tables -------------------------------------------------------------------------------------------

function GroupTable({
  title,
  keyHeader,
  groups,
  renderKey,
  showLatency,
  countOnly,
  wide,
}: {
  title: string;
  keyHeader: string;
  groups: AnalyticsGroup[];
  renderKey: (g: AnalyticsGroup) => ReactNode;
  showLatency?: boolean;
  countOnly?: boolean;
  wide?: boolean;
}) {
  return (
    <section className={wide ? 'breakdown wide' : 'breakdown'} aria-label={title}>
      <h3>{title}</h3>
      {groups.length === 0 ? (
        <p className="muted small-text">Nothing in this period.</p>
      ) : (
        <div className="table-scroll">
          <table className="table compact-table" aria-label={title}>
            <thead>
              <tr>
                <th scope="col">{keyHeader}</th>
                <th scope="col" className="num">
                  {countOnly ? 'Count' : 'Requests'}
                </th>
                {!countOnly && (
                  <th scope="col" className="num">
                    Error rate
                  </th>
                )}
                {showLatency && (
                  <th scope="col" className="num">
                    Avg latency
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {groups.map((g) => (
                <tr key={g.key}>
                  <td>{renderKey(g)}</td>
                  <td className="num">{formatNumber(g.requests)}</td>
                  {!countOnly && <td className="num">{formatPercent(g.errorRate)}</td>}
                  {showLatency && <td className="num">{formatLatency(g.avgLatencyMs)}</td>}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
