import { useMemo, useState, type ReactNode } from 'react';
import { Link, Outlet, useLocation, useMatch, useNavigate } from 'react-router';
import { GraphQLRequestError, errorMessage, gqlRequest } from '../shared/api/client';
import { LogoutDocument, StopImpersonationDocument } from '../gql/graphql';
import { entityOptions, storeEntityId, useViewer, type EntitySummary } from '../auth/viewer';
import { ADMIN_ENTITIES_PATH, DEFAULT_TAB, isTab, modeParam, tabPath } from './paths';

export interface ShellOutletContext {
  entity: EntitySummary;
}

interface Props {
  /** The entity shown (from the URL), or null on pages without one. */
  entityId: string | null;
  /** The page; by default the matched child route (with the entity as outlet context). */
  children?: ReactNode;
}

/** The header (entity switcher, user, sign-out), the impersonation banner and the page. */
export function Shell({ entityId, children }: Props) {
  const { viewer, setViewer } = useViewer();
  const navigate = useNavigate();
  const location = useLocation();
  const tabMatch = useMatch('/entities/:entityId/developers/:tab');
  const options = useMemo(() => entityOptions(viewer), [viewer]);
  const [busy, setBusy] = useState<'signout' | 'stop' | null>(null);
  const [shellError, setShellError] = useState<string | null>(null);

  const selected = options.find((o) => o.entity.id === entityId)?.entity ?? null;

  function selectEntity(id: string) {
    storeEntityId(id);
    // The same tab, in the same mode; the other filters belong to the previous entity.
    const tab = tabMatch?.params.tab;
    navigate(tabPath(id, isTab(tab) ? (tab as string) : DEFAULT_TAB, modeParam(location.search)));
  }

  async function signOut() {
    setBusy('signout');
    setShellError(null);
    try {
      await gqlRequest(LogoutDocument, {}, { notifyUnauthenticated: false });
      setViewer(null);
    } catch (err) {
      if (err instanceof GraphQLRequestError && err.has('UNAUTHENTICATED')) {
        setViewer(null); // already signed out
      } else {
        setShellError(`Could not sign out: ${errorMessage(err)}`);
        setBusy(null);
      }
    }
  }

  async function stopImpersonation() {
    setBusy('stop');
    setShellError(null);
    try {
      const data = await gqlRequest(StopImpersonationDocument);
      setViewer(data.stopImpersonation);
      navigate(ADMIN_ENTITIES_PATH);
    } catch (err) {
      setShellError(`Could not stop impersonating: ${errorMessage(err)}`);
    } finally {
      setBusy(null);
    }
  }

  return (
    <div className="app">
      <header className="topbar">
        <div className="topbar-left">
          <span className="brand">Portico</span>
          {options.length > 0 ? (
            <div className="entity-switcher">
              <label htmlFor="entity-switcher">Entity</label>
              <select id="entity-switcher" value={selected?.id ?? ''} onChange={(e) => selectEntity(e.target.value)}>
                {!selected && (
                  <option value="" disabled>
                    Choose an entity
                  </option>
                )}
                {options.map((o) => (
                  <option key={o.entity.id} value={o.entity.id}>
                    {o.label}
                  </option>
                ))}
              </select>
            </div>
          ) : (
            <span className="muted">No entities</span>
          )}
        </div>
        <div className="topbar-right">
          {viewer.isSiteAdmin && (
            <Link to={ADMIN_ENTITIES_PATH} className="button small" aria-label="Site admin: entities">
              Entities
            </Link>
          )}
          {viewer.isSiteAdmin && <span className="badge">Site admin</span>}
          <span className="user-email" data-testid="user-email" title={viewer.user.name}>
            {viewer.user.email}
          </span>
          <button type="button" className="button" onClick={() => void signOut()} disabled={busy !== null}>
            Sign out
          </button>
        </div>
      </header>

      {viewer.impersonating && (
        <div className="impersonation-banner" role="region" aria-label="Impersonation" data-testid="impersonation-banner">
          <span>
            Impersonating <strong>{viewer.impersonating.name}</strong>
            {viewer.user && (
              <>
                {' '}
                as <strong>{viewer.user.email}</strong>
              </>
            )}
            {viewer.impersonator && <> · signed in as {viewer.impersonator.email}</>} · every action is audited with both
            identities
          </span>
          <button type="button" className="button small" onClick={() => void stopImpersonation()} disabled={busy !== null}>
            Stop impersonating
          </button>
        </div>
      )}

      {shellError && (
        <div role="alert" className="alert page-alert">
          {shellError}
        </div>
      )}

      <main className="content">
        {children ?? (selected ? <Outlet context={{ entity: selected } satisfies ShellOutletContext} /> : null)}
      </main>
    </div>
  );
}
