import { describe, expect, it } from 'vitest';
import {
  createRoleInput,
  draftFromRole,
  parseRoleValue,
  roleOptions,
  roleValue,
  toggle,
  updateRoleInput,
  validateRoleDraft,
} from './teamUtils';

describe('team', () => {
  it('encodes built-in and custom roles as one select value', () => {
    expect(roleValue('ADMIN', null)).toBe('ADMIN');
    expect(roleValue('CUSTOM', 'rol_1')).toBe('custom:rol_1');
    expect(parseRoleValue('custom:rol_1')).toEqual({ role: 'CUSTOM', customRoleId: 'rol_1' });
    expect(parseRoleValue('STAFF')).toEqual({ role: 'STAFF', customRoleId: null });
    const options = roleOptions([{ id: 'rol_1', name: 'Auditor', permissions: ['audit.read'], grantableScopes: null }]);
    expect(options.map((o) => o.value)).toEqual(['OWNER', 'ADMIN', 'MANAGER', 'STAFF', 'custom:rol_1']);
  });

  it('validates the custom role form', () => {
    expect(validateRoleDraft(draftFromRole(null))).toEqual({
      name: 'Give the role a name.',
      permissions: 'Choose at least one permission.',
    });
    expect(
      validateRoleDraft({ name: 'Keys', permissions: ['api_keys.manage'], limitScopes: true, scopes: [] }).scopes,
    ).toBeTruthy();
    expect(validateRoleDraft({ name: 'Logs', permissions: ['logs.read'], limitScopes: false, scopes: [] })).toEqual({});
  });

  it('builds create and update inputs, lifting or setting the scope limit', () => {
    const limited = { name: ' Keys ', permissions: ['logs.read', 'api_keys.manage'], limitScopes: true, scopes: ['orders:read'] };
    expect(createRoleInput('ent_1', limited)).toEqual({
      entityId: 'ent_1',
      name: 'Keys',
      permissions: ['api_keys.manage', 'logs.read'],
      grantableScopes: ['orders:read'],
    });
    expect(updateRoleInput('ent_1', 'rol_1', { ...limited, limitScopes: false })).toMatchObject({ unlimitedScopes: true });
    expect(updateRoleInput('ent_1', 'rol_1', limited)).toMatchObject({ grantableScopes: ['orders:read'] });
    expect(createRoleInput('ent_1', { ...limited, limitScopes: false }).grantableScopes).toBeNull();
  });

  it('toggles list items', () => {
    expect(toggle(['a'], 'b', true)).toEqual(['a', 'b']);
    expect(toggle(['a', 'b'], 'a', false)).toEqual(['b']);
    expect(toggle(['a'], 'a', true)).toEqual(['a']);
  });
});
