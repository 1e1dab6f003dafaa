import { describe, expect, it } from 'vitest';
import { parseSearch } from '../shared/url/searchState';
import { LOG_FILTERS, toRequestFilter } from '../logs/filters';
import { ANALYTICS_FILTERS, analyticsRange, analyticsScope, bucketLabel, buckets, change, drillDownSearch } from './analyticsUtils';

describe('buckets', () => {
  it('fills empty buckets from the start of the range to its end', () => {
    const points = buckets(
      {
        from: '2024-05-01T00:30:00Z',
        to: '2024-05-01T03:00:00Z',
        series: [{ timestamp: '2024-05-01T01:00:00Z', requests: 5, errors: 1, avgLatencyMs: 12 }],
      },
      3_600_000,
    );
    expect(points.map((p) => [p.timestamp, p.requests])).toEqual([
      ['2024-05-01T00:00:00.000Z', 0],
      ['2024-05-01T01:00:00Z', 5],
      ['2024-05-01T02:00:00.000Z', 0],
    ]);
  });

  it('keeps points off the grid', () => {
    const points = buckets(
      {
        from: '2024-05-01T00:00:00Z',
        to: '2024-05-01T01:00:00Z',
        series: [{ timestamp: '2024-05-01T00:10:00Z', requests: 2, errors: 0, avgLatencyMs: null }],
      },
      3_600_000,
    );
    expect(points.map((p) => p.requests)).toEqual([0, 2]);
  });

  it('labels bucket sizes', () => {
    expect(bucketLabel(86_400_000)).toBe('1 day');
    expect(bucketLabel(6 * 3_600_000)).toBe('6 hours');
    expect(bucketLabel(60_000)).toBe('1 minute');
  });

  it('knows its ranges', () => {
    expect(analyticsRange('7d').granularity).toBe('SIX_HOURS');
    expect(analyticsRange('nonsense').id).toBe('24h');
  });
});

describe('change vs the previous period', () => {
  it('says so when there is nothing to compare', () => {
    expect(change('neutral', 5, null)).toEqual({ text: 'No previous data', tone: 'flat' });
    expect(change('neutral', 5, 0)).toEqual({ text: 'None in previous period', tone: 'flat' });
    expect(change('down', 0, 0)).toEqual({ text: 'No change vs previous', tone: 'flat' });
  });

  it('shows relative changes with the tone of the better direction', () => {
    expect(change('down', 150, 100)).toEqual({ text: '▲ +50.0% vs previous', tone: 'bad' });
    expect(change('down', 50, 100)).toEqual({ text: '▼ −50.0% vs previous', tone: 'good' });
    expect(change('neutral', 350, 100)).toEqual({ text: '▲ +250% vs previous', tone: 'flat' });
  });

  it('shows rates in percentage points', () => {
    expect(change('down', 0.05, 0.02, true)).toEqual({ text: '+3.0 pp vs previous', tone: 'bad' });
    expect(change('down', 0.02, 0.02, true)).toEqual({ text: 'No change vs previous', tone: 'flat' });
  });
});

describe('analytics filters', () => {
  const parse = (query: string) => parseSearch(ANALYTICS_FILTERS, new URLSearchParams(query));

  it('defaults to test mode, 24 hours, every endpoint and key', () => {
    expect(parse('')).toEqual({ range: '24h', route: '', apiKeyId: '' });
    expect(analyticsScope(parse(''))).toEqual({ route: null, apiKeyId: null });
  });

  it('narrows to one endpoint or one key', () => {
    const f = parse('mode=live&route=%2Fentities%2F%7Bentity_id%7D%2Forders&key=key_1');
    expect(analyticsScope(f)).toEqual({ route: '/entities/{entity_id}/orders', apiKeyId: 'key_1' });
  });
});

describe('drill-down into the Logs tab', () => {
  const f = parseSearch(ANALYTICS_FILTERS, new URLSearchParams('mode=live&range=7d&key=key_1'));
  const logs = (search: string) => parseSearch(LOG_FILTERS, new URLSearchParams(search.slice(1)));

  it('carries the mode, range, endpoint and key, plus the row clicked', () => {
    const search = drillDownSearch(f, 'LIVE', { errorCode: 'insufficient_scope' });
    expect(search.startsWith('?mode=live&')).toBe(true);
    expect(logs(search)).toMatchObject({ range: '7d', apiKeyId: 'key_1', errorCode: 'insufficient_scope' });
    const endpoint = drillDownSearch(f, 'LIVE', { route: '/entities/{entity_id}/orders' });
    expect(logs(endpoint).route).toBe('/entities/{entity_id}/orders');
  });

  it('turns a chart point into the custom range of its bucket', () => {
    const search = drillDownSearch(f, 'LIVE', {}, { timestamp: '2024-05-01T06:00:00Z', stepMs: 6 * 3_600_000 });
    const read = logs(search);
    expect(read).toMatchObject({ range: 'custom', apiKeyId: 'key_1' });
    expect(toRequestFilter(read, 'LIVE')).toMatchObject({
      mode: 'LIVE',
      from: '2024-05-01T06:00:00.000Z',
      to: '2024-05-01T12:00:00.000Z',
      apiKeyId: 'key_1',
    });
  });
});
