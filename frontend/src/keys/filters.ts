// The API keys tab's filters, kept in the URL:
//   ?mode=test|live            the page's mode (shell/pageMode.ts owns it; not a filter here)
//   &status=all|expiring|expired|revoked   (default: active keys only)
//   &q=…                       name, description or key start
//   &creator=<user id>         keys created by that user (`createdById`)
//   &view=advice               the entity-wide advice (excess privilege, allowlist candidates)
//   &key=<key id>              the key's detail (its advice panel), over &days=7|30|90

import type { ApiKeyStatus, EntityApiKeysQueryVariables, Mode } from '../gql/graphql';
import { oneOf, text, type Values } from '../shared/url/searchState';

export const PAGE_SIZE = 25;
/** "Expiring soon" until apiKeyPolicy.expiringSoonDays has answered (the server's default). */
export const EXPIRING_WITHIN_DAYS = 14;

export const STATUSES = ['ACTIVE', 'ALL', 'EXPIRING', 'EXPIRED', 'REVOKED'] as const satisfies readonly (
  | 'ALL'
  | 'EXPIRING'
  | ApiKeyStatus
)[];

export const KEY_FILTERS = {
  status: oneOf('status', STATUSES, 'ACTIVE'),
  search: text('q'),
  creator: text('creator', 100),
  view: oneOf('view', ['KEYS', 'ADVICE'] as const, 'KEYS'),
  key: text('key', 64),
  days: oneOf('days', ['7', '30', '90'] as const, '30'),
};

export type KeyFilters = Values<typeof KEY_FILTERS>;

/** Narrower than the default view (the mode's active keys). */
export function isFiltered(filters: KeyFilters): boolean {
  return filters.status !== 'ACTIVE' || filters.search.trim() !== '' || filters.creator.trim() !== '';
}

/** The `EntityApiKeys` variables for these filters. */
export function keysVariables(
  entityId: string,
  filters: KeyFilters,
  mode: Mode,
  after: string | null,
  expiringSoonDays: number = EXPIRING_WITHIN_DAYS,
): EntityApiKeysQueryVariables {
  const search = filters.search.trim();
  return {
    id: entityId,
    mode,
    status: filters.status === 'ALL' ? null : filters.status === 'EXPIRING' ? ['ACTIVE'] : [filters.status],
    expiringWithinDays: filters.status === 'EXPIRING' ? expiringSoonDays : null,
    search: search.length > 0 ? search : null,
    createdById: filters.creator.trim() || null,
    first: PAGE_SIZE,
    after,
  };
}
