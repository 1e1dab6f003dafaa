import { describe, expect, it } from 'vitest';
import { liveModeEditable, settingsChanges, validateSettings, type SettingsDraft } from './entitySettings';

const saved = {
  apiAccessEnabled: true,
  liveModeEnabled: false,
  rateLimitPerSecond: 10,
  rateLimitBurst: 20,
  rateLimitOverridden: false,
  logCaptureBodies: false,
  logRetentionDays: 30,
  leakedKeyAction: 'REVOKE' as const,
};
const draft = (patch: Partial<SettingsDraft> = {}): SettingsDraft => ({
  apiAccessEnabled: true,
  liveModeEnabled: false,
  rateLimitPerSecond: '10',
  rateLimitBurst: '20',
  logCaptureBodies: false,
  logRetentionDays: '30',
  leakedKeyAction: 'REVOKE',
  ...patch,
});

describe('entity settings form', () => {
  it('sends only what changed', () => {
    expect(settingsChanges(saved, draft())).toBeNull();
    expect(settingsChanges(saved, draft({ apiAccessEnabled: false, logRetentionDays: '7' }))).toEqual({
      apiAccessEnabled: false,
      logRetentionDays: 7,
    });
    expect(settingsChanges(saved, draft({ rateLimitPerSecond: '2.5' }))).toEqual({ rateLimitPerSecond: 2.5 });
    expect(settingsChanges(saved, draft({ liveModeEnabled: true }))).toEqual({ liveModeEnabled: true });
    expect(settingsChanges(saved, draft({ leakedKeyAction: 'FLAG' }))).toEqual({
      leakedKeyAction: 'FLAG',
    });
  });

  it('lets owners only switch live mode', () => {
    expect(liveModeEditable('OWNER')).toBe(true);
    expect(liveModeEditable('ADMIN')).toBe(false);
  });

  it('refuses blank, zero, negative and fractional values where whole numbers are needed', () => {
    expect(validateSettings(draft())).toEqual({});
    const errors = validateSettings(draft({ rateLimitPerSecond: '0', rateLimitBurst: '1.5', logRetentionDays: '' }));
    expect(Object.keys(errors).sort()).toEqual(['logRetentionDays', 'rateLimitBurst', 'rateLimitPerSecond']);
  });
});
