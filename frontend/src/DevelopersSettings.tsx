import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import type { EntitySummary } from './queries';
import { TeamTab } from './TeamTab';
import { ApiKeysTab } from './ApiKeysTab';
import { LogsTab } from './LogsTab';
import { AnalyticsTab } from './AnalyticsTab';

interface TabDef {
  id: string;
  label: string;
  /** Placeholder tabs are filled in by later work. */
  placeholder: boolean;
}

const TABS: TabDef[] = [
  { id: 'team', label: 'Team', placeholder: false },
  { id: 'api-keys', label: 'API keys', placeholder: false },
  { id: 'webhooks', label: 'Webhooks', placeholder: true },
  { id: 'logs', label: 'Logs', placeholder: false },
  { id: 'analytics', label: 'Analytics', placeholder: false },
  { id: 'audit-log', label: 'Audit log', placeholder: true },
];

function tabFromHash(): string {
  const id = window.location.hash.replace(/^#/, '');
  return TABS.some((t) => t.id === id) ? id : 'team';
}

export function DevelopersSettings({ entity }: { entity: EntitySummary }) {
  const [activeId, setActiveId] = useState<string>(tabFromHash);
  const tabRefs = useRef<Record<string, HTMLButtonElement | null>>({});

  useEffect(() => {
    const onHashChange = () => setActiveId(tabFromHash());
    window.addEventListener('hashchange', onHashChange);
    return () => window.removeEventListener('hashchange', onHashChange);
  }, []);

  function activate(id: string, focus = false) {
    setActiveId(id);
    if (window.location.hash !== `#${id}`) {
      window.history.replaceState(null, '', `#${id}`);
    }
    if (focus) tabRefs.current[id]?.focus();
  }

  function onTabKeyDown(event: KeyboardEvent<HTMLButtonElement>) {
    const index = TABS.findIndex((t) => t.id === activeId);
    let next = -1;
    if (event.key === 'ArrowRight') next = (index + 1) % TABS.length;
    else if (event.key === 'ArrowLeft') next = (index - 1 + TABS.length) % TABS.length;
    else if (event.key === 'Home') next = 0;
    else if (event.key === 'End') next = TABS.length - 1;
    if (next >= 0) {
      event.preventDefault();
      activate(TABS[next].id, true);
    }
  }

  const active = TABS.find((t) => t.id === activeId) ?? TABS[0];

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
            <button
              key={tab.id}
              ref={(el) => {
                tabRefs.current[tab.id] = el;
              }}
              type="button"
              role="tab"
              id={`tab-${tab.id}`}
              aria-selected={selected}
              aria-controls={`panel-${tab.id}`}
              tabIndex={selected ? 0 : -1}
              className={selected ? 'tab active' : 'tab'}
              onClick={() => activate(tab.id)}
              onKeyDown={onTabKeyDown}
            >
              {tab.label}
            </button>
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
