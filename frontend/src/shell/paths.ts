// The portal's URLs. Every view has one:
//   /entities/{entityId}/developers/{tab}?mode=test|live&{the tab's filters}
// The page's Test/Live mode (`mode=test|live`) is always in the URL and carries over when switching
// tab or entity; `/admin/entities` is the site admins' entity search.

/**
 * A permission that opens a tab; `ADMIN_ONLY` tabs are for owners and admins; `ANY_DEVELOPER` tabs
 * (reading material) for everyone who may open the Developers page.
 */
export type TabRequirement = string | 'ADMIN_ONLY' | 'ANY_DEVELOPER';

export interface TabDef {
  id: string;
  label: string;
  /** Placeholder tabs are filled in by later work. */
  placeholder: boolean;
  /** What the viewer needs to be offered the tab. */
  requires: TabRequirement;
}

export const TABS: readonly TabDef[] = [
  { id: 'api-keys', label: 'API keys', placeholder: false, requires: 'api_keys.manage' },
  { id: 'webhooks', label: 'Webhooks', placeholder: false, requires: 'webhooks.manage' },
  { id: 'postman', label: 'Postman', placeholder: false, requires: 'api_keys.manage' },
  { id: 'logs', label: 'Logs', placeholder: false, requires: 'logs.read' },
  { id: 'analytics', label: 'Analytics', placeholder: false, requires: 'analytics.read' },
  { id: 'attention', label: 'Needs attention', placeholder: false, requires: 'analytics.read' },
  { id: 'docs', label: 'Docs', placeholder: false, requires: 'ANY_DEVELOPER' },
  { id: 'sdks', label: 'SDKs', placeholder: false, requires: 'ANY_DEVELOPER' },
  { id: 'audit-log', label: 'Audit log', placeholder: false, requires: 'audit.read' },
  { id: 'team', label: 'Team', placeholder: false, requires: 'members.manage' },
  { id: 'settings', label: 'Entity settings', placeholder: false, requires: 'ADMIN_ONLY' },
];

/** The tab the page opens on when the viewer may use it (else their first usable tab). */
export const DEFAULT_TAB = 'api-keys';

export const ADMIN_ENTITIES_PATH = '/admin/entities';

export type PageMode = 'test' | 'live';

/** The mode a page shows when the URL names none: Test first, as the product docs advise. */
export const DEFAULT_MODE: PageMode = 'test';

export function isTab(id: string | undefined | null): boolean {
  return !!id && TABS.some((t) => t.id === id);
}

/** `live` or `test` when the search names a mode, else null. */
export function modeParam(search: string | URLSearchParams): PageMode | null {
  const params = typeof search === 'string' ? new URLSearchParams(search) : search;
  const mode = params.get('mode')?.toLowerCase();
  return mode === 'live' || mode === 'test' ? mode : null;
}

/** The URL of a tab; `mode` (from the current URL) is carried over. */
export function tabPath(entityId: string, tab: string, mode: PageMode | null = null): string {
  const path = `/entities/${encodeURIComponent(entityId)}/developers/${tab}`;
  return mode ? `${path}?mode=${mode}` : path;
}

/** `search` with its `mode` set to `mode` (first), every other parameter kept in order. */
export function withMode(search: string, mode: PageMode): string {
  const params = new URLSearchParams(search);
  const out = new URLSearchParams();
  out.set('mode', mode);
  for (const [name, value] of params) if (name !== 'mode') out.append(name, value);
  return `?${out.toString()}`;
}
