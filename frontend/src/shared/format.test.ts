import { describe, expect, it } from 'vitest';
import { formatBytes, formatLatency, formatPercent, formatRelative } from './format';

describe('format', () => {
  it('formats latencies with a sensible precision', () => {
    expect(formatLatency(null)).toBe('—');
    expect(formatLatency(0.456)).toBe('0.46 ms');
    expect(formatLatency(12.34)).toBe('12.3 ms');
    expect(formatLatency(523.6)).toBe('524 ms');
    expect(formatLatency(12_500)).toBe('12.5 s');
  });

  it('formats rates as percentages', () => {
    expect(formatPercent(0)).toBe('0%');
    expect(formatPercent(0.0004)).toBe('<0.1%');
    expect(formatPercent(0.0234)).toBe('2.3%');
    expect(formatPercent(0.5)).toBe('50%');
  });

  it('formats sizes', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(2048)).toBe('2.0 KB');
    expect(formatBytes(3 * 1024 * 1024)).toBe('3.0 MB');
  });

  it('formats recent times relatively', () => {
    const now = Date.parse('2024-05-01T12:00:00Z');
    expect(formatRelative('2024-05-01T11:59:50Z', now)).toBe('just now');
    expect(formatRelative('not a date', now)).toBe('not a date');
    expect(formatRelative('2024-05-01T11:00:00Z', now)).toMatch(/hour/);
  });
});
