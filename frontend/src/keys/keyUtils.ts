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
/** The expiry choice "a date of my own" (with a date input). */
export const CUSTOM_EXPIRY = 'custom';

export const DAY_MS = 86_400_000;
/** Rotate keys every 90 days (the advised practice). */
export const ROTATION_ADVISED_DAYS = 90;

/** A `YYYY-MM-DD` date input's value as the end of that day, local time, in ISO; null when invalid. */
export function endOfDay(date: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) return null;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]), 23, 59, 59, 0);
  if (d.getFullYear() !== Number(m[1]) || d.getMonth() !== Number(m[2]) - 1 || d.getDate() !== Number(m[3])) return null;
  return d.toISOString();
}

/** `YYYY-MM-DD` (local) of a time, for a date input. */
export function dateInput(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

export type ExpiryChoice =
  | { kind: 'never' }
  | { kind: 'days'; days: number }
  | { kind: 'at'; expiresAt: string }
  | { kind: 'invalid'; error: string };

/** What an expiry select (`never`, a number of days, or `custom` with a date) stands for. */
export function expiryChoice(value: string, customDate: string, now: number = Date.now()): ExpiryChoice {
  if (value === CUSTOM_EXPIRY) {
    const at = endOfDay(customDate);
    if (!at) return { kind: 'invalid', error: 'Pick the date the key stops working.' };
    if (Date.parse(at) <= now) return { kind: 'invalid', error: 'The expiry date must be in the future.' };
    return { kind: 'at', expiresAt: at };
  }
  const option = EXPIRY_OPTIONS.find((o) => o.value === value);
  if (!option || option.days === null) return { kind: 'never' };
  return { kind: 'days', days: option.days };
}

/** When a choice makes the key expire (ISO), or null for never / invalid. */
export function expiryDate(choice: ExpiryChoice, now: number = Date.now()): string | null {
  if (choice.kind === 'days') return new Date(now + choice.days * DAY_MS).toISOString();
  if (choice.kind === 'at') return choice.expiresAt;
  return null;
}

function plural(n: number, unit: string): string {
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

/** Calendar days (local time) from `now` to `at`: 0 on the same day, negative before. */
export function calendarDays(at: number, now: number = Date.now()): number {
  const a = new Date(now);
  a.setHours(0, 0, 0, 0);
  const b = new Date(at);
  b.setHours(0, 0, 0, 0);
  return Math.round((b.getTime() - a.getTime()) / DAY_MS);
}

/** "in 12 days", "in 5 hours", "today": how far away a future time is. */
export function untilText(at: number, now: number = Date.now()): string {
  const diff = at - now;
  if (diff < DAY_MS) return diff <= 0 ? 'now' : `in ${plural(Math.max(1, Math.ceil(diff / 3_600_000)), 'hour')}`;
  return `in ${plural(Math.max(1, calendarDays(at, now)), 'day')}`;
}

/** "Expires in 12 days", "Expires in 5 hours", "Expired 3 days ago", "Never"; "—" once revoked. */
export function expiryText(key: Pick<ApiKey, 'status' | 'expiresAt'>, now: number = Date.now()): string {
  if (key.status === 'REVOKED') return '—';
  if (!key.expiresAt) return 'Never';
  const at = Date.parse(key.expiresAt);
  if (Number.isNaN(at)) return key.expiresAt;
  if (at <= now) {
    const days = -calendarDays(at, now);
    return days <= 0 ? 'Expired today' : `Expired ${plural(days, 'day')} ago`;
  }
  return `Expires ${untilText(at, now)}`;
}

/** Whole days since the key was created. */
export function ageDays(key: Pick<ApiKey, 'createdAt'>, now: number = Date.now()): number {
  const at = Date.parse(key.createdAt);
  return Number.isNaN(at) ? 0 : Math.floor((now - at) / DAY_MS);
}

/** An active key, not yet rotated, created at least 90 days ago: rotating it is advised. */
export function rotationDue(
  key: Pick<ApiKey, 'status' | 'createdAt'> & { rotatedTo?: { id: string } | null },
  now: number = Date.now(),
  advisedDays: number = ROTATION_ADVISED_DAYS,
): boolean {
  return key.status === 'ACTIVE' && !key.rotatedTo && ageDays(key, now) >= advisedDays;
}

/** The scopes the viewer may grant (`Entity.viewerGrantableScopes`; null: every scope). */
export function canGrant(scope: string, grantable: ReadonlySet<string> | null): boolean {
  return grantable === null || grantable.has(scope);
}

/** A preset's scopes the viewer may not grant (empty: the preset can be used). */
export function ungrantable(scopes: readonly string[], grantable: ReadonlySet<string> | null): string[] {
  return grantable === null ? [] : scopes.filter((s) => !grantable.has(s));
}

/** Write scopes are elevated: they change data, so a key holding them deserves a reason. */
export function isElevated(scope: { access: string }): boolean {
  return scope.access === 'write';
}

export const GRACE_OPTIONS: { seconds: number; label: string; hint: string }[] = [
  { seconds: 0, label: 'Immediately (0 h)', hint: 'The current key stops working right away.' },
  { seconds: 3600, label: '1 hour', hint: 'Both keys work for one hour.' },
  { seconds: 86_400, label: '24 hours', hint: 'Both keys work for a day. Recommended.' },
  { seconds: 604_800, label: '7 days', hint: 'Both keys work for a week.' },
];
export const DEFAULT_GRACE_SECONDS = 86_400;

/** A preset's scopes, one line per access (`read: accounts, orders`), elevated ones marked. */
export function scopeLines(
  scopes: readonly string[],
  elevated: ReadonlySet<string>,
): { access: string; elevated: boolean; resources: string[] }[] {
  const lines: { access: string; elevated: boolean; resources: string[] }[] = [];
  for (const scope of scopes) {
    const cut = scope.lastIndexOf(':');
    const resource = cut > 0 ? scope.slice(0, cut) : scope;
    const access = cut > 0 ? scope.slice(cut + 1) : '';
    let line = lines.find((l) => l.access === access);
    if (!line) {
      line = { access, elevated: false, resources: [] };
      lines.push(line);
    }
    line.resources.push(resource);
    if (elevated.has(scope)) line.elevated = true;
  }
  return lines;
}
