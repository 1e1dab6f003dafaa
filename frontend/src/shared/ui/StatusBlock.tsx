// The block a tab shows instead of its content while it loads, when the viewer may not see it, or
// when loading failed (with Retry).

import { errorMessage, isForbidden } from '../api/client';

export type BlockedState = { status: 'loading' } | { status: 'forbidden' } | { status: 'error'; message: string };

/** The state for a failed load: "forbidden" for FORBIDDEN, else the error's message. */
export function failureState(err: unknown): { status: 'forbidden' } | { status: 'error'; message: string } {
  return isForbidden(err) ? { status: 'forbidden' } : { status: 'error', message: errorMessage(err) };
}

interface Props {
  state: BlockedState;
  /** The section's heading, shown with the forbidden notice, e.g. "API keys". */
  title: string;
  /** e.g. "Loading API keys…" */
  loadingText: string;
  /** `data-testid` of the forbidden notice. */
  forbiddenTestId: string;
  onRetry: () => void;
}

export function StatusBlock({ state, title, loadingText, forbiddenTestId, onRetry }: Props) {
  switch (state.status) {
    case 'loading':
      return (
        <p className="muted" role="status">
          {loadingText}
        </p>
      );
    case 'forbidden':
      return (
        <div className="notice" data-testid={forbiddenTestId}>
          <h2>{title}</h2>
          <p>You don&apos;t have access to this section</p>
        </div>
      );
    case 'error':
      return (
        <div>
          <p role="alert" className="alert">
            {state.message}
          </p>
          <button type="button" className="button" onClick={onRetry}>
            Retry
          </button>
        </div>
      );
  }
}
