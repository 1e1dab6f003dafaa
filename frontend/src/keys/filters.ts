// The API keys tab's filters, kept in the URL: ?mode=live|test&status=active|expiring|expired|revoked&q=…

import type { ApiKeyStatus, EntityApiKeysQueryVariables, Mode } from '../gql/graphql';
import { oneOf, text, type Values } from '../shared/url/searchState';

export const PAGE_SIZE = 25;
export const EXPIRING_WITHIN_DAYS = 14;

const MODES = ['ALL', 'LIVE', 'TEST'] as const satisfies readonly ('ALL' | Mode)[];
const STATUSES = ['ALL', 'ACTIVE', 'EXPIRING', 'EXPIRED', 'REVOKED'] as const satisfies readonly (
  | 'ALL'
  | 'EXPIRING'
  | ApiKeyStatus
)[];

export const KEY_FILTERS = {
  mode: oneOf('mode', MODES, 'ALL'),
  status: oneOf('status', STATUSES, 'ALL'),
  search: text('q'),
};

export type KeyFilters = Values<typeof KEY_FILTERS>;

export function isFiltered(filters: KeyFilters): boolean {
  return filters.mode !== 'ALL' || filters.status !== 'ALL' || filters.search.trim() !== '';
}

/** The `EntityApiKeys` variables for these filters. */
export function keysVariables(entityId: string, filters: KeyFilters, after: string | null): EntityApiKeysQueryVariables {
  const search = filters.search.trim();
  return {
    id: entityId,
    mode: filters.mode === 'ALL' ? null : filters.mode,
    status: filters.status === 'ALL' ? null : filters.status === 'EXPIRING' ? ['ACTIVE'] : [filters.status],
    expiringWithinDays: filters.status === 'EXPIRING' ? EXPIRING_WITHIN_DAYS : null,
    search: search.length > 0 ? search : null,
    first: PAGE_SIZE,
    after,
  };
}
