// Formatting and form helpers shared by the API keys tab and its dialogs.

import { GraphQLRequestError } from './graphql';
import type { ApiKey, ScopePreset } from './queries';

/** `pk_live_acme_8rgH…fwGF`: the stored start, an ellipsis, the last 4 characters. */
export function maskedKey(key: Pick<ApiKey, 'start' | 'last4'>): string {
  return `${key.start}…${key.last4}`;
}

const DATE = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
const DATE_TIME = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const RELATIVE = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

function parse(iso: string): Date | null {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? null : date;
}

export function formatDate(iso: string): string {
  const date = parse(iso);
  return date ? DATE.format(date) : iso;
}

export function formatDateTime(iso: string): string {
  const date = parse(iso);
  return date ? DATE_TIME.format(date) : iso;
}

/** A date, with the time when it is less than two days away (e.g. the end of a rotation grace period). */
export function formatExpiry(iso: string, now: number = Date.now()): string {
  const date = parse(iso);
  if (!date) return iso;
  return Math.abs(date.getTime() - now) < 2 * 86_400_000 ? DATE_TIME.format(date) : DATE.format(date);
}

/** "3 minutes ago", "yesterday", … */
export function formatRelative(iso: string, now: number = Date.now()): string {
  const date = parse(iso);
  if (!date) return iso;
  const seconds = Math.round((date.getTime() - now) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 45) return 'just now';
  if (abs < 3600) return RELATIVE.format(Math.round(seconds / 60), 'minute');
  if (abs < 86_400) return RELATIVE.format(Math.round(seconds / 3600), 'hour');
  if (abs < 30 * 86_400) return RELATIVE.format(Math.round(seconds / 86_400), 'day');
  return DATE.format(date);
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

export interface FormErrors<F extends string> {
  general: string | null;
  fields: Partial<Record<F, string>>;
}

export function noErrors<F extends string>(): FormErrors<F> {
  return { general: null, fields: {} };
}

/**
 * Maps a failed mutation onto a form: errors whose `extensions.field` names a form field go next to
 * it; everything else goes into the form's general alert.
 */
export function toFormErrors<F extends string>(err: unknown, fieldMap: Record<string, F>): FormErrors<F> {
  if (err instanceof GraphQLRequestError) {
    const mapped = err.field ? fieldMap[err.field] : undefined;
    if (mapped && (err.code === 'BAD_USER_INPUT' || err.code === 'FORBIDDEN')) {
      return { general: null, fields: { [mapped]: err.message } as Partial<Record<F, string>> };
    }
    if (err.code === 'FORBIDDEN') {
      return { general: `You don't have permission to do this. ${err.message}`, fields: {} };
    }
    return { general: err.message, fields: {} };
  }
  return { general: err instanceof Error ? err.message : String(err), fields: {} };
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
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
