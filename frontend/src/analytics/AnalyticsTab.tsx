import { useCallback, useEffect, useId, useMemo, useRef, useState, type ReactNode } from 'react';
import { Link, useNavigate } from 'react-router';
import { gqlRequest } from '../shared/api/client';
import { EntityAnalyticsDocument, type AnalyticsGroupFieldsFragment } from '../gql/graphql';
import { formatLatency, formatNumber, formatPercent } from '../shared/format';
import { rangeEndingNow } from '../shared/timeRange';
import { useKeyLabels, useViewerPermissions, type KeyLabel } from '../shared/entityInfo';
import { Segmented } from '../shared/ui/Segmented';
import { StatusBlock, failureState } from '../shared/ui/StatusBlock';
import { useSearchState } from '../shared/url/useSearchState';
import { tabPath } from '../shell/paths';
import type { LogFilters } from '../logs/filters';
import { routeTemplates, useApiRoutes } from '../logs/apiRoutes';
import {
  ANALYTICS_FILTERS,
  ANALYTICS_RANGES,
  analyticsRange,
  analyticsScope,
  change,
  drillDownSearch,
  type Analytics,
  type AnalyticsFilters,
  type AnalyticsRange,
  type AnalyticsTotals,
  type Better,
} from './analyticsUtils';
import { SeriesChart } from './SeriesChart';
import './analytics.css';
import { usePageMode } from '../shell/pageMode';

type AnalyticsGroup = AnalyticsGroupFieldsFragment;

type State =
  | { status: 'loading' }
  | { status: 'forbidden' }
  | { status: 'error'; message: string }
  /** `loaded`: what the shown figures are for (mode, range, endpoint, key), e.g. for tests to wait on. */
  | { status: 'ready'; analytics: Analytics; refreshing: boolean; loaded: string };

export function AnalyticsTab({ entityId }: { entityId: string }) {
  const uid = useId();
  const navigate = useNavigate();
  const [filters, setFilters] = useSearchState(ANALYTICS_FILTERS);
  const { range: rangeId } = filters;
  const { gqlMode: mode } = usePageMode();
  const scope = analyticsScope(filters);
  const [state, setState] = useState<State>({ status: 'loading' });
  const seqRef = useRef(0);
  const range = analyticsRange(rangeId);

  const { permissions } = useViewerPermissions(entityId);
  const keys = useKeyLabels(entityId, permissions?.includes('api_keys.manage') ?? false);
  const modeKeys = useMemo(() => [...keys.values()].filter((k) => k.mode === mode), [keys, mode]);
  const routes = routeTemplates(useApiRoutes());

  /** The Logs tab's URL for a slice of this view. */
  const logsHref = useCallback(
    (extra: Partial<LogFilters> = {}, bucket: { timestamp: string; stepMs: number } | null = null) =>
      `${tabPath(entityId, 'logs')}${drillDownSearch(filters, mode, extra, bucket)}`,
    [entityId, filters, mode],
  );

  const load = useCallback(() => {
    const seq = ++seqRef.current;
    setState((s) => (s.status === 'ready' ? { ...s, refreshing: true } : { status: 'loading' }));
    gqlRequest(EntityAnalyticsDocument, {
      id: entityId,
      mode,
      ...rangeEndingNow(range.ms),
      granularity: range.granularity,
      route: scope.route,
      apiKeyId: scope.apiKeyId,
    }).then(
      (data) => {
        if (seq !== seqRef.current) return;
        if (!data.entity) {
          setState({ status: 'error', message: 'Entity not found.' });
          return;
        }
        setState({
          status: 'ready',
          analytics: data.entity.analytics,
          refreshing: false,
          loaded: [mode, range.id, scope.route ?? '', scope.apiKeyId ?? ''].join('|'),
        });
      },
      (err) => {
        if (seq !== seqRef.current) return;
        setState(failureState(err));
      },
    );
  }, [entityId, mode, range, scope.route, scope.apiKeyId]);

  useEffect(() => {
    load();
    return () => {
      seqRef.current++;
    };
  }, [load]);

  const blocked = (
    <StatusBlock
      state={state.status === 'ready' ? { status: 'loading' } : state}
      title="Analytics"
      loadingText="Loading analytics…"
      forbiddenTestId="analytics-forbidden"
      onRetry={() => load()}
    />
  );
  if (state.status === 'forbidden') return blocked;

  return (
    <div className="analytics" data-loaded={state.status === 'ready' && !state.refreshing ? state.loaded : undefined}>
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
          onChange={(range) => setFilters({ range })}
        />
        <div className="filter filter-wide">
          <label htmlFor={`${uid}-route`}>Endpoint</label>
          <select id={`${uid}-route`} value={filters.route} onChange={(e) => setFilters({ route: e.target.value })}>
            <option value="">All endpoints</option>
            {filters.route && !routes.includes(filters.route) && <option value={filters.route}>{filters.route}</option>}
            {routes.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </div>
        <div className="filter filter-wide">
          <label htmlFor={`${uid}-key`}>API key</label>
          <select
            id={`${uid}-key`}
            value={filters.apiKeyId}
            disabled={modeKeys.length === 0 && !filters.apiKeyId}
            onChange={(e) => setFilters({ apiKeyId: e.target.value })}
          >
            <option value="">All keys</option>
            {filters.apiKeyId && !modeKeys.some((k) => k.id === filters.apiKeyId) && (
              <option value={filters.apiKeyId}>{filters.apiKeyId}</option>
            )}
            {modeKeys.map((k) => (
              <option key={k.id} value={k.id}>
                {`${k.name} (${k.start}…${k.last4})`}
              </option>
            ))}
          </select>
        </div>
        {(scope.route || scope.apiKeyId) && (
          <button type="button" className="button small" onClick={() => setFilters({ route: '', apiKeyId: '' })}>
            All traffic
          </button>
        )}
        {state.status === 'ready' && state.refreshing && (
          <span className="muted filter-status" role="status">
            Updating…
          </span>
        )}
      </div>

      {state.status !== 'ready' && blocked}
      {state.status === 'ready' && (
        <AnalyticsBody
          analytics={state.analytics}
          range={range}
          keys={keys}
          filters={filters}
          logsHref={logsHref}
          onOpenBucket={(timestamp, stepMs) => navigate(logsHref({}, { timestamp, stepMs }))}
          onTrend={(patch) => setFilters(patch)}
        />
      )}
    </div>
  );
}

// Cards --------------------------------------------------------------------------------------------

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

const count = (v: number | null) => (v === null ? '—' : formatNumber(v));

const CARDS: CardDef[] = [
  { id: 'requests', label: 'Requests', value: (t) => t.requests, format: count, better: 'neutral' },
  {
    id: 'error-rate',
    label: 'Error rate',
    value: (t) => (t.requests > 0 ? t.errorRate : null),
    format: (v) => (v === null ? '—' : formatPercent(v)),
    better: 'down',
    points: true,
  },
  { id: 'active-keys', label: 'Active keys', value: (t) => t.activeKeys, format: count, better: 'neutral' },
  { id: 'avg-latency', label: 'Avg latency', value: (t) => t.avgLatencyMs, format: formatLatency, better: 'down' },
  { id: 'p50-latency', label: 'p50 latency', value: (t) => t.p50LatencyMs, format: formatLatency, better: 'down' },
  { id: 'p95-latency', label: 'p95 latency', value: (t) => t.p95LatencyMs, format: formatLatency, better: 'down' },
  { id: 'p99-latency', label: 'p99 latency', value: (t) => t.p99LatencyMs, format: formatLatency, better: 'down' },
];

function AnalyticsBody({
  analytics,
  range,
  keys,
  filters,
  logsHref,
  onOpenBucket,
  onTrend,
}: {
  analytics: Analytics;
  range: AnalyticsRange;
  keys: ReadonlyMap<string, KeyLabel>;
  filters: AnalyticsFilters;
  logsHref: (extra?: Partial<LogFilters>, bucket?: { timestamp: string; stepMs: number } | null) => string;
  onOpenBucket: (timestamp: string, stepMs: number) => void;
  onTrend: (patch: Partial<AnalyticsFilters>) => void;
}) {
  const t = analytics.totals;
  const keyName = (id: string) => {
    const key = keys.get(id);
    return key ? `${key.name} (${key.start}…${key.last4})` : id;
  };
  const scopeText = [filters.route ? filters.route : null, filters.apiKeyId ? `key ${keyName(filters.apiKeyId)}` : null]
    .filter(Boolean)
    .join(' · ');
  const p = analytics.previousPeriod;
  return (
    <>
      <ul className="stat-cards" aria-label="Totals">
        {CARDS.map((card) => {
          const value = card.value(t);
          const delta = change(card.better, value, card.value(p), card.points);
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
        {(
          [
            ['2', t.ok2xx],
            ['3', t.redirects3xx],
            ['4', t.errors4xx],
            ['5', t.errors5xx],
          ] as const
        ).map(([cls, n], i) => (
          <span key={cls}>
            {i > 0 && ' · '}
            {n > 0 ? (
              <Link to={logsHref({ statusClass: cls })} aria-label={`Logs of the ${formatNumber(n)} ${cls}xx responses`}>
                {formatNumber(n)} {cls}xx
              </Link>
            ) : (
              `${formatNumber(n)} ${cls}xx`
            )}
          </span>
        ))}
      </p>

      <section className="chart-section" aria-labelledby="chart-title">
        <div className="chart-head">
          <h3 id="chart-title">Requests over time{scopeText ? `: ${scopeText}` : ''}</h3>
          <p className="hint">Point at a bar for its figures; click it to see those requests in Logs.</p>
        </div>
        <SeriesChart
          analytics={analytics}
          range={range}
          bucketHref={(timestamp, stepMs) => logsHref({}, { timestamp, stepMs })}
          onOpenBucket={onOpenBucket}
        />
      </section>

      <div className="breakdowns">
        <GroupTable
          wide
          title="Top endpoints"
          keyHeader="Endpoint"
          groups={analytics.topEndpoints}
          renderKey={(g) => <span className="mono break">{g.key}</span>}
          href={(g) => logsHref({ route: g.key })}
          linkLabel={(g) => `Logs of ${g.key}`}
          trend={{
            active: (g) => filters.route === g.key,
            label: (g) => `Trend of ${g.key}`,
            onSelect: (g) => onTrend({ route: filters.route === g.key ? '' : g.key }),
          }}
          showLatency
        />
        <GroupTable
          title="Usage by key"
          keyHeader="Key"
          groups={analytics.usageByKey}
          href={(g) => logsHref({ apiKeyId: g.key })}
          linkLabel={(g) => `Logs of key ${keyName(g.key)}`}
          trend={{
            active: (g) => filters.apiKeyId === g.key,
            label: (g) => `Trend of key ${keyName(g.key)}`,
            onSelect: (g) => onTrend({ apiKeyId: filters.apiKeyId === g.key ? '' : g.key }),
          }}
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
          href={(g) => logsHref({ errorCode: g.key })}
          linkLabel={(g) => `Logs with error ${g.key}`}
          countOnly
        />
      </div>
    </>
  );
}

// Tables -------------------------------------------------------------------------------------------

function GroupTable({
  title,
  keyHeader,
  groups,
  renderKey,
  href,
  linkLabel,
  trend,
  showLatency,
  countOnly,
  wide,
}: {
  title: string;
  keyHeader: string;
  groups: AnalyticsGroup[];
  renderKey: (g: AnalyticsGroup) => ReactNode;
  /** The Logs tab filtered to this row. */
  href: (g: AnalyticsGroup) => string;
  linkLabel: (g: AnalyticsGroup) => string;
  /** Narrow the tab (chart and totals) to this row. */
  trend?: { active: (g: AnalyticsGroup) => boolean; label: (g: AnalyticsGroup) => string; onSelect: (g: AnalyticsGroup) => void };
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
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {groups.map((g) => {
                const active = trend?.active(g) ?? false;
                return (
                  <tr key={g.key} data-group={g.key} className={active ? 'scoped' : undefined}>
                    <td>
                      <Link to={href(g)} aria-label={linkLabel(g)} title="See these requests in Logs">
                        {renderKey(g)}
                      </Link>
                    </td>
                    <td className="num">{formatNumber(g.requests)}</td>
                    {!countOnly && <td className="num">{formatPercent(g.errorRate)}</td>}
                    {showLatency && <td className="num">{formatLatency(g.avgLatencyMs)}</td>}
                    <td className="row-actions">
                      {trend && (
                        <button
                          type="button"
                          className="link-button small-text"
                          aria-label={trend.label(g)}
                          aria-pressed={active}
                          onClick={() => trend.onSelect(g)}
                        >
                          {active ? 'All traffic' : 'Trend'}
                        </button>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
