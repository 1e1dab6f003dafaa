import { describe, expect, it } from 'vitest';
import { formatSearch, parseSearch } from '../shared/url/searchState';
import {
  LOG_FILTERS,
  filterErrors,
  isFiltered,
  logsSearch,
  matchesLocally,
  pathFilter,
  period,
  toRequestFilter,
  toTailFilter,
} from './filters';
import type { RequestLogSummary } from './logUtils';

const NOW = Date.parse('2024-05-01T12:00:00Z');
const parse = (query: string) => parseSearch(LOG_FILTERS, new URLSearchParams(query));

function log(overrides: Partial<RequestLogSummary> = {}): RequestLogSummary {
  return {
    id: 'req_1',
    timestamp: '2024-05-01T11:30:00Z',
    mode: 'TEST',
    method: 'GET',
    path: '/v1/entities/ent_1/orders',
    relativePath: '/orders',
    route: '/entities/{entity_id}/orders',
    status: 404,
    errorCode: 'not_found',
    latencyMs: 12,
    apiKeyId: 'key_1',
    ...overrides,
  };
}

describe('log filters', () => {
  it('defaults to the last 24 hours and no other filter, in the mode it is given', () => {
    const filters = parse('');
    expect(isFiltered(filters)).toBe(false);
    expect(toRequestFilter(filters, 'TEST', NOW)).toEqual({
      mode: 'TEST',
      from: '2024-04-30T12:00:00.000Z',
      to: '2024-05-01T12:00:00.000Z',
      statusClass: null,
      status: null,
      errorCode: null,
      method: null,
      route: null,
      pathPrefix: null,
      path: null,
      minLatencyMs: null,
      maxLatencyMs: null,
      ip: null,
      requestId: null,
      apiKeyId: null,
    });
  });

  it('reads every filter of RequestLogFilter from the URL', () => {
    const filters = parse(
      'mode=live&range=1h&status=4xx&code=404&error=not_found&method=post&route=%2Fentities%2F%7Bentity_id%7D%2Forders' +
        '&path=%20/v1/entities/ent_1/orders%20&minms=5&maxms=250.5&ip=10.0.0.0/8&request=req_1&key=key_1',
    );
    expect(isFiltered(filters)).toBe(true);
    expect(toRequestFilter(filters, 'LIVE', NOW)).toEqual({
      mode: 'LIVE',
      from: '2024-05-01T11:00:00.000Z',
      to: '2024-05-01T12:00:00.000Z',
      statusClass: 4,
      status: 404,
      errorCode: 'not_found',
      method: 'POST',
      route: '/entities/{entity_id}/orders',
      pathPrefix: '/v1/entities/ent_1/orders',
      path: null,
      minLatencyMs: 5,
      maxLatencyMs: 250.5,
      ip: '10.0.0.0/8',
      requestId: 'req_1',
      apiKeyId: 'key_1',
    });
    // The server filters the tail by what TailFilter has; the rest is matched in the browser.
    expect(toTailFilter(filters)).toEqual({
      statusClass: 4,
      method: 'POST',
      route: '/entities/{entity_id}/orders',
      pathPrefix: '/v1/entities/ent_1/orders',
      path: null,
      apiKeyId: 'key_1',
      ip: '10.0.0.0/8',
    });
  });

  it('writes a canonical URL and round-trips', () => {
    const filters = parse('method=get&status=5&range=24h&mode=TEST&code=503');
    const search = formatSearch(LOG_FILTERS, filters).toString();
    // The mode is the page's (shell/pageMode.ts), not one of the tab's filters.
    expect(search).toBe('status=5xx&code=503&method=GET');
    expect(formatSearch(LOG_FILTERS, parse('method=get')).toString()).toBe('method=GET');
    expect(parse(search)).toEqual(filters);
  });

  it('treats blank text and invalid numbers as no filter, and says why', () => {
    const filters = parse('path=%20%20&code=99&minms=abc&maxms=-1');
    expect(toRequestFilter(filters, 'TEST', NOW)).toMatchObject({
      pathPrefix: null,
      path: null,
      status: null,
      minLatencyMs: null,
      maxLatencyMs: null,
    });
    expect(filterErrors(filters)).toEqual({
      status: 'A status is 3 digits, 100 to 599.',
      minLatencyMs: 'Milliseconds, a number ≥ 0.',
      maxLatencyMs: 'Milliseconds, a number ≥ 0.',
    });
    expect(filterErrors(parse('minms=50&maxms=10')).maxLatencyMs).toBe('Must be at least the minimum.');
  });

  it('sends a relative fragment as `path` and a full /v1/ path as `pathPrefix`', () => {
    expect(pathFilter('/orders')).toEqual({ path: '/orders', pathPrefix: null });
    expect(pathFilter(' orders/ord_1 ')).toEqual({ path: 'orders/ord_1', pathPrefix: null });
    expect(pathFilter('/v1/whoami')).toEqual({ path: null, pathPrefix: '/v1/whoami' });
    expect(pathFilter('v1/entities/ent_1')).toEqual({ path: null, pathPrefix: '/v1/entities/ent_1' });
    expect(pathFilter('  ')).toEqual({ path: null, pathPrefix: null });
    expect(toTailFilter(parse('path=/orders'))).toMatchObject({ path: '/orders', pathPrefix: null });
  });
});

describe('custom time range', () => {
  it('uses a valid custom range', () => {
    const filters = parse('range=custom&from=2024-04-20T10:00:00Z&to=2024-04-20T11:00:00Z');
    expect(period(filters, NOW)).toEqual({
      from: '2024-04-20T10:00:00.000Z',
      to: '2024-04-20T11:00:00.000Z',
      custom: true,
    });
    expect(toRequestFilter(filters, 'TEST', NOW)).toMatchObject({
      from: '2024-04-20T10:00:00.000Z',
      to: '2024-04-20T11:00:00.000Z',
    });
    expect(filterErrors(filters)).toEqual({});
  });

  it('falls back to 24 hours when the custom range is invalid or longer than 31 days', () => {
    for (const query of [
      'range=custom',
      'range=custom&from=2024-04-20T11:00:00Z&to=2024-04-20T10:00:00Z',
      'range=custom&from=2024-01-01T00:00:00Z&to=2024-03-01T00:00:00Z',
    ]) {
      const filters = parse(query);
      expect(period(filters, NOW)).toEqual({
        from: '2024-04-30T12:00:00.000Z',
        to: '2024-05-01T12:00:00.000Z',
        custom: false,
      });
      expect(filterErrors(filters).range).toBeTruthy();
    }
  });
});

describe('live tail rows', () => {
  it('match the filters the tail cannot apply', () => {
    expect(matchesLocally(log(), parse('code=404&error=not_found&minms=10&maxms=20&request=req_1'))).toBe(true);
    expect(matchesLocally(log(), parse('code=500'))).toBe(false);
    expect(matchesLocally(log(), parse('error=rate_limited'))).toBe(false);
    expect(matchesLocally(log(), parse('minms=13'))).toBe(false);
    expect(matchesLocally(log(), parse('maxms=11'))).toBe(false);
    expect(matchesLocally(log(), parse('request=req_2'))).toBe(false);
    expect(
      matchesLocally(log(), parse('range=custom&from=2024-05-01T10:00:00Z&to=2024-05-01T11:00:00Z')),
    ).toBe(false);
  });
});

describe('links into the Logs tab', () => {
  it('write the parameters the tab reads, the mode always', () => {
    const search = logsSearch('TEST', { apiKeyId: 'key_1', range: '7d' });
    expect(search).toBe('?mode=test&range=7d&key=key_1');
    const read = parse(search.slice(1));
    expect(read).toMatchObject({ apiKeyId: 'key_1', range: '7d' });
    expect(logsSearch('LIVE', { route: '/entities/{entity_id}/orders', errorCode: 'x' })).toBe(
      '?mode=live&error=x&route=%2Fentities%2F%7Bentity_id%7D%2Forders',
    );
  });
});
