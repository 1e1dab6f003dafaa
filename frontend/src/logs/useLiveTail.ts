import { useEffect, useMemo, useRef, useState } from 'react';
import { RequestLogTailDocument } from '../gql/graphql';
import { subscribe, type SubscriptionStatus } from '../shared/api/subscribe';
import { toTailFilter, type LogFilters } from './filters';
import type { Mode } from '../gql/graphql';
import type { RequestLogSummary } from './logUtils';

/** How long after the tail connects the page is re-read, for requests made while it connected. */
const CATCH_UP_DELAY_MS = 1000;

interface Options {
  entityId: string;
  /** The page's mode. */
  mode: Mode;
  filters: LogFilters;
  /** Ask for the client IP (the viewer has `pii.read`). */
  pii: boolean;
  /** Subscribed while true (the Live switch is on and the viewer may read logs). */
  enabled: boolean;
  onRow: (row: RequestLogSummary) => void;
  /** Called once the subscription has surely started, to fetch what arrived before it. */
  onCaughtUp: () => void;
  /** The tail ended (server error, completion, lost connection): the switch goes off. */
  onEnded: () => void;
}

/**
 * The live tail (`requestLogTail`): re-subscribes when the mode or a filter the server applies to
 * the tail changes.
 */
export function useLiveTail({ entityId, mode, filters, pii, enabled, onRow, onCaughtUp, onEnded }: Options) {
  const [status, setStatus] = useState<SubscriptionStatus | null>(null);
  const [error, setError] = useState<string | null>(null);
  const callbacks = useRef({ onRow, onCaughtUp, onEnded });
  useEffect(() => {
    callbacks.current = { onRow, onCaughtUp, onEnded };
  });

  const variables = useMemo(
    () => JSON.stringify({ entityId, mode, filter: toTailFilter(filters), pii }),
    [entityId, mode, filters, pii],
  );

  useEffect(() => {
    if (!enabled) return;
    setError(null);
    let catchUpTimer: number | undefined;
    const unsubscribe = subscribe(RequestLogTailDocument, JSON.parse(variables), {
      next: (data) => callbacks.current.onRow(data.requestLogTail),
      error: (err) => {
        setError(err.message);
        callbacks.current.onEnded();
      },
      complete: () => callbacks.current.onEnded(),
      status: (next) => {
        setStatus(next);
        window.clearTimeout(catchUpTimer);
        if (next === 'live') catchUpTimer = window.setTimeout(() => callbacks.current.onCaughtUp(), CATCH_UP_DELAY_MS);
      },
    });
    return () => {
      window.clearTimeout(catchUpTimer);
      unsubscribe();
      setStatus(null);
    };
  }, [enabled, variables]);

  return { status, error, clearError: () => setError(null) };
}
