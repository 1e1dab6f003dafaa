// The Audit log tab's filters, kept in the URL (`?action=member.*&actor=ann@example.com&from=...&to=...`),
// and their GraphQL forms. Times are the browser's local `datetime-local` values.

import type { AuditEventFilter, CreateAuditExportInput, ExportFormat } from '../gql/graphql';
import { text } from '../shared/url/searchState';
import { DAY_MS } from '../shared/timeRange';

export const AUDIT_SPEC = {
  action: text('action', 100),
  actor: text('actor', 200),
  from: text('from', 40),
  to: text('to', 40),
};

export interface AuditFilterValues {
  action: string;
  actor: string;
  from: string;
  to: string;
}

export const PAGE_SIZE = 50;
/** The export's default period when the filter names no start. */
export const DEFAULT_EXPORT_DAYS = 30;

/** An ISO instant for a `datetime-local` (or ISO) value, or null when it is blank or not a time. */
export function toInstant(value: string): string | null {
  const trimmed = value.trim();
  if (!trimmed) return null;
  const time = new Date(trimmed).getTime();
  return Number.isNaN(time) ? null : new Date(time).toISOString();
}

/** The `datetime-local` form (minutes, local time) of an instant. */
export function toLocalInput(instant: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${instant.getFullYear()}-${pad(instant.getMonth() + 1)}-${pad(instant.getDate())}` +
    `T${pad(instant.getHours())}:${pad(instant.getMinutes())}`
  );
}

/** An actor is named by email (anything with an `@`) or by user id. */
export function actorKind(actor: string): 'email' | 'id' | null {
  const trimmed = actor.trim();
  if (!trimmed) return null;
  return trimmed.includes('@') ? 'email' : 'id';
}

export function toEventFilter(values: AuditFilterValues): AuditEventFilter {
  const filter: AuditEventFilter = {};
  const action = values.action.trim();
  if (action) filter.action = action;
  const kind = actorKind(values.actor);
  if (kind === 'email') filter.actorEmail = values.actor.trim();
  if (kind === 'id') filter.actorId = values.actor.trim();
  const from = toInstant(values.from);
  const to = toInstant(values.to);
  if (from) filter.from = from;
  if (to) filter.to = to;
  return filter;
}

/** A problem with the filters worth telling the user, or null. */
export function filterProblem(values: AuditFilterValues): string | null {
  if (values.from.trim() && !toInstant(values.from)) return 'The start is not a valid time.';
  if (values.to.trim() && !toInstant(values.to)) return 'The end is not a valid time.';
  const from = toInstant(values.from);
  const to = toInstant(values.to);
  if (from && to && from >= to) return 'The start must be before the end.';
  return null;
}

/**
 * The export of what the filters show: their range (by default the last 30 days, up to now), their
 * action, and their actor when it is a user id (an export cannot filter by email).
 */
export function toExportInput(
  entityId: string,
  values: AuditFilterValues,
  format: ExportFormat,
  now: number = Date.now(),
): CreateAuditExportInput {
  const to = toInstant(values.to) ?? new Date(now).toISOString();
  const from = toInstant(values.from) ?? new Date(new Date(to).getTime() - DEFAULT_EXPORT_DAYS * DAY_MS).toISOString();
  const input: CreateAuditExportInput = { entityId, format, from, to };
  const action = values.action.trim();
  if (action) input.action = action;
  if (actorKind(values.actor) === 'id') input.actorId = values.actor.trim();
  return input;
}
