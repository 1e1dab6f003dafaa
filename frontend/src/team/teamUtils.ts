// Team tab logic: role choices (built-in and custom) as one select value, the keys a member created,
// and the custom role form.

import type {
  CreateCustomRoleInput,
  CustomRoleFieldsFragment,
  MemberFieldsFragment,
  Role,
  UpdateCustomRoleInput,
} from '../gql/graphql';

export type Member = MemberFieldsFragment;
export type CustomRole = CustomRoleFieldsFragment;

export const BUILT_IN_ROLES: readonly { role: Exclude<Role, 'CUSTOM'>; label: string; hint: string }[] = [
  { role: 'OWNER', label: 'Owner', hint: 'Everything, including owners' },
  { role: 'ADMIN', label: 'Admin', hint: 'Developer settings and members' },
  { role: 'MANAGER', label: 'Manager', hint: 'No developer settings' },
  { role: 'STAFF', label: 'Staff', hint: 'No developer settings' },
];

const CUSTOM_PREFIX = 'custom:';

/** One select value per role: `OWNER`… or `custom:<id>`. */
export function roleValue(role: Role, customRoleId: string | null | undefined): string {
  return role === 'CUSTOM' && customRoleId ? `${CUSTOM_PREFIX}${customRoleId}` : role;
}

export function parseRoleValue(value: string): { role: Role; customRoleId: string | null } {
  if (value.startsWith(CUSTOM_PREFIX)) return { role: 'CUSTOM', customRoleId: value.slice(CUSTOM_PREFIX.length) };
  return { role: value as Role, customRoleId: null };
}

export function roleOptions(customRoles: readonly CustomRole[]): { value: string; label: string; group: 'built-in' | 'custom' }[] {
  return [
    ...BUILT_IN_ROLES.map((r) => ({ value: r.role as string, label: r.label, group: 'built-in' as const })),
    ...customRoles.map((c) => ({ value: roleValue('CUSTOM', c.id), label: c.name, group: 'custom' as const })),
  ];
}


export interface RoleDraft {
  name: string;
  permissions: string[];
  /** False: holders may grant every scope. */
  limitScopes: boolean;
  scopes: string[];
}

export function draftFromRole(role: CustomRole | null): RoleDraft {
  if (!role) return { name: '', permissions: [], limitScopes: false, scopes: [] };
  return {
    name: role.name,
    permissions: [...role.permissions],
    limitScopes: role.grantableScopes !== null,
    scopes: [...(role.grantableScopes ?? [])],
  };
}

export function validateRoleDraft(d: RoleDraft): Partial<Record<'name' | 'permissions' | 'scopes', string>> {
  const errors: Partial<Record<'name' | 'permissions' | 'scopes', string>> = {};
  if (d.name.trim() === '') errors.name = 'Give the role a name.';
  else if (d.name.trim().length > 100) errors.name = 'Use at most 100 characters.';
  if (d.permissions.length === 0) errors.permissions = 'Choose at least one permission.';
  if (d.limitScopes && d.permissions.includes('api_keys.manage') && d.scopes.length === 0) {
    errors.scopes = 'Choose the scopes holders may grant, or allow every scope.';
  }
  return errors;
}

export function createRoleInput(entityId: string, d: RoleDraft): CreateCustomRoleInput {
  return {
    entityId,
    name: d.name.trim(),
    permissions: [...d.permissions].sort(),
    grantableScopes: d.limitScopes ? [...d.scopes].sort() : null,
  };
}

export function updateRoleInput(entityId: string, id: string, d: RoleDraft): UpdateCustomRoleInput {
  return {
    entityId,
    id,
    name: d.name.trim(),
    permissions: [...d.permissions].sort(),
    ...(d.limitScopes ? { grantableScopes: [...d.scopes].sort() } : { unlimitedScopes: true }),
  };
}

export function toggle(list: readonly string[], item: string, on: boolean): string[] {
  const without = list.filter((x) => x !== item);
  return on ? [...without, item] : without;
}
