// The page's Test/Live mode, `?mode=test|live` (default test). The page-level switch owns the
// parameter: the tabs read it and never rewrite it (a filter change keeps it exactly as it was, and
// a URL without it stays without it).

import type { Mode } from '../gql/graphql';
import { oneOf, type Param } from '../shared/url/searchState';

export type PageMode = '' | Mode;

/** A filter spec entry for `mode`: '' (absent) is the default, so it is never added or dropped. */
export function pageModeParam(): Param<PageMode> {
  return oneOf('mode', ['', 'TEST', 'LIVE'] as const, '');
}

/** The mode a tab shows: live only when the URL says so. */
export function modeOf(value: PageMode | string): Mode {
  return value === 'LIVE' ? 'LIVE' : 'TEST';
}
