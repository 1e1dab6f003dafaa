import { describe, expect, it } from 'vitest';
import { maskedKey, matchingPreset, parseAllowlist, sameScopes, type ScopePreset } from './keyUtils';

const preset = (id: string, scopes: string[]): ScopePreset => ({
  id,
  name: id,
  description: '',
  scopes,
  suggestedExpiryDays: null,
});

describe('keyUtils', () => {
  it('masks a key as its start and last 4', () => {
    expect(maskedKey({ start: 'pk_live_acme_8rgH', last4: 'fwGF' })).toBe('pk_live_acme_8rgH…fwGF');
  });

  it('splits an allowlist on lines, commas and spaces and drops blanks', () => {
    expect(parseAllowlist('203.0.113.7\n\n 198.51.100.0/24 , 2001:db8::/32\t10.0.0.1')).toEqual([
      '203.0.113.7',
      '198.51.100.0/24',
      '2001:db8::/32',
      '10.0.0.1',
    ]);
    expect(parseAllowlist('  \n ')).toEqual([]);
  });

  it('compares scopes as sets', () => {
    expect(sameScopes(['a', 'b'], ['b', 'a'])).toBe(true);
    expect(sameScopes(['a', 'b'], ['a'])).toBe(false);
    expect(sameScopes(['a', 'b'], ['a', 'c'])).toBe(false);
  });

  it('finds the preset with exactly these scopes', () => {
    const presets = [preset('read', ['orders:read']), preset('all', ['orders:read', 'orders:write'])];
    expect(matchingPreset(['orders:write', 'orders:read'], presets)?.id).toBe('all');
    expect(matchingPreset(['orders:write'], presets)).toBeNull();
    expect(matchingPreset([], [preset('none', [])])).toBeNull();
  });
});
