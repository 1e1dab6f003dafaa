import { describe, expect, it } from 'vitest';
import {
  appendRows,
  fromLocalInput,
  keyLabel,
  prependRows,
  statusClass,
  toLocalInput,
  toRow,
  type RequestLogSummary,
} from './logUtils';

function log(id: string, at: string): RequestLogSummary {
  return {
    id,
    timestamp: at,
    mode: 'LIVE',
    method: 'GET',
    path: '/v1/orders',
    relativePath: '/orders',
    route: '/orders',
    status: 200,
    errorCode: null,
    latencyMs: 1.5,
    apiKeyId: null,
  };
}

const page = (ids: [string, string][]) => ({
  rows: ids.map(([id, at]) => toRow(log(id, at), `c_${id}`)),
  endCursor: 'c_end',
  hasNextPage: false,
});

describe('rows', () => {
  it('parses timestamps (0 for unparseable ones)', () => {
    expect(toRow(log('a', '2024-01-01T00:00:00Z'), null).ts).toBe(Date.parse('2024-01-01T00:00:00Z'));
    expect(toRow(log('a', 'not a date'), null).ts).toBe(0);
  });

  it('prepends new rows newest first, without duplicates', () => {
    const before = page([['b', '2024-01-01T00:00:02Z'], ['a', '2024-01-01T00:00:01Z']]);
    const after = prependRows(before, [
      toRow(log('c', '2024-01-01T00:00:03Z'), null, true),
      toRow(log('b', '2024-01-01T00:00:02Z'), null, true),
    ]);
    expect(after.rows.map((r) => r.id)).toEqual(['c', 'b', 'a']);
    expect(after.rows[0].fresh).toBe(true);
    expect(after.rows[1].fresh).toBe(false);
  });

  it('returns the same page when nothing is new', () => {
    const before = page([['a', '2024-01-01T00:00:01Z']]);
    expect(prependRows(before, [toRow(log('a', '2024-01-01T00:00:01Z'), null)])).toBe(before);
  });

  it('keeps at most `max` rows and lets "Load more" continue below the last kept one', () => {
    const before = page([['b', '2024-01-01T00:00:02Z'], ['a', '2024-01-01T00:00:01Z']]);
    const after = prependRows(before, [toRow(log('c', '2024-01-01T00:00:03Z'), null)], 2);
    expect(after.rows.map((r) => r.id)).toEqual(['c', 'b']);
    expect(after.hasNextPage).toBe(true);
    expect(after.endCursor).toBe('c_b');
  });

  it('appends the next page without rows already shown', () => {
    const rows = page([['b', '2024-01-01T00:00:02Z']]).rows;
    const next = appendRows(rows, [
      { cursor: 'c_b', node: log('b', '2024-01-01T00:00:02Z') },
      { cursor: 'c_a', node: log('a', '2024-01-01T00:00:01Z') },
    ]);
    expect(next.map((r) => [r.id, r.cursor])).toEqual([
      ['b', 'c_b'],
      ['a', 'c_a'],
    ]);
  });
});

describe('labels', () => {
  it('names status classes', () => {
    expect(statusClass(204)).toBe('2xx');
    expect(statusClass(429)).toBe('4xx');
    expect(statusClass(503)).toBe('5xx');
  });

  it('names keys by their name when known', () => {
    const keys = new Map([['key_1', { id: 'key_1', name: 'Sync', mode: 'LIVE' as const, start: 'pk', last4: 'abcd' }]]);
    expect(keyLabel('key_1', keys)).toBe('Sync');
    expect(keyLabel('key_2', keys)).toBe('key_2');
    expect(keyLabel(null, keys)).toBe('—');
  });
});

describe('custom range inputs', () => {
  it('round-trips a time through a datetime-local value (local time, to the minute)', () => {
    const iso = new Date(2024, 4, 1, 9, 5).toISOString();
    expect(toLocalInput(iso)).toBe('2024-05-01T09:05');
    expect(fromLocalInput('2024-05-01T09:05')).toBe(iso);
  });

  it('gives empty values for empty or invalid input', () => {
    expect(toLocalInput('')).toBe('');
    expect(toLocalInput('nonsense')).toBe('');
    expect(fromLocalInput('')).toBe('');
    expect(fromLocalInput('not a time')).toBe('');
  });
});
