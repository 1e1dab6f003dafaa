// The entity settings form: its draft (text fields as typed), validation, and the changed fields.

import type { EntityApiSettingsFieldsFragment, LeakedKeyAction, UpdateEntityApiSettingsInput } from '../gql/graphql';

export interface SettingsDraft {
  apiAccessEnabled: boolean;
  /** Owners only (the server refuses anyone else). */
  liveModeEnabled: boolean;
  rateLimitPerSecond: string;
  rateLimitBurst: string;
  logCaptureBodies: boolean;
  logRetentionDays: string;
  /** What a secret-scanning report of one of the entity's keys does. */
  leakedKeyAction: LeakedKeyAction;
}

export type SettingsErrors = Partial<Record<'rateLimitPerSecond' | 'rateLimitBurst' | 'logRetentionDays', string>>;

function isInteger(text: string): boolean {
  return /^\d+$/.test(text.trim());
}

export function validateSettings(d: SettingsDraft): SettingsErrors {
  const errors: SettingsErrors = {};
  const rate = Number(d.rateLimitPerSecond);
  if (d.rateLimitPerSecond.trim() === '' || !Number.isFinite(rate) || rate <= 0) {
    errors.rateLimitPerSecond = 'Enter a number of requests per second above 0.';
  }
  if (!isInteger(d.rateLimitBurst) || Number(d.rateLimitBurst) < 1) errors.rateLimitBurst = 'Enter a whole number, 1 or more.';
  if (!isInteger(d.logRetentionDays) || Number(d.logRetentionDays) < 1) {
    errors.logRetentionDays = 'Enter a whole number of days, 1 or more.';
  }
  return errors;
}

/** Only the fields that differ from the saved settings; null when nothing changed. */
export function settingsChanges(
  saved: EntityApiSettingsFieldsFragment,
  d: SettingsDraft,
): Omit<UpdateEntityApiSettingsInput, 'entityId'> | null {
  const out: Omit<UpdateEntityApiSettingsInput, 'entityId'> = {};
  if (d.apiAccessEnabled !== saved.apiAccessEnabled) out.apiAccessEnabled = d.apiAccessEnabled;
  if (d.liveModeEnabled !== saved.liveModeEnabled) out.liveModeEnabled = d.liveModeEnabled;
  if (Number(d.rateLimitPerSecond) !== saved.rateLimitPerSecond) out.rateLimitPerSecond = Number(d.rateLimitPerSecond);
  if (Number(d.rateLimitBurst) !== saved.rateLimitBurst) out.rateLimitBurst = Number(d.rateLimitBurst);
  if (d.logCaptureBodies !== saved.logCaptureBodies) out.logCaptureBodies = d.logCaptureBodies;
  if (Number(d.logRetentionDays) !== saved.logRetentionDays) out.logRetentionDays = Number(d.logRetentionDays);
  if (d.leakedKeyAction !== saved.leakedKeyAction) out.leakedKeyAction = d.leakedKeyAction;
  return Object.keys(out).length > 0 ? out : null;
}

/** Who may switch live mode: owners only; anyone else sees it read-only, with why. */
export function liveModeEditable(role: string): boolean {
  return role === 'OWNER';
}

export const LIVE_MODE_OWNER_ONLY =
  'Only an owner can change this: live keys and webhook endpoints act on real data, so an owner confirms the entity is production-ready.';
