import { describe, expect, it } from 'vitest';
import { analyticsRange, bucketLabel, buckets, change } from './analyticsUtils';

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
