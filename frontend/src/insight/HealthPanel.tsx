// The frame of a health view (a key's, an endpoint's): the 24 h / 7 d window switch, the load of the
// window's figures (the newest answer wins), "no longer exists" and the loading / error states, and
// the parts both views show (figures, the "last seen" cell). What is shown of the figures is the
// caller's (`children`).

import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import type { HealthWindow } from '../gql/graphql';
import { formatDateTime, formatRelative } from '../shared/format';
import { Segmented } from '../shared/ui/Segmented';
import { StatusBlock, failureState, type BlockedState } from '../shared/ui/StatusBlock';
import './health.css';

export const WINDOWS: { value: HealthWindow; label: string }[] = [
  { value: 'DAY', label: '24 h' },
  { value: 'WEEK', label: '7 d' },
];

/** The Logs tab's range for a window. */
export function windowRange(window: HealthWindow): '24h' | '7d' {
  return window === 'DAY' ? '24h' : '7d';
}

// `window`: the one the figures are of (the switch may already show the next one, loading).
type State<H> = BlockedState | { status: 'missing' } | { status: 'ready'; health: H; window: HealthWindow };

export function HealthPanel<H>({
  label,
  testId,
  fetchHealth,
  missingText,
  loadingText,
  keepShownWhileLoading = false,
  version = 0,
  children,
}: {
  label: string;
  testId: string;
  /** The window's figures; null or undefined when the subject no longer exists. Keep it stable (useCallback). */
  fetchHealth: (window: HealthWindow) => Promise<H | null | undefined>;
  missingText: string;
  loadingText: string;
  /** Keep showing the previous figures while a new window (or `version`) loads. */
  keepShownWhileLoading?: boolean;
  /** Changing it loads the figures again. */
  version?: number;
  children: (health: H, window: HealthWindow) => ReactNode;
}) {
  const [window, setWindow] = useState<HealthWindow>('DAY');
  const [state, setState] = useState<State<H>>({ status: 'loading' });
  const seq = useRef(0);

  const load = useCallback(() => {
    const mine = ++seq.current;
    if (!keepShownWhileLoading) setState({ status: 'loading' });
    fetchHealth(window).then(
      (health) => {
        if (mine !== seq.current) return;
        setState(health ? { status: 'ready', health, window } : { status: 'missing' });
      },
      (err) => {
        if (mine === seq.current) setState(failureState(err));
      },
    );
  }, [fetchHealth, window, keepShownWhileLoading]);

  useEffect(() => {
    load();
    return () => {
      seq.current++;
    };
  }, [load, version]);

  return (
    <section className="health-panel" aria-label={label} data-testid={testId}>
      <div className="section-head">
        <h3>Health</h3>
        <Segmented label="Window" options={WINDOWS} value={window} onChange={setWindow} />
      </div>
      {state.status === 'missing' ? (
        <p className="muted">{missingText}</p>
      ) : state.status !== 'ready' ? (
        <StatusBlock state={state} title="Health" loadingText={loadingText} forbiddenTestId={`${testId}-forbidden`} onRetry={load} />
      ) : (
        children(state.health, state.window)
      )}
    </section>
  );
}

export function Figure({ label, value, note, testId }: { label: string; value: string; note?: string; testId?: string }) {
  return (
    <div className="health-figure" data-testid={testId}>
      <dt>{label}</dt>
      <dd>
        <strong>{value}</strong>
        {note && <span className="muted small-text"> {note}</span>}
      </dd>
    </div>
  );
}

/** A group's "Last" cell: when, relative (the exact time on hover), and the newest item's ID. */
export function LastSeen({ at, id }: { at: string; id: string }) {
  return (
    <>
      <span title={formatDateTime(at)}>{formatRelative(at)}</span>
      <div className="mono small-text">{id}</div>
    </>
  );
}
