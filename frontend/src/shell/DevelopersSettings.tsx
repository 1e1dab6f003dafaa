import { useRef, type KeyboardEvent } from 'react';
import { Link, Navigate, useLocation, useNavigate, useOutletContext, useParams } from 'react-router';
import { TeamTab } from '../team/TeamTab';
import { ApiKeysTab } from '../keys/ApiKeysTab';
import { LogsTab } from '../logs/LogsTab';
import { AnalyticsTab } from '../analytics/AnalyticsTab';
import { WebhooksTab } from '../webhooks/WebhooksTab';
import type { ShellOutletContext } from './Shell';
import { DEFAULT_TAB, TABS, modeParam, tabPath } from './paths';

/** Settings › Developers: one tab per URL (`/entities/:entityId/developers/:tab`). */
export function DevelopersSettings() {
  const { entity } = useOutletContext<ShellOutletContext>();
  const { tab: tabId, detailId } = useParams();
  const { search } = useLocation();
  const navigate = useNavigate();
  const tabRefs = useRef<Record<string, HTMLAnchorElement | null>>({});
  const active = TABS.find((t) => t.id === tabId);
  const mode = modeParam(search);

  if (!active) return <Navigate to={tabPath(entity.id, DEFAULT_TAB, mode)} replace />;
  // Only the Webhooks tab has sub-views; elsewhere a sub-path leads back to the tab.
  if (detailId && active.id !== 'webhooks') return <Navigate to={tabPath(entity.id, active.id, mode)} replace />;

  function onTabKeyDown(event: KeyboardEvent<HTMLAnchorElement>) {
    const index = TABS.findIndex((t) => t.id === active?.id);
    let next = -1;
    if (event.key === 'ArrowRight') next = (index + 1) % TABS.length;
    else if (event.key === 'ArrowLeft') next = (index - 1 + TABS.length) % TABS.length;
    else if (event.key === 'Home') next = 0;
    else if (event.key === 'End') next = TABS.length - 1;
    else if (event.key === ' ') {
      event.preventDefault();
      event.currentTarget.click();
      return;
    }
    if (next >= 0) {
      event.preventDefault();
      const target = TABS[next];
      navigate(tabPath(entity.id, target.id, mode));
      tabRefs.current[target.id]?.focus();
    }
  }

  return (
    <section className="settings" aria-labelledby="settings-title">
      <nav className="breadcrumb" aria-label="Breadcrumb">
        <ol>
          <li>Settings</li>
          <li aria-current="page">Developers</li>
        </ol>
      </nav>
      <div className="page-head">
        <h1 id="settings-title">Developers</h1>
        <p className="muted">
          {entity.name} <span className="code">{entity.code}</span> · {entity.organization.name} · API access{' '}
          {entity.apiAccessEnabled ? 'enabled' : 'disabled'}
        </p>
      </div>

      <div role="tablist" aria-label="Developer settings" className="tabs">
        {TABS.map((tab) => {
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
        ) : (
          <TeamTab key={entity.id} entityId={entity.id} />
        )}
      </div>
    </section>
  );
}
