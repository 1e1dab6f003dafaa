import { useEffect, useMemo, useState } from 'react';
import { GraphQLRequestError, gqlRequest } from './graphql';
import {
  LOGOUT_MUTATION,
  STOP_IMPERSONATION_MUTATION,
  roleLabel,
  type EntitySummary,
  type LogoutResult,
  type StopImpersonationResult,
  type Viewer,
} from './queries';
import { DevelopersSettings } from './DevelopersSettings';

interface Props {
  viewer: Viewer;
  onViewerChange: (viewer: Viewer | null) => void;
}

interface EntityOption {
  entity: EntitySummary;
  label: string;
}

const SELECTED_ENTITY_KEY = 'portico.selectedEntityId';

function readStoredEntityId(): string | null {
  try {
    return window.localStorage.getItem(SELECTED_ENTITY_KEY);
  } catch {
    return null;
  }
}

function storeEntityId(id: string): void {
  try {
    window.localStorage.setItem(SELECTED_ENTITY_KEY, id);
  } catch {
    /* storage unavailable: selection just isn't remembered */
  }
}

function buildOptions(viewer: Viewer): EntityOption[] {
  const options: EntityOption[] = viewer.memberships.map((m) => ({
    entity: m.entity,
    label: `${m.entity.name} — ${roleLabel(m.role, m.customRole)}`,
  }));
  const imp = viewer.impersonating;
  if (imp && !options.some((o) => o.entity.id === imp.id)) {
    options.unshift({ entity: imp, label: `${imp.name} — via impersonation` });
  }
  return options;
}

export function Shell({ viewer, onViewerChange }: Props) {
  const options = useMemo(() => buildOptions(viewer), [viewer]);
  const impersonatingId = viewer.impersonating?.id ?? null;

  const [selectedId, setSelectedId] = useState<string | null>(() => {
    if (impersonatingId) return impersonatingId;
    const stored = readStoredEntityId();
    if (stored && options.some((o) => o.entity.id === stored)) return stored;
    return options[0]?.entity.id ?? null;
  });
  const [busy, setBusy] = useState<'signout' | 'stop' | null>(null);
  const [shellError, setShellError] = useState<string | null>(null);

  // Keep the selection valid when the viewer changes (e.g. impersonation starts or stops).
  useEffect(() => {
    if (impersonatingId) {
      setSelectedId(impersonatingId);
      return;
    }
    setSelectedId((current) =>
      current && options.some((o) => o.entity.id === current) ? current : (options[0]?.entity.id ?? null),
    );
  }, [impersonatingId, options]);

  const selected = options.find((o) => o.entity.id === selectedId)?.entity ?? null;

  function selectEntity(id: string) {
    setSelectedId(id);
    storeEntityId(id);
  }

  async function signOut() {
    setBusy('signout');
    setShellError(null);
    try {
      await gqlRequest<LogoutResult>(LOGOUT_MUTATION, undefined, { notifyUnauthenticated: false });
      onViewerChange(null);
    } catch (err) {
      if (err instanceof GraphQLRequestError && err.has('UNAUTHENTICATED')) {
        onViewerChange(null); // already signed out
      } else {
        setShellError(`Could not sign out: ${err instanceof Error ? err.message : String(err)}`);
        setBusy(null);
      }
    }
  }

  async function stopImpersonation() {
    setBusy('stop');
    setShellError(null);
    try {
      const data = await gqlRequest<StopImpersonationResult>(STOP_IMPERSONATION_MUTATION);
      onViewerChange(data.stopImpersonation);
    } catch (err) {
      setShellError(`Could not stop impersonating: ${err instanceof Error ? err.message : String(err)}`);
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
              <select id="entity-switcher" value={selectedId ?? ''} onChange={(e) => selectEntity(e.target.value)}>
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
        <div className="impersonation-banner" role="status">
          <span>
            Impersonating <strong>{viewer.impersonating.name}</strong>
          </span>
          <button type="button" className="button small" onClick={() => void stopImpersonation()} disabled={busy !== null}>
            Stop
          </button>
        </div>
      )}

      {shellError && (
        <div role="alert" className="alert page-alert">
          {shellError}
        </div>
      )}

      <main className="content">
        {selected ? (
          <DevelopersSettings entity={selected} />
        ) : (
          <div className="empty">
            <h1>No entity</h1>
            <p className="muted">You are not a member of any entity yet. Ask an owner to invite you.</p>
          </div>
        )}
      </main>
    </div>
  );
}
