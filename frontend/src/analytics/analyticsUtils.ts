// Pure helpers of the Analytics tab: ranges, the filled-in series and the change vs the previous period.

import type {
  AnalyticsTotalsFieldsFragment,
  EntityAnalyticsQuery,
  Granularity,
} from '../gql/graphql';
import { DAY_MS, HOUR_MS, type RangePreset } from '../shared/timeRange';
import { oneOf, text, type Values } from '../shared/url/searchState';
import { CUSTOM_RANGE, logsSearch, type LogFilters } from '../logs/filters';
import type { Mode } from '../gql/graphql';

export type Analytics = NonNullable<EntityAnalyticsQuery['entity']>['analytics'];
export type AnalyticsPoint = Analytics['series'][number];
export type AnalyticsTotals = AnalyticsTotalsFieldsFragment;

export interface AnalyticsRange extends RangePreset {
  granularity: Granularity;
  granularityMs: number;
}

export const ANALYTICS_RANGES = [
  { id: '24h', label: '24 h', ms: DAY_MS, granularity: 'HOUR', granularityMs: HOUR_MS },
  { id: '7d', label: '7 d', ms: 7 * DAY_MS, granularity: 'SIX_HOURS', granularityMs: 6 * HOUR_MS },
  { id: '30d', label: '30 d', ms: 30 * DAY_MS, granularity: 'DAY', granularityMs: DAY_MS },
] as const satisfies readonly AnalyticsRange[];

/**
 * The Analytics tab's URL: ?mode=test|live (the page's, see shell/pageMode.ts)&range=24h|7d|30d
 * &route=<route template>&key=<api key id> (one endpoint's or one key's trend).
 */
export const ANALYTICS_FILTERS = {
  range: oneOf(
    'range',
    ANALYTICS_RANGES.map((r) => r.id),
    '24h',
  ),
  route: text('route', 300),
  apiKeyId: text('key'),
};

export type AnalyticsFilters = Values<typeof ANALYTICS_FILTERS>;

export function analyticsRange(id: string): AnalyticsRange {
  return ANALYTICS_RANGES.find((r) => r.id === id) ?? ANALYTICS_RANGES[0];
}

/** The series with empty buckets filled in, from the start of the range to its end. */
export function buckets(analytics: Pick<Analytics, 'from' | 'to' | 'series'>, stepMs: number): AnalyticsPoint[] {
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

export function bucketLabel(stepMs: number): string {
  const [n, unit] =
    stepMs >= 86_400_000
      ? [stepMs / 86_400_000, 'day']
      : stepMs >= 3_600_000
        ? [stepMs / 3_600_000, 'hour']
        : [stepMs / 60_000, 'minute'];
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

/** Which direction of change is good. */
export type Better = 'up' | 'down' | 'neutral';

/**
 * The change from the previous period, as shown under a card: a relative change in percent, or in
 * percentage points for rates (`points`); `tone` says whether it is good, bad or neither.
 */
export function change(
  better: Better,
  current: number | null,
  previous: number | null,
  points = false,
): { text: string; tone: 'good' | 'bad' | 'flat' } {
  if (current === null || previous === null) return { text: 'No previous data', tone: 'flat' };
  const toneOf = (delta: number) =>
    better === 'neutral' ? 'flat' : (delta < 0) === (better === 'down') ? 'good' : 'bad';
  if (points) {
    const diff = (current - previous) * 100;
    if (Math.abs(diff) < 0.05) return { text: 'No change vs previous', tone: 'flat' };
    return { text: `${diff > 0 ? '+' : '−'}${Math.abs(diff).toFixed(1)} pp vs previous`, tone: toneOf(diff) };
  }
  if (previous === 0) {
    return current === 0
      ? { text: 'No change vs previous', tone: 'flat' }
      : { text: 'None in previous period', tone: 'flat' };
  }
  const pct = ((current - previous) / previous) * 100;
  if (Math.abs(pct) < 0.5) return { text: 'No change vs previous', tone: 'flat' };
  const shown = Math.abs(pct) >= 100 ? Math.round(Math.abs(pct)).toString() : Math.abs(pct).toFixed(1);
  return { text: `${pct > 0 ? '▲ +' : '▼ −'}${shown}% vs previous`, tone: toneOf(pct) };
}

/** The `EntityAnalytics` narrowing for these filters (null: every endpoint / key). */
export function analyticsScope(f: Pick<AnalyticsFilters, 'route' | 'apiKeyId'>): { route: string | null; apiKeyId: string | null } {
  const route = f.route.trim();
  const apiKeyId = f.apiKeyId.trim();
  return { route: route || null, apiKeyId: apiKeyId || null };
}

/**
 * The Logs tab's search for a slice of the analytics: the mode, the tab's endpoint and key, the range
 * (a preset, or one bucket `[start, start + step)` as a custom range) and anything `extra`.
 */
export function drillDownSearch(
  f: AnalyticsFilters,
  mode: Mode,
  extra: Partial<LogFilters> = {},
  bucket: { timestamp: string; stepMs: number } | null = null,
): string {
  const values: Partial<LogFilters> = { range: f.range, route: f.route, apiKeyId: f.apiKeyId, ...extra };
  if (bucket) {
    const start = Date.parse(bucket.timestamp);
    if (!Number.isNaN(start)) {
      values.range = CUSTOM_RANGE;
      values.from = new Date(start).toISOString();
      values.to = new Date(start + bucket.stepMs).toISOString();
    }
  }
  return logsSearch(mode, values);
}
