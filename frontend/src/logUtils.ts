// Formatting and time-range helpers shared by the Logs and Analytics tabs.

import { GraphQLRequestError } from './graphql';
import type { Granularity, KeyLabel } from './queries';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

export interface RangePreset {
  id: string;
  label: string;
  ms: number;
}

export const LOG_RANGES: RangePreset[] = [
  { id: '1h', label: 'Last hour', ms: HOUR_MS },
  { id: '24h', label: 'Last 24 hours', ms: DAY_MS },
  { id: '7d', label: 'Last 7 days', ms: 7 * DAY_MS },
  { id: '30d', label: 'Last 30 days', ms: 30 * DAY_MS },
];

export interface AnalyticsRange extends RangePreset {
  granularity: Granularity;
  granularityMs: number;
}

export const ANALYTICS_RANGES: AnalyticsRange[] = [
  { id: '24h', label: '24 h', ms: DAY_MS, granularity: 'HOUR', granularityMs: HOUR_MS },
  { id: '7d', label: '7 d', ms: 7 * DAY_MS, granularity: 'SIX_HOURS', granularityMs: 6 * HOUR_MS },
  { id: '30d', label: '30 d', ms: 30 * DAY_MS, granularity: 'DAY', granularityMs: DAY_MS },
];

/** `from`/`to` for a preset ending now, as ISO strings. */
export function rangeEndingNow(ms: number, now: number = Date.now()): { from: string; to: string } {
  return { from: new Date(now - ms).toISOString(), to: new Date(now).toISOString() };
}

export function isForbidden(err: unknown): boolean {
  return err instanceof GraphQLRequestError && err.has('FORBIDDEN');
}

const TIME = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
const FULL_TIME = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  fractionalSecondDigits: 3,
  timeZoneName: 'short',
});
const NUMBER = new Intl.NumberFormat();

export function formatLogTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : TIME.format(date);
}

export function formatFullTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : FULL_TIME.format(date);
}

export function formatNumber(n: number): string {
  return NUMBER.format(n);
}

export function formatLatency(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 100) return `${ms.toFixed(1)} ms`;
  if (ms < 10_000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(1)} s`;
}

export function formatPercent(rate: number): string {
  const pct = rate * 100;
  if (pct === 0) return '0%';
  if (pct < 0.1) return '<0.1%';
  return `${pct < 10 ? pct.toFixed(1) : pct.toFixed(0)}%`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}

export function statusClass(status: number): string {
  return `${Math.floor(status / 100)}xx`;
}

/** A short label for a key id: its name when known, else the id. */
export function keyLabel(id: string | null, keys: ReadonlyMap<string, KeyLabel>): string {
  if (!id) return '—';
  const key = keys.get(id);
  return key ? key.name : id;
}
