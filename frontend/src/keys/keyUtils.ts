// Helpers for the API keys tab and its dialogs.

import type { ApiKeyFieldsFragment, ScopeCatalogQuery } from '../gql/graphql';

export type ApiKey = ApiKeyFieldsFragment;
export type ScopePreset = ScopeCatalogQuery['scopePresets'][number];
export type ScopeResource = ScopeCatalogQuery['scopeCatalog'][number];

/** `pk_live_acme_8rgH…fwGF`: the stored start, an ellipsis, the last 4 characters. */
export function maskedKey(key: Pick<ApiKey, 'start' | 'last4'>): string {
  return `${key.start}…${key.last4}`;
}

/** One address or CIDR per line (commas and spaces also separate); blank lines are dropped. */
export function parseAllowlist(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

export function sameScopes(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a);
  return b.every((s) => set.has(s));
}

/** The preset whose scopes are exactly these, if any. */
export function matchingPreset(scopes: readonly string[], presets: readonly ScopePreset[]): ScopePreset | null {
  if (scopes.length === 0) return null;
  return presets.find((p) => sameScopes(p.scopes, scopes)) ?? null;
}

export const EXPIRY_OPTIONS: { value: string; label: string; days: number | null }[] = [
  { value: 'never', label: 'Never', days: null },
  { value: '30', label: '30 days', days: 30 },
  { value: '90', label: '90 days', days: 90 },
  { value: '180', label: '180 days', days: 180 },
  { value: '365', label: '365 days', days: 365 },
];

export const GRACE_OPTIONS: { seconds: number; label: string; hint: string }[] = [
  { seconds: 0, label: 'Immediately (0 h)', hint: 'The current key stops working right away.' },
  { seconds: 3600, label: '1 hour', hint: 'Both keys work for one hour.' },
  { seconds: 86_400, label: '24 hours', hint: 'Both keys work for a day. Recommended.' },
  { seconds: 604_800, label: '7 days', hint: 'Both keys work for a week.' },
];
export const DEFAULT_GRACE_SECONDS = 86_400;
