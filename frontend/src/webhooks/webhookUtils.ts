// Pure helpers of the Webhooks tab: event selection, display of statuses and rates, the "delivery is
// pending" rule, form parsing.

import type {
  WebhookAttemptFieldsFragment,
  WebhookDeliveryFieldsFragment,
  WebhookDeliveryStatus,
  WebhookEndpointFieldsFragment,
  WebhookEventTypesQuery,
} from '../gql/graphql';

export type WebhookEndpoint = WebhookEndpointFieldsFragment;
export type WebhookDelivery = WebhookDeliveryFieldsFragment & { payload: string; attempts: WebhookAttempt[] };
export type WebhookAttempt = WebhookAttemptFieldsFragment;
export type EventFamily = WebhookEventTypesQuery['webhookEventTypes'][number];
export type EventType = EventFamily['eventTypes'][number];

export interface DeliveryInfrastructure {
  jobAlive: boolean | null;
  dueCount: number;
  heldCount: number;
  oldestDueAt: string | null;
  oldestDueAgeSeconds: number | null;
}

export const PAGE_SIZE = 25;
export const DELIVERY_PAGE_SIZE = 20;
/** Due deliveries older than this mean the delivery job is behind (or stopped). */
export const STALE_DUE_SECONDS = 120;

export const DELIVERY_STATUSES: readonly WebhookDeliveryStatus[] = ['PENDING', 'HELD', 'SUCCEEDED', 'FAILED'];

export const GRACE_OPTIONS: readonly { seconds: number; label: string; hint: string }[] = [
  { seconds: 0, label: 'Immediately', hint: 'Deliveries are signed with the new secret only, starting now.' },
  { seconds: 3600, label: '1 hour', hint: 'Both secrets sign deliveries for an hour.' },
  { seconds: 86400, label: '24 hours', hint: 'The default: time to update the receiver during a working day.' },
  { seconds: 604800, label: '7 days', hint: 'The longest overlap allowed.' },
];
export const DEFAULT_GRACE_SECONDS = 86400;

// Event selection --------------------------------------------------------------------------------

/** `order.*` for the family `order`. */
export function familyPattern(family: string): string {
  return `${family}.*`;
}

/**
 * The subscription list for a selection: `*` when everything is selected, a family pattern when all
 * its types are, else the types themselves, in catalog order.
 */
export function compactSelection(families: EventFamily[], selected: ReadonlySet<string>): string[] {
  const all = families.flatMap((f) => f.eventTypes.map((t) => t.type));
  if (all.length > 0 && all.every((t) => selected.has(t))) return ['*'];
  const out: string[] = [];
  for (const family of families) {
    const types = family.eventTypes.map((t) => t.type);
    if (types.length > 0 && types.every((t) => selected.has(t))) out.push(familyPattern(family.family));
    else out.push(...types.filter((t) => selected.has(t)));
  }
  return out;
}

/** The concrete types an endpoint's subscription (`*`, `order.*`, `order.created`) covers. */
export function expandSelection(families: EventFamily[], subscribed: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const family of families) {
    for (const t of family.eventTypes) {
      if (subscribed.includes('*') || subscribed.includes(familyPattern(family.family)) || subscribed.includes(t.type)) {
        out.add(t.type);
      }
    }
  }
  return out;
}

/** True if the event type is delivered to an endpoint subscribed to `subscribed`. */
export function subscribes(subscribed: readonly string[], type: string): boolean {
  const family = type.split('.')[0];
  return subscribed.includes('*') || subscribed.includes(type) || subscribed.includes(familyPattern(family));
}

/** "All events" / the list, for the table. */
export function eventsLabel(eventTypes: readonly string[]): string {
  if (eventTypes.includes('*')) return 'All events';
  return eventTypes.join(', ');
}

// Display ----------------------------------------------------------------------------------------

export function formatSuccessRate(rate: number | null | undefined): string {
  if (rate === null || rate === undefined) return '—';
  const pct = rate * 100;
  if (pct === 100 || pct === 0) return `${pct.toFixed(0)}%`;
  return `${pct.toFixed(1)}%`;
}

export function statusLabel(status: WebhookEndpoint['status']): string {
  return status === 'ACTIVE' ? 'Active' : status === 'PAUSED' ? 'Paused' : 'Disabled';
}

export function deliveryStatusLabel(status: WebhookDeliveryStatus): string {
  switch (status) {
    case 'PENDING':
      return 'Pending';
    case 'HELD':
      return 'Held';
    case 'SUCCEEDED':
      return 'Succeeded';
    case 'FAILED':
      return 'Failed';
  }
}

/**
 * The plain note shown when deliveries are waiting on the infrastructure, or null: the delivery job
 * is known to be stopped, or the oldest due delivery has waited too long.
 */
export function pendingNote(infra: DeliveryInfrastructure | null | undefined): string | null {
  if (!infra) return null;
  if (infra.jobAlive === false) {
    return infra.dueCount > 0
      ? `Delivery is pending: ${infra.dueCount} ${infra.dueCount === 1 ? 'delivery is' : 'deliveries are'} waiting for the delivery service, which is not running right now. They will be sent when it is back.`
      : 'Delivery is pending: the delivery service is not running right now. Events are kept and sent when it is back.';
  }
  if (infra.dueCount > 0 && infra.oldestDueAgeSeconds !== null && infra.oldestDueAgeSeconds >= STALE_DUE_SECONDS) {
    const minutes = Math.round(infra.oldestDueAgeSeconds / 60);
    return `Delivery is pending: ${infra.dueCount} ${infra.dueCount === 1 ? 'delivery has' : 'deliveries have'} been waiting for up to ${minutes} min. They are kept and sent in order.`;
  }
  return null;
}

/** Pretty-prints a JSON text; other text is returned as is. */
export function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

export function jsonText(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

/** Parses an edited JSON payload: the object, or an error message. */
export function parseJsonObject(text: string): { ok: true; value: Record<string, unknown> } | { ok: false; error: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, error: `Not valid JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, error: 'The payload must be a JSON object.' };
  }
  return { ok: true, value: value as Record<string, unknown> };
}

/** An optional integer field: null when empty, a number in [min, max], or an error message. */
export function parseOptionalInt(raw: string, min: number, max: number): { ok: true; value: number | null } | { ok: false; error: string } {
  const text = raw.trim();
  if (text === '') return { ok: true, value: null };
  if (!/^\d+$/.test(text)) return { ok: false, error: `Enter a whole number from ${min} to ${max}, or leave it empty.` };
  const value = Number(text);
  if (value < min || value > max) return { ok: false, error: `Enter a whole number from ${min} to ${max}, or leave it empty.` };
  return { ok: true, value };
}

/** The URL check the form does before asking the server (which has the final word). */
export function urlError(raw: string): string | null {
  const text = raw.trim();
  if (text === '') return 'Enter the URL that receives the events.';
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'Enter a full URL, e.g. https://example.com/webhooks.';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'The URL must start with https:// (or http:// outside production).';
  if (url.username || url.password) return 'The URL must not contain a user name or password.';
  if (text.length > 2048) return 'The URL is longer than 2048 characters.';
  return null;
}

/** The value of a `<input type="datetime-local">` for a date (local time, minutes). */
export function toLocalInput(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** An ISO instant for a `datetime-local` value, or null when empty/invalid. */
export function fromLocalInput(value: string): string | null {
  if (!value) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** The attempt's headline: "200 in 35 ms", "TIMEOUT: …". */
export function attemptSummary(attempt: WebhookAttempt): string {
  const latency = `${Math.round(attempt.latencyMs)} ms`;
  if (attempt.errorClass && attempt.statusCode === null) return `${attempt.errorClass} after ${latency}`;
  return `HTTP ${attempt.statusCode ?? '—'} in ${latency}`;
}

/** A retry applies to any delivery: a finished one gets a new delivery, a pending one is due now. */
export function canRetry(delivery: WebhookDeliveryFieldsFragment): boolean {
  return delivery.status !== 'HELD';
}
