// The load of an insight view's figures for its 24 h / 7 d window (a key's or endpoint's health panel,
// the Needs attention tab): the window switch's value, the newest answer wins (an older one arriving
// late is dropped), a failure becomes a StatusBlock state.

import { useCallback, useEffect, useRef, useState } from 'react';
import type { HealthWindow } from '../gql/graphql';
import { failureState, type BlockedState } from '../shared/ui/StatusBlock';

export const WINDOWS: { value: HealthWindow; label: string }[] = [
  { value: 'DAY', label: '24 h' },
  { value: 'WEEK', label: '7 d' },
];

/** The Logs tab's range for a window. */
export function windowRange(window: HealthWindow): '24h' | '7d' {
  return window === 'DAY' ? '24h' : '7d';
}

// `window`: the one the value is of (the switch may already show the next one, loading).
export type WindowedState<T> = BlockedState | { status: 'ready'; value: T; window: HealthWindow };

export interface WindowedLoad<T> {
  /** The switch's window (the one loading or loaded). */
  window: HealthWindow;
  setWindow: (window: HealthWindow) => void;
  state: WindowedState<T>;
  /** Loads the window's value again (the StatusBlock's retry). */
  reload: () => void;
}

/**
 * `fetch(window)` for the switch's window, again on a window or `version` change. Keep `fetch` stable
 * (useCallback): a new one loads again. With `keepShownWhileLoading` the previous value stays shown
 * (and an error stays) until the next answer; otherwise each load starts in the loading state.
 */
export function useWindowedLoad<T>(
  fetch: (window: HealthWindow) => Promise<T>,
  { keepShownWhileLoading = false, version = 0 }: { keepShownWhileLoading?: boolean; version?: number } = {},
): WindowedLoad<T> {
  const [window, setWindow] = useState<HealthWindow>('DAY');
  const [state, setState] = useState<WindowedState<T>>({ status: 'loading' });
  const seq = useRef(0);

  const reload = useCallback(() => {
    const mine = ++seq.current;
    if (!keepShownWhileLoading) setState({ status: 'loading' });
    fetch(window).then(
      (value) => {
        if (mine === seq.current) setState({ status: 'ready', value, window });
      },
      (err) => {
        if (mine === seq.current) setState(failureState(err));
      },
    );
  }, [fetch, window, keepShownWhileLoading]);

  useEffect(() => {
    reload();
    return () => {
      seq.current++;
    };
  }, [reload, version]);

  return { window, setWindow, state, reload };
}
