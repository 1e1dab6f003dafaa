// The Logs tab's filters, kept in the URL:
//   ?mode=live|test&range=1h|24h|7d|30d&status=2xx|4xx|5xx&method=GET&path=…&request=…&key=…

import type { Mode, RequestLogFilter, TailFilter } from '../gql/graphql';
import { oneOf, text, type Values } from '../shared/url/searchState';
import { rangeEndingNow } from '../shared/timeRange';
import { LOG_RANGES, logRange } from './logUtils';

export const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
export const STATUS_CLASSES = [
  { value: '2', label: '2xx' },
  { value: '4', label: '4xx' },
  { value: '5', label: '5xx' },
] as const;

export const LOG_FILTERS = {
  mode: oneOf('mode', ['LIVE', 'TEST'] as const satisfies readonly Mode[], 'LIVE'),
  range: oneOf(
    'range',
    LOG_RANGES.map((r) => r.id),
    '24h',
  ),
  statusClass: oneOf('status', ['', ...STATUS_CLASSES.map((s) => s.value)], '', (v) => (v ? `${v}xx` : '')),
  method: oneOf('method', ['', ...METHODS], '', (v) => v),
  pathPrefix: text('path'),
  requestId: text('request'),
  apiKeyId: text('key'),
};

export type LogFilters = Values<typeof LOG_FILTERS>;
export type TextFilter = 'pathPrefix' | 'requestId' | 'apiKeyId';
export const TEXT_FILTERS: readonly TextFilter[] = ['pathPrefix', 'requestId', 'apiKeyId'];

export function clean(value: string): string | null {
  const trimmed = value.trim();
  return trimmed.length > 0 ? trimmed : null;
}

/** Anything narrower than "every request of the mode in the range". */
export function isFiltered(f: LogFilters): boolean {
  return f.statusClass !== '' || f.method !== '' || TEXT_FILTERS.some((name) => clean(f[name]) !== null);
}

/** The server filter for these settings, with the range ending now. */
export function toRequestFilter(f: LogFilters, now: number = Date.now()): RequestLogFilter {
  return {
    mode: f.mode,
    ...rangeEndingNow(logRange(f.range).ms, now),
    statusClass: f.statusClass ? Number(f.statusClass) : null,
    method: f.method || null,
    pathPrefix: clean(f.pathPrefix),
    requestId: clean(f.requestId),
    apiKeyId: clean(f.apiKeyId),
  };
}

/** What the server applies to the live tail (the request ID is matched in the browser). */
export function toTailFilter(f: LogFilters): TailFilter {
  return {
    statusClass: f.statusClass ? Number(f.statusClass) : null,
    method: f.method || null,
    pathPrefix: clean(f.pathPrefix),
    apiKeyId: clean(f.apiKeyId),
  };
}
