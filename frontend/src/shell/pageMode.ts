// The Developers page's Test/Live mode: one switch in the page header, kept in the URL
// (`?mode=test|live`); every tab reads it from there.

import { useCallback } from 'react';
import { useLocation, useNavigate } from 'react-router';
import type { Mode } from '../gql/graphql';
import { DEFAULT_MODE, modeParam, withMode, type PageMode } from './paths';

export interface PageModeValue {
  /** `test` or `live` (the default when the URL names none). */
  mode: PageMode;
  /** The same, as the GraphQL enum. */
  gqlMode: Mode;
  /** True when the URL names the mode (the page adds it when missing). */
  explicit: boolean;
  /** Switches the mode: a history entry, the tab's other parameters kept. */
  setMode: (mode: PageMode, options?: { pathname?: string }) => void;
}

export function toGqlMode(mode: PageMode): Mode {
  return mode === 'live' ? 'LIVE' : 'TEST';
}

export function usePageMode(): PageModeValue {
  const location = useLocation();
  const navigate = useNavigate();
  const named = modeParam(location.search);
  const mode = named ?? DEFAULT_MODE;
  const setMode = useCallback(
    (next: PageMode, options: { pathname?: string } = {}) => {
      const pathname = options.pathname ?? location.pathname;
      // A sub-view (another pathname) belongs to the previous mode: its own parameters are dropped.
      const search = options.pathname && options.pathname !== location.pathname ? '' : location.search;
      navigate({ pathname, search: withMode(search, next) });
    },
    [location.pathname, location.search, navigate],
  );
  return { mode, gqlMode: toGqlMode(mode), explicit: named !== null, setMode };
}
