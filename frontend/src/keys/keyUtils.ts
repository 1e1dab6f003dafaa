// Helpers for the API keys tab and its dialogs.

import type { ApiKeyFieldsFragment, ScopeCatalogQuery } from '../gql/graphql';

export type ApiKey = ApiKeyFieldsFragment;
export type KeyPolicy = ScopeCatalogQuery['apiKeyPolicy'];
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

export interface ExpiryOption {
  value: string;
  label: string;
  days: number | null;
}

/** The deployment's policy before `apiKeyPolicy` has answered (the server's defaults). */
export const DEFAULT_POLICY: KeyPolicy = {
  expiryRequired: false,
  maxLifetimeDays: null,
  expiryPresetDays: [30, 90, 180, 365],
  expiringSoonDays: 14,
  rotationAdvisedDays: 90,
};

/** The expiry presets the server accepts: its presets (within the cap), and "never" unless an expiry is required. */
export function expiryOptions(policy: KeyPolicy = DEFAULT_POLICY): ExpiryOption[] {
  const options: ExpiryOption[] = policy.expiryRequired ? [] : [{ value: 'never', label: 'Never', days: null }];
  for (const days of policy.expiryPresetDays) options.push({ value: String(days), label: `${days} days`, days });
  return options;
}

/** The first choice of a new key's expiry: never, or (expiry required) the longest preset. */
export function defaultExpiryValue(policy: KeyPolicy = DEFAULT_POLICY): string {
  const options = expiryOptions(policy);
  if (!policy.expiryRequired) return 'never';
  const longest = options[options.length - 1];
  return longest ? longest.value : CUSTOM_EXPIRY;
}

/** What the policy says about expiry, for the field's hint. */
export function policyText(policy: KeyPolicy): string | null {
  const parts: string[] = [];
  if (policy.expiryRequired) parts.push('This deployment requires keys to expire');
  if (policy.maxLifetimeDays !== null) parts.push(`keys may live at most ${plural(policy.maxLifetimeDays, 'day')}`);
  if (parts.length === 0) return null;
  const text = parts.join('; ');
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;
}

/** The justification asked when granting an elevated scope: one line of 1 to 200 characters. */
export const MAX_JUSTIFICATION = 200;

export function justificationError(text: string): string | null {
  const value = text.trim();
  if (!value) return 'Say why this key needs elevated scopes.';
  if (/[\r\n]/.test(value)) return 'The justification must be a single line.';
  if (value.length > MAX_JUSTIFICATION) return `At most ${MAX_JUSTIFICATION} characters.`;
  return null;
}

/** The elevated scopes among `scopes` (the catalog's `elevated` flag, not a name check). */
export function elevatedScopes(scopes: Iterable<string>, resources: readonly ScopeResource[]): string[] {
  const wanted = new Set(scopes);
  return resources.flatMap((r) => r.scopes.filter((s) => s.elevated && wanted.has(s.name)).map((s) => s.name));
}
/** The expiry choice "a date of my own" (with a date input). */
export const CUSTOM_EXPIRY = 'custom';

export const DAY_MS = 86_400_000;

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

/** The last day a custom date may name under the policy's cap (YYYY-MM-DD), or null without a cap. */
export function maxExpiryDate(policy: KeyPolicy, now: number = Date.now()): string | null {
  return policy.maxLifetimeDays === null ? null : dateInput(now + policy.maxLifetimeDays * DAY_MS);
}

/**
 * What an expiry select (`never`, a number of days, or `custom` with a date) stands for, within the
 * policy: "never" is invalid when an expiry is required, a date beyond the cap is refused.
 */
export function expiryChoice(
  value: string,
  customDate: string,
  now: number = Date.now(),
  policy: KeyPolicy = DEFAULT_POLICY,
): ExpiryChoice {
  if (value === CUSTOM_EXPIRY) {
    let at = endOfDay(customDate);
    if (!at) return { kind: 'invalid', error: 'Pick the date the key stops working.' };
    if (Date.parse(at) <= now) return { kind: 'invalid', error: 'The expiry date must be in the future.' };
    if (policy.maxLifetimeDays !== null) {
      const cap = now + policy.maxLifetimeDays * DAY_MS;
      if (customDate > dateInput(cap)) {
        return { kind: 'invalid', error: `Keys may live at most ${plural(policy.maxLifetimeDays, 'day')} in this deployment.` };
      }
      // The last allowed day ends at the cap itself, not at midnight after it.
      if (Date.parse(at) > cap) at = new Date(cap).toISOString();
    }
    return { kind: 'at', expiresAt: at };
  }
  const option = expiryOptions(policy).find((o) => o.value === value);
  if (!option || option.days === null) {
    return policy.expiryRequired ? { kind: 'invalid', error: 'This deployment requires an expiry.' } : { kind: 'never' };
  }
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

/** A per-key rate limit as shown: "5 req/s, burst 10", or the entity's. */
export function rateLimitText(key: Pick<ApiKey, 'rateLimitPerSecond' | 'rateLimitBurst'>): string {
  if (key.rateLimitPerSecond == null && key.rateLimitBurst == null) return "Entity's default";
  const parts: string[] = [];
  parts.push(key.rateLimitPerSecond != null ? `${key.rateLimitPerSecond} req/s` : "entity's rate");
  parts.push(key.rateLimitBurst != null ? `burst ${key.rateLimitBurst}` : "entity's burst");
  return parts.join(', ');
}

export interface RateLimitInput {
  rateLimitPerSecond: number | null;
  rateLimitBurst: number | null;
}

/** The rate limit fields (blank: the entity's), checked as the server checks them. */
export function parseRateLimit(
  perSecond: string,
  burst: string,
): { value: RateLimitInput; errors: { rateLimitPerSecond?: string; rateLimitBurst?: string } } {
  const errors: { rateLimitPerSecond?: string; rateLimitBurst?: string } = {};
  let rate: number | null = null;
  let size: number | null = null;
  if (perSecond.trim()) {
    rate = Number(perSecond.trim());
    if (!Number.isFinite(rate) || rate <= 0 || rate > 100_000) {
      errors.rateLimitPerSecond = 'A rate above 0, at most 100000 per second.';
      rate = null;
    }
  }
  if (burst.trim()) {
    size = Number(burst.trim());
    if (!Number.isInteger(size) || size < 1 || size > 1_000_000) {
      errors.rateLimitBurst = 'A whole number from 1 to 1000000.';
      size = null;
    }
  }
  return { value: { rateLimitPerSecond: rate, rateLimitBurst: size }, errors };
}

/** Whole days since the key was created. */
export function ageDays(key: Pick<ApiKey, 'createdAt'>, now: number = Date.now()): number {
  const at = Date.parse(key.createdAt);
  return Number.isNaN(at) ? 0 : Math.floor((now - at) / DAY_MS);
}


/** The scopes the viewer may grant (`Entity.viewerGrantableScopes`; null: every scope). */
export function canGrant(scope: string, grantable: ReadonlySet<string> | null): boolean {
  return grantable === null || grantable.has(scope);
}

/** A preset's scopes the viewer may not grant (empty: the preset can be used). */
export function ungrantable(scopes: readonly string[], grantable: ReadonlySet<string> | null): string[] {
  return grantable === null ? [] : scopes.filter((s) => !grantable.has(s));
}

/** Elevated scopes (the catalog says which: every write, and any it marks) need a justification. */
export function isElevated(scope: { elevated: boolean }): boolean {
  return scope.elevated;
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
