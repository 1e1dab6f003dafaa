// The Logs tab's filters, kept in the URL (every field of the API's RequestLogFilter):
//   ?mode=test|live                       the page's mode (shell/pageMode.ts owns it; not a filter)
//   &range=1h|24h|7d|30d|custom           a preset ending now, or `custom` with &from=ISO&to=ISO
//   &status=2xx|3xx|4xx|5xx  &code=404    status class, exact status
//   &error=insufficient_scope &method=GET
//   &route=/entities/{entity_id}/orders   a route template (picked from the API's routes)
//   &path=/orders|/v1/…                   a fragment of the relative path (`path`), or a full path prefix (/v1/…)
//   &minms=…&maxms=…  &ip=10.0.0.0/8  &request=req_…  &key=<api key id>

import type { RequestLogFilter, TailFilter } from '../gql/graphql';
import type { Mode } from '../gql/graphql';
import { oneOf, text, type Values } from '../shared/url/searchState';
import { DAY_MS, rangeEndingNow } from '../shared/timeRange';
import { LOG_RANGES, logRange, type RequestLogSummary } from './logUtils';

export const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
export const STATUS_CLASSES = [
  { value: '2', label: '2xx' },
  { value: '3', label: '3xx' },
  { value: '4', label: '4xx' },
  { value: '5', label: '5xx' },
] as const;

export const CUSTOM_RANGE = 'custom';
/** The API answers at most 31 days of logs per query. */
export const MAX_RANGE_MS = 31 * DAY_MS;

export const LOG_FILTERS = {
  range: oneOf('range', [...LOG_RANGES.map((r) => r.id), CUSTOM_RANGE], '24h'),
  from: text('from', 40),
  to: text('to', 40),
  statusClass: oneOf('status', ['', ...STATUS_CLASSES.map((s) => s.value)], '', (v) => (v ? `${v}xx` : '')),
  status: text('code', 3),
  errorCode: text('error', 100),
  method: oneOf('method', ['', ...METHODS], '', (v) => v),
  route: text('route', 300),
  pathPrefix: text('path'),
  minLatencyMs: text('minms', 12),
  maxLatencyMs: text('maxms', 12),
  ip: text('ip', 60),
  requestId: text('request'),
  apiKeyId: text('key'),
};

export type LogFilters = Values<typeof LOG_FILTERS>;
export type TextFilter =
  | 'status'
  | 'errorCode'
  | 'pathPrefix'
  | 'minLatencyMs'
  | 'maxLatencyMs'
  | 'ip'
  | 'requestId'
  | 'apiKeyId';
export const TEXT_FILTERS: readonly TextFilter[] = [
  'status',
  'errorCode',
  'pathPrefix',
  'minLatencyMs',
  'maxLatencyMs',
  'ip',
  'requestId',
  'apiKeyId',
];

/** Every narrowing filter cleared (mode and time range kept). */
export const NO_FILTERS: Partial<LogFilters> = {
  statusClass: '',
  method: '',
  route: '',
  ...Object.fromEntries(TEXT_FILTERS.map((name) => [name, ''])),
};

export function clean(value: string): string | null {
  const trimmed = value.trim();
  return trimmed.length > 0 ? trimmed : null;
}

function number(value: string): number | null {
  const text = clean(value);
  if (text === null) return null;
  const n = Number(text);
  return Number.isFinite(n) && n >= 0 ? n : null;
}

function exactStatus(value: string): number | null {
  const text = clean(value);
  if (text === null || !/^[1-5]\d\d$/.test(text)) return null;
  return Number(text);
}

/**
 * The path box as the server filters it: a full path (`/v1/…`) is a prefix of the full path
 * (`pathPrefix`); anything else is a fragment of the relative path (`path`: `/orders` finds
 * `/v1/entities/<entity>/orders` and `/v1/entities/<entity>/orders/ord_1`).
 */
export function pathFilter(value: string): { pathPrefix: string | null; path: string | null } {
  const text = clean(value);
  if (text === null) return { pathPrefix: null, path: null };
  if (/^\/?v1(\/|$)/.test(text)) return { pathPrefix: text.startsWith('/') ? text : `/${text}`, path: null };
  return { pathPrefix: null, path: text };
}

/** Anything narrower than "every request of the mode in the range". */
export function isFiltered(f: LogFilters): boolean {
  return f.statusClass !== '' || f.method !== '' || clean(f.route) !== null || TEXT_FILTERS.some((name) => clean(f[name]) !== null);
}

export interface Period {
  from: string;
  to: string;
  /** The custom range was used (else a preset ending now). */
  custom: boolean;
}

/** A valid custom range (from < to, at most 31 days), or null. */
export function customPeriod(f: Pick<LogFilters, 'range' | 'from' | 'to'>): Period | null {
  if (f.range !== CUSTOM_RANGE) return null;
  const from = Date.parse(f.from);
  const to = Date.parse(f.to);
  if (Number.isNaN(from) || Number.isNaN(to) || from >= to || to - from > MAX_RANGE_MS) return null;
  return { from: new Date(from).toISOString(), to: new Date(to).toISOString(), custom: true };
}

/** Why the custom range is not used, if it is not. */
export function customRangeError(f: Pick<LogFilters, 'range' | 'from' | 'to'>): string | null {
  if (f.range !== CUSTOM_RANGE) return null;
  const from = Date.parse(f.from);
  const to = Date.parse(f.to);
  if (Number.isNaN(from) || Number.isNaN(to)) return 'Enter a start and an end.';
  if (from >= to) return 'The start must be before the end.';
  if (to - from > MAX_RANGE_MS) return 'A range can be at most 31 days.';
  return null;
}

/** The period the filters ask for: the custom range when valid, else the preset (24 h by default). */
export function period(f: LogFilters, now: number = Date.now()): Period {
  return customPeriod(f) ?? { ...rangeEndingNow(logRange(f.range).ms, now), custom: false };
}

/** The server filter for these settings. */
export function toRequestFilter(f: LogFilters, mode: Mode, now: number = Date.now()): RequestLogFilter {
  const { from, to } = period(f, now);
  return {
    mode,
    from,
    to,
    statusClass: f.statusClass ? Number(f.statusClass) : null,
    status: exactStatus(f.status),
    errorCode: clean(f.errorCode),
    method: f.method || null,
    route: clean(f.route),
    ...pathFilter(f.pathPrefix),
    minLatencyMs: number(f.minLatencyMs),
    maxLatencyMs: number(f.maxLatencyMs),
    ip: clean(f.ip),
    requestId: clean(f.requestId),
    apiKeyId: clean(f.apiKeyId),
  };
}

/** What the server applies to the live tail; `matchesLocally` checks the rest in the browser. */
export function toTailFilter(f: LogFilters): TailFilter {
  return {
    statusClass: f.statusClass ? Number(f.statusClass) : null,
    method: f.method || null,
    route: clean(f.route),
    ...pathFilter(f.pathPrefix),
    apiKeyId: clean(f.apiKeyId),
    ip: clean(f.ip),
  };
}

/** The filters the tail cannot apply (exact status, error code, latency, request ID, custom range). */
export function matchesLocally(row: RequestLogSummary, f: LogFilters): boolean {
  const status = exactStatus(f.status);
  if (status !== null && row.status !== status) return false;
  const errorCode = clean(f.errorCode);
  if (errorCode !== null && row.errorCode !== errorCode) return false;
  const min = number(f.minLatencyMs);
  if (min !== null && row.latencyMs < min) return false;
  const max = number(f.maxLatencyMs);
  if (max !== null && row.latencyMs > max) return false;
  const requestId = clean(f.requestId);
  if (requestId !== null && row.id !== requestId) return false;
  const custom = customPeriod(f);
  if (custom) {
    const ts = Date.parse(row.timestamp);
    if (ts < Date.parse(custom.from) || ts >= Date.parse(custom.to)) return false;
  }
  return true;
}

/** Checks of the text filters, shown next to them (the server ignores nothing silently either). */
export function filterErrors(f: LogFilters): Partial<Record<TextFilter | 'range', string>> {
  const errors: Partial<Record<TextFilter | 'range', string>> = {};
  if (clean(f.status) !== null && exactStatus(f.status) === null) errors.status = 'A status is 3 digits, 100 to 599.';
  for (const name of ['minLatencyMs', 'maxLatencyMs'] as const) {
    if (clean(f[name]) !== null && number(f[name]) === null) errors[name] = 'Milliseconds, a number ≥ 0.';
  }
  const min = number(f.minLatencyMs);
  const max = number(f.maxLatencyMs);
  if (min !== null && max !== null && min > max) errors.maxLatencyMs = 'Must be at least the minimum.';
  const range = customRangeError(f);
  if (range) errors.range = range;
  return errors;
}

/**
 * A link's search for the Logs tab (what other tabs use to open it filtered): the page's mode first
 * (as shell/pageMode.ts reads it), then parameters in the form `LOG_FILTERS` reads.
 */
export function logsSearch(mode: Mode, values: Partial<LogFilters>): string {
  const params = new URLSearchParams();
  params.set('mode', mode === 'LIVE' ? 'live' : 'test');
  for (const [key, param] of Object.entries(LOG_FILTERS)) {
    const value = (values as Record<string, string | undefined>)[key];
    if (value === undefined || value.trim() === '' || value === param.default) continue;
    params.set(param.name, (param.format as (v: string) => string)(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}
