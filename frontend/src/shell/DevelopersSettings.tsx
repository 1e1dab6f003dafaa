import { useCallback, useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { Link, Navigate, useLocation, useNavigate, useOutletContext, useParams } from 'react-router';
import { TeamTab } from '../team/TeamTab';
import { ApiKeysTab } from '../keys/ApiKeysTab';
import { LogsTab } from '../logs/LogsTab';
import { AnalyticsTab } from '../analytics/AnalyticsTab';
import { WebhooksTab } from '../webhooks/WebhooksTab';
import { PostmanTab } from '../collections/PostmanTab';
import { AuditLogTab } from '../audit/AuditLogTab';
import { DocsTab } from '../docs/DocsTab';
import { SdksTab } from '../docs/SdksTab';
import { NeedsAttentionTab } from '../insight/NeedsAttentionTab';
import { gqlRequest } from '../shared/api/client';
import { DevelopersAccessDocument, type Role } from '../gql/graphql';
import { roleLabel, useViewer } from '../auth/viewer';
import { ErrorNotice } from '../shared/ui/ErrorNotice';
import type { ShellOutletContext } from './Shell';
import { DEFAULT_MODE, DEFAULT_TAB, tabPath, withMode } from './paths';
import { DEVELOPERS_MISSING, developersAccess, tabToOpen, type DevelopersAccess } from './access';
import { ModeSwitch } from './ModeSwitch';
import { EntitySettingsTab } from './EntitySettingsTab';
import { usePageMode } from './pageMode';

type AccessState =
  | { status: 'loading' }
  | { status: 'error'; error: unknown }
  | { status: 'ready'; entityId: string; role: Role; access: DevelopersAccess };

/** Loads the viewer's role and permissions in the entity (again after the entity settings change). */
function useDevelopersAccess(entityId: string, apiAccessEnabled: boolean) {
  const [state, setState] = useState<AccessState>({ status: 'loading' });
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    let cancelled = false;
    gqlRequest(DevelopersAccessDocument, { id: entityId }).then(
      (data) => {
        if (cancelled) return;
        const e = data.entity;
        setState({
          status: 'ready',
          entityId,
          role: e.viewerRole,
          access: developersAccess({
            role: e.viewerRole,
            permissions: e.viewerPermissions,
            apiAccessEnabled: e.apiAccessEnabled,
          }),
        });
      },
      (error) => {
        if (!cancelled) setState({ status: 'error', error });
      },
    );
    return () => {
      cancelled = true;
    };
  }, [entityId, apiAccessEnabled, generation]);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  // Another entity's answer (just after switching entity) says nothing about this one.
  const current: AccessState = state.status === 'ready' && state.entityId !== entityId ? { status: 'loading' } : state;
  return [current, reload] as const;
}

/** Settings › Developers: one tab per URL (`/entities/:entityId/developers/:tab?mode=test|live`). */
export function DevelopersSettings() {
  const { entity } = useOutletContext<ShellOutletContext>();
  const { viewer } = useViewer();
  const { tab: tabId, detailId } = useParams();
  const location = useLocation();
  const navigate = useNavigate();
  const tabRefs = useRef<Record<string, HTMLAnchorElement | null>>({});
  const { mode, explicit, setMode } = usePageMode();
  const [state, reloadAccess] = useDevelopersAccess(entity.id, entity.apiAccessEnabled);

  // The mode is always in the URL, so every tab reads the same one.
  if (!explicit) {
    return <Navigate to={{ pathname: location.pathname, search: withMode(location.search, DEFAULT_MODE) }} replace />;
  }

  const head = (
    <nav className="breadcrumb" aria-label="Breadcrumb">
      <ol>
        <li>Settings</li>
        <li>Entity settings</li>
        <li aria-current="page">Developers</li>
      </ol>
    </nav>
  );

  if (state.status === 'loading') {
    return (
      <section className="settings" aria-labelledby="settings-title">
        {head}
        <h1 id="settings-title">Developers</h1>
        <p className="muted" role="status">
          Checking your access…
        </p>
      </section>
    );
  }
  if (state.status === 'error') {
    return (
      <section className="settings" aria-labelledby="settings-title">
        {head}
        <h1 id="settings-title">Developers</h1>
        <ErrorNotice error={state.error} prefix="Could not check your access" />
        <button type="button" className="button" onClick={reloadAccess}>
          Retry
        </button>
      </section>
    );
  }

  const { access, role } = state;
  const membership = viewer.memberships.find((m) => m.entity.id === entity.id);
  const roleName = membership ? roleLabel(membership.role, membership.customRole) : roleLabel(role, null);

  if (access.status === 'no-role' || access.tabs.length === 0) {
    return (
      <section className="settings" aria-labelledby="settings-title">
        {head}
        <h1 id="settings-title">Developers</h1>
        <div className="notice" data-testid="developers-unavailable" role="status">
          <p>
            <strong>{DEVELOPERS_MISSING}</strong>
          </p>
          <p className="muted">
            Your role in {entity.name} is {roleName}
            {access.status === 'api-disabled' ? ', and API access is disabled for this entity' : ''}. Ask an owner of{' '}
            {entity.name} for developer access.
          </p>
        </div>
      </section>
    );
  }

  const tabs = access.tabs;
  const openTab = tabToOpen(tabs, tabId, DEFAULT_TAB) as string;
  if (openTab !== tabId) return <Navigate to={tabPath(entity.id, openTab, mode)} replace />;
  const active = tabs.find((t) => t.id === openTab)!;
  // Only the Webhooks tab has sub-views; elsewhere a sub-path leads back to the tab.
  if (detailId && active.id !== 'webhooks') return <Navigate to={tabPath(entity.id, active.id, mode)} replace />;

  function onTabKeyDown(event: KeyboardEvent<HTMLAnchorElement>) {
    const index = tabs.findIndex((t) => t.id === active.id);
    let next = -1;
    if (event.key === 'ArrowRight') next = (index + 1) % tabs.length;
    else if (event.key === 'ArrowLeft') next = (index - 1 + tabs.length) % tabs.length;
    else if (event.key === 'Home') next = 0;
    else if (event.key === 'End') next = tabs.length - 1;
    else if (event.key === ' ') {
      event.preventDefault();
      event.currentTarget.click();
      return;
    }
    if (next >= 0) {
      event.preventDefault();
      const target = tabs[next];
      navigate(tabPath(entity.id, target.id, mode));
      tabRefs.current[target.id]?.focus();
    }
  }

  function onModeChange(next: 'test' | 'live') {
    // A webhook endpoint's page belongs to its mode: switching goes back to the list.
    setMode(next, detailId ? { pathname: tabPath(entity.id, active.id) } : undefined);
  }

  return (
    <section className="settings" aria-labelledby="settings-title">
      {head}
      <div className="page-head">
        <div>
          <h1 id="settings-title">Developers</h1>
          <p className="muted" data-testid="developers-context">
            Actions apply to <strong>{entity.name}</strong> <span className="code">{entity.code}</span> ·{' '}
            {entity.organization.name} · in{' '}
            <strong data-testid="page-mode">{mode === 'live' ? 'Live' : 'Test'} mode</strong> · your role: {roleName}
          </p>
        </div>
        {access.status === 'open' && <ModeSwitch mode={mode} onChange={onModeChange} />}
      </div>
      {mode === 'live' && access.status === 'open' && (
        <p className="live-banner" role="note">
          Live mode: keys, webhooks and logs here act on real data.
        </p>
      )}
      {access.status === 'api-disabled' && (
        <div className="warning-box" role="status" data-testid="api-access-disabled">
          API access is disabled for {entity.name}: keys, webhooks, logs and analytics are hidden until it is turned back
          on below. <span className="muted">({DEVELOPERS_MISSING})</span>
        </div>
      )}

      <div role="tablist" aria-label="Developer settings" className="tabs">
        {tabs.map((tab) => {
          const selected = tab.id === active.id;
          return (
            <Link
              key={tab.id}
              ref={(el) => {
                tabRefs.current[tab.id] = el;
              }}
              to={tabPath(entity.id, tab.id, mode)}
              role="tab"
              id={`tab-${tab.id}`}
              aria-selected={selected}
              aria-controls={selected ? `panel-${tab.id}` : undefined}
              tabIndex={selected ? 0 : -1}
              className={selected ? 'tab active' : 'tab'}
              onKeyDown={onTabKeyDown}
            >
              {tab.label}
            </Link>
          );
        })}
      </div>

      <div role="tabpanel" id={`panel-${active.id}`} aria-labelledby={`tab-${active.id}`} className="tabpanel">
        {active.placeholder ? (
          <div className="placeholder" data-placeholder={active.id}>
            <h2>{active.label}</h2>
            <p>Coming soon</p>
          </div>
        ) : active.id === 'api-keys' ? (
          <ApiKeysTab key={entity.id} entityId={entity.id} />
        ) : active.id === 'webhooks' ? (
          <WebhooksTab key={entity.id} entityId={entity.id} />
        ) : active.id === 'logs' ? (
          <LogsTab key={entity.id} entityId={entity.id} />
        ) : active.id === 'analytics' ? (
          <AnalyticsTab key={entity.id} entityId={entity.id} />
        ) : active.id === 'attention' ? (
          <NeedsAttentionTab key={entity.id} entityId={entity.id} />
        ) : active.id === 'postman' ? (
          <PostmanTab key={entity.id} entityId={entity.id} entityCode={entity.code} />
        ) : active.id === 'audit-log' ? (
          <AuditLogTab key={entity.id} entityId={entity.id} />
        ) : active.id === 'docs' ? (
          <DocsTab />
        ) : active.id === 'sdks' ? (
          <SdksTab key={entity.id} entityId={entity.id} />
        ) : active.id === 'settings' ? (
          <EntitySettingsTab key={entity.id} entityId={entity.id} role={role} onChanged={reloadAccess} />
        ) : (
          <TeamTab key={entity.id} entityId={entity.id} />
        )}
      </div>
    </section>
  );
}
