import { describe, expect, it } from 'vitest';
import {
  compactSelection,
  eventsLabel,
  expandSelection,
  formatSuccessRate,
  fromLocalInput,
  parseJsonObject,
  parseOptionalInt,
  pendingNote,
  subscribes,
  toLocalInput,
  urlError,
  type EventFamily,
} from './webhookUtils';

const type = (t: string) => ({ type: t, family: t.split('.')[0], description: t, schema: {}, example: {} });
const FAMILIES: EventFamily[] = [
  { family: 'order', description: 'Orders', eventTypes: [type('order.created'), type('order.updated')] },
  { family: 'invoice', description: 'Invoices', eventTypes: [type('invoice.paid')] },
];

describe('event selection', () => {
  it('compacts a whole catalog to *, a whole family to its pattern, else the types', () => {
    expect(compactSelection(FAMILIES, new Set(['order.created', 'order.updated', 'invoice.paid']))).toEqual(['*']);
    expect(compactSelection(FAMILIES, new Set(['order.created', 'order.updated']))).toEqual(['order.*']);
    expect(compactSelection(FAMILIES, new Set(['order.created', 'invoice.paid']))).toEqual(['order.created', 'invoice.*']);
    expect(compactSelection(FAMILIES, new Set())).toEqual([]);
  });

  it('expands a subscription to the concrete types', () => {
    expect([...expandSelection(FAMILIES, ['*'])].sort()).toEqual(['invoice.paid', 'order.created', 'order.updated']);
    expect([...expandSelection(FAMILIES, ['order.*'])].sort()).toEqual(['order.created', 'order.updated']);
    expect([...expandSelection(FAMILIES, ['invoice.paid'])]).toEqual(['invoice.paid']);
  });

  it('matches types against subscriptions', () => {
    expect(subscribes(['order.*'], 'order.created')).toBe(true);
    expect(subscribes(['order.*'], 'invoice.paid')).toBe(false);
    expect(subscribes(['*'], 'invoice.paid')).toBe(true);
    expect(subscribes(['invoice.paid'], 'invoice.paid')).toBe(true);
  });

  it('labels the subscription', () => {
    expect(eventsLabel(['*'])).toBe('All events');
    expect(eventsLabel(['order.*', 'invoice.paid'])).toBe('order.*, invoice.paid');
  });
});

describe('display', () => {
  it('formats the success rate, with a dash when nothing was attempted', () => {
    expect(formatSuccessRate(null)).toBe('—');
    expect(formatSuccessRate(1)).toBe('100%');
    expect(formatSuccessRate(0.9876)).toBe('98.8%');
    expect(formatSuccessRate(0)).toBe('0%');
  });

  it('says delivery is pending when the job is down or the queue is old', () => {
    const base = { jobAlive: true, dueCount: 0, heldCount: 0, oldestDueAt: null, oldestDueAgeSeconds: null };
    expect(pendingNote(base)).toBeNull();
    expect(pendingNote({ ...base, jobAlive: null })).toBeNull();
    expect(pendingNote({ ...base, jobAlive: false, dueCount: 3 })).toMatch(/^Delivery is pending: 3 deliveries are waiting/);
    expect(pendingNote({ ...base, dueCount: 2, oldestDueAgeSeconds: 30 })).toBeNull();
    expect(pendingNote({ ...base, dueCount: 2, oldestDueAgeSeconds: 600 })).toMatch(/up to 10 min/);
  });
});

describe('form parsing', () => {
  it('accepts only JSON objects as a payload', () => {
    expect(parseJsonObject('{"a": 1}')).toEqual({ ok: true, value: { a: 1 } });
    expect(parseJsonObject('[1]')).toEqual({ ok: false, error: 'The payload must be a JSON object.' });
    const bad = parseJsonObject('{');
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error).toMatch(/^Not valid JSON/);
  });

  it('parses optional bounded integers', () => {
    expect(parseOptionalInt(' ', 1, 64)).toEqual({ ok: true, value: null });
    expect(parseOptionalInt('8', 1, 64)).toEqual({ ok: true, value: 8 });
    expect(parseOptionalInt('0', 1, 64).ok).toBe(false);
    expect(parseOptionalInt('65', 1, 64).ok).toBe(false);
    expect(parseOptionalInt('1.5', 1, 64).ok).toBe(false);
  });

  it('checks URLs before the server does', () => {
    expect(urlError('')).toMatch(/Enter the URL/);
    expect(urlError('example.com')).toMatch(/full URL/);
    expect(urlError('ftp://example.com/')).toMatch(/https/);
    expect(urlError('https://user:pw@example.com/')).toMatch(/user name/);
    expect(urlError('http://127.0.0.1:9000/hook')).toBeNull();
  });

  it('round-trips datetime-local values', () => {
    const date = new Date(2026, 11, 2, 15, 4);
    expect(toLocalInput(date)).toBe('2026-12-02T15:04');
    expect(fromLocalInput('2026-12-02T15:04')).toBe(date.toISOString());
    expect(fromLocalInput('')).toBeNull();
  });
});
