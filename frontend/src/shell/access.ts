// Who may open Settings › Developers, and which of its tabs they are offered.

import type { Role } from '../gql/graphql';
import { TABS, type TabDef } from './paths';

/** Permissions that make a custom role a developer role. */
export const DEVELOPER_PERMISSIONS = ['api_keys.manage', 'webhooks.manage', 'logs.read', 'analytics.read', 'audit.read'] as const;

/** The seed's wording, shown whenever the Developers page is not available. */
export const DEVELOPERS_MISSING =
  'Developers tab is missing: confirm your role is owner or admin and the entity has API access enabled.';

export interface ViewerAccess {
  role: Role;
  permissions: readonly string[];
  apiAccessEnabled: boolean;
}

export type DevelopersAccess =
  | { status: 'open'; tabs: TabDef[] }
  /** API access is off: owners and admins still get the settings tab to turn it back on. */
  | { status: 'api-disabled'; tabs: TabDef[] }
  | { status: 'no-role'; tabs: [] };

export function isOwnerOrAdmin(role: Role): boolean {
  return role === 'OWNER' || role === 'ADMIN';
}

/** True for owners, admins and custom roles holding at least one developer permission. */
export function hasDeveloperRole(access: Pick<ViewerAccess, 'role' | 'permissions'>): boolean {
  if (isOwnerOrAdmin(access.role)) return true;
  if (access.role !== 'CUSTOM') return false;
  return DEVELOPER_PERMISSIONS.some((p) => access.permissions.includes(p));
}

/** The tabs the viewer can use, in page order. */
export function usableTabs(access: Pick<ViewerAccess, 'role' | 'permissions'>): TabDef[] {
  return TABS.filter((tab) =>
    tab.requires === 'ADMIN_ONLY'
      ? isOwnerOrAdmin(access.role)
      : tab.requires === 'ANY_DEVELOPER'
        ? hasDeveloperRole(access)
        : access.permissions.includes(tab.requires),
  );
}

export function developersAccess(access: ViewerAccess): DevelopersAccess {
  if (!hasDeveloperRole(access)) return { status: 'no-role', tabs: [] };
  const tabs = usableTabs(access);
  if (!access.apiAccessEnabled) {
    return { status: 'api-disabled', tabs: tabs.filter((t) => t.requires === 'ADMIN_ONLY') };
  }
  return { status: 'open', tabs };
}

/** The tab to open: the requested one if usable, else the default tab if usable, else the first. */
export function tabToOpen(tabs: readonly TabDef[], requested: string | undefined, fallback: string): string | null {
  if (requested && tabs.some((t) => t.id === requested)) return requested;
  if (tabs.some((t) => t.id === fallback)) return fallback;
  return tabs[0]?.id ?? null;
}
