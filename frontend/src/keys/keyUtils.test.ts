import { describe, expect, it } from 'vitest';
import {
  ageDays,
  canGrant,
  endOfDay,
  expiryChoice,
  expiryDate,
  expiryText,
  isElevated,
  maskedKey,
  matchingPreset,
  parseAllowlist,
  rotationDue,
  sameScopes,
  scopeLines,
  ungrantable,
  type ScopePreset,
} from './keyUtils';

const NOW = Date.parse('2024-05-01T12:00:00Z');
const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

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

describe('expiry', () => {
  it('says how long a key has left instead of a bare badge', () => {
    const key = (expiresAt: string | null, status: 'ACTIVE' | 'EXPIRED' | 'REVOKED' = 'ACTIVE') => ({ status, expiresAt });
    expect(expiryText(key(null), NOW)).toBe('Never');
    expect(expiryText(key(iso(NOW + 12 * DAY)), NOW)).toBe('Expires in 12 days');
    // Calendar days: a date picked 12 days ahead (end of that day) reads "12 days".
    expect(expiryText(key(iso(NOW + 12 * DAY + 3_600_000)), NOW)).toBe('Expires in 12 days');
    expect(expiryText(key(endOfDay('2024-05-13')), NOW)).toBe('Expires in 12 days');
    expect(expiryText(key(iso(NOW + DAY)), NOW)).toBe('Expires in 1 day');
    expect(expiryText(key(iso(NOW + 5 * 3_600_000)), NOW)).toBe('Expires in 5 hours');
    expect(expiryText(key(iso(NOW + 60_000)), NOW)).toBe('Expires in 1 hour');
    expect(expiryText(key(iso(NOW - 3 * DAY), 'EXPIRED'), NOW)).toBe('Expired 3 days ago');
    expect(expiryText(key(iso(NOW - 60_000), 'EXPIRED'), NOW)).toBe('Expired today');
    expect(expiryText(key(iso(NOW + DAY), 'REVOKED'), NOW)).toBe('—');
  });

  it('reads the presets and a custom date', () => {
    expect(expiryChoice('never', '', NOW)).toEqual({ kind: 'never' });
    expect(expiryChoice('90', '', NOW)).toEqual({ kind: 'days', days: 90 });
    expect(expiryDate(expiryChoice('30', '', NOW), NOW)).toBe(iso(NOW + 30 * DAY));
    const custom = expiryChoice('custom', '2024-06-15', NOW);
    expect(custom.kind).toBe('at');
    const at = new Date(expiryDate(custom, NOW)!);
    // The end of that day, local time.
    expect([at.getFullYear(), at.getMonth(), at.getDate(), at.getHours(), at.getMinutes()]).toEqual([2024, 5, 15, 23, 59]);
    expect(expiryChoice('custom', '', NOW)).toEqual({ kind: 'invalid', error: 'Pick the date the key stops working.' });
    expect(expiryChoice('custom', '2024-04-01', NOW)).toEqual({
      kind: 'invalid',
      error: 'The expiry date must be in the future.',
    });
    expect(endOfDay('2024-02-30')).toBeNull();
    expect(endOfDay('tomorrow')).toBeNull();
  });
});

describe('rotation nudge', () => {
  const key = (ageInDays: number, status: 'ACTIVE' | 'EXPIRED' | 'REVOKED' = 'ACTIVE', rotated = false) => ({
    status,
    createdAt: iso(NOW - ageInDays * DAY),
    rotatedTo: rotated ? { id: 'k2' } : null,
  });

  it('nudges active keys created 90 or more days ago', () => {
    expect(ageDays(key(120), NOW)).toBe(120);
    expect(rotationDue(key(89), NOW)).toBe(false);
    expect(rotationDue(key(90), NOW)).toBe(true);
    expect(rotationDue(key(400), NOW)).toBe(true);
  });

  it('leaves revoked, expired and already rotated keys alone', () => {
    expect(rotationDue(key(200, 'REVOKED'), NOW)).toBe(false);
    expect(rotationDue(key(200, 'EXPIRED'), NOW)).toBe(false);
    expect(rotationDue(key(200, 'ACTIVE', true), NOW)).toBe(false);
  });
});

describe('grantable and elevated scopes', () => {
  it('lets the viewer grant everything when viewerGrantableScopes is null', () => {
    expect(canGrant('orders:write', null)).toBe(true);
    expect(ungrantable(['orders:write'], null)).toEqual([]);
  });

  it('lists what a preset holds beyond what the viewer may grant', () => {
    const grantable = new Set(['orders:read', 'products:read']);
    expect(canGrant('orders:write', grantable)).toBe(false);
    expect(ungrantable(['orders:read', 'orders:write', 'accounts:read'], grantable)).toEqual(['orders:write', 'accounts:read']);
  });

  it('marks write scopes as elevated', () => {
    expect(isElevated({ access: 'write' })).toBe(true);
    expect(isElevated({ access: 'read' })).toBe(false);
  });
});

describe('preset scopes', () => {
  it('reads as one line per access, elevated ones marked', () => {
    expect(scopeLines(['orders:read', 'fulfillment:write', 'inventory:write'], new Set(['fulfillment:write', 'inventory:write']))).toEqual([
      { access: 'read', elevated: false, resources: ['orders'] },
      { access: 'write', elevated: true, resources: ['fulfillment', 'inventory'] },
    ]);
  });
});
