import { useCallback, useEffect, useMemo, useState } from 'react';
import { Outlet } from 'react-router';
import { GraphQLRequestError, errorMessage, gqlRequest, setUnauthenticatedHandler } from './shared/api/client';
import { ViewerDocument } from './gql/graphql';
import { SignIn } from './auth/SignIn';
import { ViewerContext, type Viewer } from './auth/viewer';

type LoadState =
  | { status: 'loading' }
  | { status: 'error'; message: string }
  | { status: 'ready'; viewer: Viewer | null };

/**
 * The root route: finds out who is signed in. Signed out, any URL shows the sign-in form and, once
 * signed in, the view the URL names.
 */
export function App() {
  const [state, setState] = useState<LoadState>({ status: 'loading' });

  const loadViewer = useCallback(async () => {
    setState({ status: 'loading' });
    try {
      const data = await gqlRequest(ViewerDocument, {}, { notifyUnauthenticated: false });
      setState({ status: 'ready', viewer: data.viewer });
    } catch (err) {
      if (err instanceof GraphQLRequestError && err.has('UNAUTHENTICATED')) {
        setState({ status: 'ready', viewer: null });
      } else {
        setState({ status: 'error', message: errorMessage(err) });
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
  const viewer = state.status === 'ready' ? state.viewer : null;
  const context = useMemo(() => (viewer ? { viewer, setViewer } : null), [viewer, setViewer]);

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

  if (!context) {
    return <SignIn onSignedIn={loadViewer} />;
  }

  return (
    <ViewerContext.Provider value={context}>
      <Outlet />
    </ViewerContext.Provider>
  );
}
