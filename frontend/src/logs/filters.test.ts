import { describe, expect, it } from 'vitest';
import { formatSearch, parseSearch } from '../shared/url/searchState';
import { LOG_FILTERS, isFiltered, toRequestFilter, toTailFilter } from './filters';

const NOW = Date.parse('2024-05-01T12:00:00Z');

describe('log filters', () => {
  it('defaults to live mode, the last 24 hours and no other filter', () => {
    const filters = parseSearch(LOG_FILTERS, new URLSearchParams(''));
    expect(isFiltered(filters)).toBe(false);
    expect(toRequestFilter(filters, NOW)).toEqual({
      mode: 'LIVE',
      from: '2024-04-30T12:00:00.000Z',
      to: '2024-05-01T12:00:00.000Z',
      statusClass: null,
      method: null,
      pathPrefix: null,
      requestId: null,
      apiKeyId: null,
    });
  });

  it('reads every filter from the URL', () => {
    const filters = parseSearch(
      LOG_FILTERS,
      new URLSearchParams('mode=test&range=1h&status=4xx&method=post&path=%20/v1/orders%20&request=req_1&key=key_1'),
    );
    expect(isFiltered(filters)).toBe(true);
    expect(toRequestFilter(filters, NOW)).toEqual({
      mode: 'TEST',
      from: '2024-05-01T11:00:00.000Z',
      to: '2024-05-01T12:00:00.000Z',
      statusClass: 4,
      method: 'POST',
      pathPrefix: '/v1/orders',
      requestId: 'req_1',
      apiKeyId: 'key_1',
    });
    // The server filters the tail by everything but the request ID (matched in the browser).
    expect(toTailFilter(filters)).toEqual({ statusClass: 4, method: 'POST', pathPrefix: '/v1/orders', apiKeyId: 'key_1' });
  });

  it('writes a canonical URL', () => {
    const filters = parseSearch(LOG_FILTERS, new URLSearchParams('method=get&status=5&range=24h&mode=LIVE'));
    expect(formatSearch(LOG_FILTERS, filters).toString()).toBe('status=5xx&method=GET');
  });

  it('treats blank text as no filter', () => {
    const filters = parseSearch(LOG_FILTERS, new URLSearchParams('path=%20%20'));
    expect(isFiltered(filters)).toBe(false);
    expect(toRequestFilter(filters, NOW).pathPrefix).toBeNull();
  });
});
