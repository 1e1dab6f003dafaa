import { describe, expect, it } from 'vitest';
import { parseHeaderLines } from './SignatureDebugger';
import { deliveriesSearch } from './WebhookHealthPanel';
import { groupLogsPath } from '../keys/KeyHealthPanel';

describe('parseHeaderLines', () => {
  it('reads name: value lines, skipping blank ones, keeping colons in values', () => {
    const parsed = parseHeaderLines('webhook-id: evt_1\n\n  webhook-signature: v1,abc=  \r\nx-t: a:b');
    expect(parsed.bad).toBeNull();
    expect(parsed.headers).toEqual([
      { name: 'webhook-id', value: 'evt_1' },
      { name: 'webhook-signature', value: 'v1,abc=' },
      { name: 'x-t', value: 'a:b' },
    ]);
  });

  it('names the first line without a colon', () => {
    expect(parseHeaderLines('a: 1\nnot a header\n').bad).toBe(2);
    expect(parseHeaderLines(': no name').bad).toBe(1);
  });
});

describe('health links', () => {
  it('an error group opens the Logs tab with the logs filter parameters', () => {
    const path = groupLogsPath('ent_1', 'TEST', 'key_1', 'WEEK', {
      status: 403,
      errorCode: 'insufficient_scope',
      route: '/entities/{entity_id}/orders',
      count: 2,
      lastAt: '2026-12-03T12:00:00Z',
      lastRequestId: 'req_1',
    });
    const url = new URL(path, 'http://x');
    expect(url.pathname).toBe('/entities/ent_1/developers/logs');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      mode: 'test',
      range: '7d',
      key: 'key_1',
      route: '/entities/{entity_id}/orders',
      code: '403',
      error: 'insufficient_scope',
    });
  });

  it('a failure group filters the deliveries list to its event type (status filter dropped)', () => {
    expect(deliveriesSearch('?mode=live&status=FAILED', 'order.created')).toBe('?mode=live&event=order.created');
  });
});
