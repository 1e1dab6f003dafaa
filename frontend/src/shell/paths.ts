// The portal's URLs. Every view has one:
//   /entities/{entityId}/developers/{tab}?{the tab's filters}
// The test/live mode a tab shows (`mode=test|live`) carries over when switching tab or entity.

export interface TabDef {
  id: string;
  label: string;
  /** Placeholder tabs are filled in by later work. */
  placeholder: boolean;
}

export const TABS: readonly TabDef[] = [
  { id: 'team', label: 'Team', placeholder: false },
  { id: 'api-keys', label: 'API keys', placeholder: false },
  { id: 'webhooks', label: 'Webhooks', placeholder: false },
  { id: 'logs', label: 'Logs', placeholder: false },
  { id: 'analytics', label: 'Analytics', placeholder: false },
  { id: 'audit-log', label: 'Audit log', placeholder: true },
];

export const DEFAULT_TAB = 'team';

export function isTab(id: string | undefined | null): boolean {
  return !!id && TABS.some((t) => t.id === id);
}

/** `live` or `test` when the search names a mode, else null. */
export function modeParam(search: string | URLSearchParams): 'live' | 'test' | null {
  const params = typeof search === 'string' ? new URLSearchParams(search) : search;
  const mode = params.get('mode')?.toLowerCase();
  return mode === 'live' || mode === 'test' ? mode : null;
}

/** The URL of a tab; `mode` (from the current URL) is carried over. */
export function tabPath(entityId: string, tab: string, mode: 'live' | 'test' | null = null): string {
  const path = `/entities/${encodeURIComponent(entityId)}/developers/${tab}`;
  return mode ? `${path}?mode=${mode}` : path;
}
