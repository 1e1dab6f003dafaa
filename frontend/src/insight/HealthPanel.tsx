// The frame of a health view (a key's, an endpoint's): the 24 h / 7 d window switch, the load of the
// window's figures (useWindowedLoad: the newest answer wins), "no longer exists" and the loading /
// error states, and the parts both views show (figures, the "last seen" cell). What is shown of the
// figures is the caller's (`children`).

import type { ReactNode } from 'react';
import type { HealthWindow } from '../gql/graphql';
import { formatDateTime, formatRelative } from '../shared/format';
import { Segmented } from '../shared/ui/Segmented';
import { StatusBlock } from '../shared/ui/StatusBlock';
import { WINDOWS, useWindowedLoad } from './windowedLoad';
import './health.css';

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
  const { window, setWindow, state, reload } = useWindowedLoad(fetchHealth, { keepShownWhileLoading, version });

  return (
    <section className="health-panel" aria-label={label} data-testid={testId}>
      <div className="section-head">
        <h3>Health</h3>
        <Segmented label="Window" options={WINDOWS} value={window} onChange={setWindow} />
      </div>
      {state.status !== 'ready' ? (
        <StatusBlock state={state} title="Health" loadingText={loadingText} forbiddenTestId={`${testId}-forbidden`} onRetry={reload} />
      ) : !state.value ? (
        <p className="muted">{missingText}</p>
      ) : (
        children(state.value, state.window)
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
