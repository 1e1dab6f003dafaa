import { describe, expect, it } from 'vitest';
import {
  DEFAULT_POLICY,
  ageDays,
  canGrant,
  dateInput,
  defaultExpiryValue,
  elevatedScopes,
  expiryOptions,
  justificationError,
  maxExpiryDate,
  parseRateLimit,
  policyText,
  rateLimitText,
  endOfDay,
  expiryChoice,
  expiryDate,
  expiryText,
  isElevated,
  maskedKey,
  matchingPreset,
  parseAllowlist,
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

describe('key age', () => {
  it('counts whole days since creation', () => {
    expect(ageDays({ createdAt: iso(NOW - 120 * DAY) }, NOW)).toBe(120);
  });
});

describe('expiry policy', () => {
  const required = { ...DEFAULT_POLICY, expiryRequired: true, maxLifetimeDays: 90, expiryPresetDays: [30, 90] };

  it('offers only what the server accepts: no "never" when required, presets within the cap', () => {
    expect(expiryOptions(DEFAULT_POLICY).map((o) => o.value)).toEqual(['never', '30', '90', '180', '365']);
    expect(expiryOptions(required).map((o) => o.value)).toEqual(['30', '90']);
    expect(defaultExpiryValue(DEFAULT_POLICY)).toBe('never');
    expect(defaultExpiryValue(required)).toBe('90');
    expect(policyText(required)).toBe('This deployment requires keys to expire; keys may live at most 90 days.');
    expect(policyText(DEFAULT_POLICY)).toBeNull();
  });

  it('refuses never and a date beyond the cap; caps the last day at the limit', () => {
    expect(expiryChoice('never', '', NOW, required)).toEqual({ kind: 'invalid', error: 'This deployment requires an expiry.' });
    expect(expiryChoice('365', '', NOW, required).kind).toBe('invalid');
    expect(expiryChoice('90', '', NOW, required)).toEqual({ kind: 'days', days: 90 });
    expect(expiryChoice('custom', dateInput(NOW + 120 * DAY), NOW, required)).toMatchObject({ kind: 'invalid' });
    const last = expiryChoice('custom', dateInput(NOW + 90 * DAY), NOW, required);
    expect(last.kind).toBe('at');
    if (last.kind === 'at') expect(Date.parse(last.expiresAt)).toBeLessThanOrEqual(NOW + 90 * DAY);
    expect(maxExpiryDate(required, NOW)).toBe(dateInput(NOW + 90 * DAY));
    expect(maxExpiryDate(DEFAULT_POLICY, NOW)).toBeNull();
  });
});

describe('justification and rate limits', () => {
  it('asks one line of 1 to 200 characters', () => {
    expect(justificationError('  ')).toBeTruthy();
    expect(justificationError('a\nb')).toBe('The justification must be a single line.');
    expect(justificationError('x'.repeat(201))).toBe('At most 200 characters.');
    expect(justificationError(' Warehouse sync writes stock ')).toBeNull();
  });

  it('finds elevated scopes from the catalog flag, not the name', () => {
    const resources = [
      {
        resource: 'users',
        scopes: [
          { name: 'users:read', access: 'read', description: '', elevated: true },
          { name: 'orders:write', access: 'write', description: '', elevated: false },
        ],
      },
    ];
    expect(elevatedScopes(['users:read', 'orders:write'], resources)).toEqual(['users:read']);
  });

  it('reads the rate limit fields (blank: the entity\'s) and checks their bounds', () => {
    expect(parseRateLimit('', '')).toEqual({ value: { rateLimitPerSecond: null, rateLimitBurst: null }, errors: {} });
    expect(parseRateLimit('2.5', '10').value).toEqual({ rateLimitPerSecond: 2.5, rateLimitBurst: 10 });
    expect(Object.keys(parseRateLimit('0', '1.5').errors)).toEqual(['rateLimitPerSecond', 'rateLimitBurst']);
    expect(rateLimitText({ rateLimitPerSecond: null, rateLimitBurst: null })).toBe("Entity's default");
    expect(rateLimitText({ rateLimitPerSecond: 5, rateLimitBurst: 10 })).toBe('5 req/s, burst 10');
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

  it('takes elevation from the catalog', () => {
    expect(isElevated({ elevated: true })).toBe(true);
    expect(isElevated({ elevated: false })).toBe(false);
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
