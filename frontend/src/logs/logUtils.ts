// Helpers for the Logs tab: time ranges, status classes and the rows of the table.

import type { RequestLogSummaryFieldsFragment } from '../gql/graphql';
import type { KeyLabel } from '../shared/entityInfo';
import { DAY_MS, HOUR_MS, type RangePreset } from '../shared/timeRange';

/** A row of the list: the summary fields, and the client IP for viewers with `pii.read`. */
export type RequestLogSummary = RequestLogSummaryFieldsFragment & { ip?: string | null };

export const LOG_RANGES = [
  { id: '1h', label: 'Last hour', ms: HOUR_MS },
  { id: '24h', label: 'Last 24 hours', ms: DAY_MS },
  { id: '7d', label: 'Last 7 days', ms: 7 * DAY_MS },
  { id: '30d', label: 'Last 30 days', ms: 30 * DAY_MS },
] as const satisfies readonly RangePreset[];

export type LogRangeId = (typeof LOG_RANGES)[number]['id'];

export function logRange(id: string): RangePreset {
  return LOG_RANGES.find((r) => r.id === id) ?? LOG_RANGES[1];
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

/** Rows kept on screen while the live tail prepends new ones. */
export const MAX_ROWS = 500;

export interface Row extends RequestLogSummary {
  /** Pagination cursor; null for rows that came from the live tail. */
  cursor: string | null;
  ts: number;
  /** Arrived through the live tail (highlighted briefly). */
  fresh?: boolean;
}

export function toRow(node: RequestLogSummary, cursor: string | null, fresh = false): Row {
  const ts = Date.parse(node.timestamp);
  return { ...node, cursor, ts: Number.isNaN(ts) ? 0 : ts, fresh };
}

export interface RowPage {
  rows: Row[];
  endCursor: string | null;
  hasNextPage: boolean;
}

/** Adds rows (newest first, no duplicates) and keeps at most `max`. */
export function prependRows<P extends RowPage>(page: P, incoming: Row[], max: number = MAX_ROWS): P {
  const present = new Set(page.rows.map((r) => r.id));
  const added = incoming.filter((r) => !present.has(r.id));
  if (added.length === 0) return page;
  const rows = [...added, ...page.rows].sort((a, b) => b.ts - a.ts);
  if (rows.length <= max) return { ...page, rows };
  const kept = rows.slice(0, max);
  const last = kept[kept.length - 1];
  // Older rows fell off the end: "Load more" continues from the last kept row.
  return { ...page, rows: kept, hasNextPage: true, endCursor: last.cursor };
}

/** Appends the next page's rows below the ones shown (no duplicates). */
export function appendRows(rows: Row[], incoming: { cursor: string; node: RequestLogSummary }[]): Row[] {
  const present = new Set(rows.map((r) => r.id));
  return [...rows, ...incoming.filter((e) => !present.has(e.node.id)).map((e) => toRow(e.node, e.cursor))];
}

/** `2024-05-01T12:30` in local time, for a datetime-local input. */
export function toLocalInput(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return '';
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A datetime-local value (local time) as an ISO string; '' when empty or invalid. */
export function fromLocalInput(value: string): string {
  if (!value) return '';
  const ms = new Date(value).getTime();
  return Number.isNaN(ms) ? '' : new Date(ms).toISOString();
}
