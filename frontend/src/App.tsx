import { useCallback, useEffect, useState } from 'react';
import { GraphQLRequestError, gqlRequest, setUnauthenticatedHandler } from './graphql';
import { VIEWER_QUERY, type Viewer, type ViewerQueryResult } from './queries';
import { SignIn } from './SignIn';
import { Shell } from './Shell';

type LoadState =
  | { status: 'loading' }
  | { status: 'error'; message: string }
  | { status: 'ready'; viewer: Viewer | null };

export function App() {
  const [state, setState] = useState<LoadState>({ status: 'loading' });

  const loadViewer = useCallback(async () => {
    setState({ status: 'loading' });
    try {
      const data = await gqlRequest<ViewerQueryResult>(VIEWER_QUERY, undefined, { notifyUnauthenticated: false });
      setState({ status: 'ready', viewer: data.viewer });
    } catch (err) {
      if (err instanceof GraphQLRequestError && err.has('UNAUTHENTICATED')) {
        setState({ status: 'ready', viewer: null });
      } else {
        setState({ status: 'error', message: err instanceof Error ? err.message : String(err) });
      }
    }
  }, []);

  useEffect(() => {
    void loadViewer();
  }, [loadViewer]);

  // Any request that reports an expired/missing session sends the user back to sign-in.
  useEffect(() => {
    setUnauthenticatedHandler(() => setState({ status: 'ready', viewer: null }));
    return () => setUnauthenticatedHandler(null);
  }, []);

  const setViewer = useCallback((viewer: Viewer | null) => setState({ status: 'ready', viewer }), []);

  if (state.status === 'loading') {
    return (
      <div className="centered" role="status" aria-live="polite">
        Loading…
      </div>
    );
  }

  if (state.status === 'error') {
    return (
      <div className="centered">
        <div className="card">
          <h1>Portico</h1>
          <p role="alert" className="alert">
            {state.message}
          </p>
          <button type="button" className="button primary" onClick={() => void loadViewer()}>
            Retry
          </button>
        </div>
      </div>
    );
  }

  if (!state.viewer) {
    return <SignIn onSignedIn={loadViewer} />;
  }

  return <Shell viewer={state.viewer} onViewerChange={setViewer} />;
}
