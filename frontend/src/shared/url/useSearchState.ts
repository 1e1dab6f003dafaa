import { useCallback, useMemo, useRef } from 'react';
import { useLocation, useNavigate } from 'react-router';
import { formatSearch, parseSearch, type Spec, type Values } from './searchState';

export interface UpdateOptions {
  /**
   * Successive updates with the same key share one history entry (the first pushes, the next
   * replace it), e.g. a search box updated as the user types. Any other update, or any navigation
   * in between (Back, a link), starts a new entry.
   */
  coalesce?: string;
  /** Replace the current history entry instead of pushing one. */
  replace?: boolean;
}

/**
 * Parameters the page owns (the Developers page's Test/Live `mode`): a tab's update keeps them in
 * the URL as they are, even when the tab's own spec would leave them out as its default, unless the
 * update itself sets them.
 */
export const PAGE_PARAMS: readonly string[] = ['mode'];

export function keepPageParams<S extends Spec>(
  spec: S,
  patch: Partial<Values<S>>,
  current: URLSearchParams,
  next: URLSearchParams,
): URLSearchParams {
  const touched = new Set(Object.keys(patch).map((key) => spec[key]?.name));
  const kept = PAGE_PARAMS.filter((name) => !touched.has(name) && current.get(name) !== null);
  if (kept.length === 0) return next;
  const out = new URLSearchParams();
  for (const name of kept) out.set(name, current.get(name) as string);
  for (const [name, value] of next) if (!kept.includes(name)) out.append(name, value);
  return out;
}

/**
 * A tab's filters, read from and written to the URL's search parameters, so a link opens the same
 * view, Back and Forward step through filter changes and a reload keeps them. Parameters the spec
 * does not own (e.g. an open dialog's) are kept.
 */
export function useSearchState<S extends Spec>(spec: S) {
  const location = useLocation();
  const navigate = useNavigate();
  const search = location.search;
  // Stable while the spec's own parameters stay the same (others, e.g. an open dialog's, may change).
  const parsed = parseSearch(spec, new URLSearchParams(search));
  const identity = formatSearch(spec, parsed).toString();
  // `identity` stands for `parsed` (the deps rule cannot see that).
  const values = useMemo(() => parsed, [spec, identity]);

  const latest = useRef({ search, pathname: location.pathname, hash: location.hash });
  latest.current = { search, pathname: location.pathname, hash: location.hash };
  /** The coalescing key of our last update and the search it produced. */
  const coalesced = useRef<{ key: string; search: string } | null>(null);

  const update = useCallback(
    (patch: Partial<Values<S>>, options: UpdateOptions = {}) => {
      const { search: currentSearch, pathname, hash } = latest.current;
      const current = new URLSearchParams(currentSearch);
      const next = keepPageParams(
        spec,
        patch,
        current,
        formatSearch(spec, { ...parseSearch(spec, current), ...patch }, current),
      ).toString();
      const nextSearch = next ? `?${next}` : '';
      const key = options.coalesce ?? null;
      const last = coalesced.current;
      const continuing = key !== null && last !== null && last.key === key && last.search === currentSearch;
      coalesced.current = key === null ? null : { key, search: nextSearch };
      if (nextSearch === currentSearch) return;
      latest.current = { ...latest.current, search: nextSearch };
      navigate({ pathname, search: nextSearch, hash }, { replace: options.replace ?? continuing });
    },
    [spec, navigate],
  );

  return [values, update] as const;
}

/**
 * A dialog whose subject is in the URL (`?{name}=id`), so a link opens it. Opening pushes a history
 * entry; closing goes back to the entry it was opened from, or (opened from a link) drops the
 * parameter in place.
 */
export function useSearchDialog(name: string) {
  const location = useLocation();
  const navigate = useNavigate();
  const value = new URLSearchParams(location.search).get(name) || null;
  const latest = useRef(location);
  latest.current = location;

  const open = useCallback(
    (id: string) => {
      const { pathname, search, hash } = latest.current;
      const params = new URLSearchParams(search);
      params.set(name, id);
      navigate({ pathname, search: `?${params}`, hash }, { state: { openedDialog: name } });
    },
    [name, navigate],
  );

  const close = useCallback(() => {
    const { pathname, search, hash, state } = latest.current;
    if ((state as { openedDialog?: string } | null)?.openedDialog === name) {
      navigate(-1);
      return;
    }
    const params = new URLSearchParams(search);
    params.delete(name);
    const rest = params.toString();
    navigate({ pathname, search: rest ? `?${rest}` : '', hash }, { replace: true });
  }, [name, navigate]);

  return [value, open, close] as const;
}
