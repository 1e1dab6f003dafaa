import { useState } from 'react';
import { Link } from 'react-router';
import type { CatalogState } from './EndpointFormDialog';
import { jsonText } from './webhookUtils';

/** The event catalog: families, their types, each type's JSON Schema and example data. */
export function EventCatalog({ catalog, onRetry, backTo }: { catalog: CatalogState; onRetry: () => void; backTo: string }) {
  const [filter, setFilter] = useState('');
  const back = (
    <p>
      <Link to={backTo}>← Webhooks</Link>
    </p>
  );
  if (catalog.status === 'loading') {
    return (
      <>
        {back}
        <p className="muted" role="status">
          Loading event types…
        </p>
      </>
    );
  }
  if (catalog.status === 'error') {
    return (
      <>
        {back}
        <p role="alert" className="alert">
          Could not load the event types: {catalog.message}
        </p>
        <button type="button" className="button" onClick={onRetry}>
          Retry
        </button>
      </>
    );
  }
  const needle = filter.trim().toLowerCase();
  const families = catalog.families
    .map((f) => ({
      ...f,
      eventTypes: f.eventTypes.filter((t) => !needle || t.type.toLowerCase().includes(needle) || t.description.toLowerCase().includes(needle)),
    }))
    .filter((f) => f.eventTypes.length > 0);

  return (
    <div className="event-catalog">
      {back}
      <div className="section-head">
        <div>
          <h2>Event types</h2>
          <p className="muted">
            Every delivery is a JSON envelope <span className="mono">{'{id, type, created_at, entity_id, mode, data}'}</span>; the
            schema below describes <span className="mono">data</span>. Subscribe to a type, a family (
            <span className="mono">order.*</span>) or everything (<span className="mono">*</span>).
          </p>
        </div>
      </div>
      <div className="filters" role="search" aria-label="Filter event types">
        <div className="filter filter-search">
          <label htmlFor="event-catalog-search">Search</label>
          <input id="event-catalog-search" type="search" value={filter} onChange={(e) => setFilter(e.target.value)} />
        </div>
      </div>
      {families.length === 0 && <p className="muted">No event types match.</p>}
      {families.map((family) => (
        <section key={family.family} className="detail-section" aria-label={`${family.family} events`}>
          <h3>
            <span className="mono">{family.family}.*</span> <span className="muted">{family.description}</span>
          </h3>
          {family.eventTypes.map((t) => (
            <details key={t.type} className="event-type">
              <summary>
                <span className="mono">{t.type}</span> <span className="muted">{t.description}</span>
              </summary>
              <div className="event-type-body">
                <h4>Example data</h4>
                <pre className="code-block">{jsonText(t.example)}</pre>
                <h4>Schema</h4>
                <pre className="code-block">{jsonText(t.schema)}</pre>
              </div>
            </details>
          ))}
        </section>
      ))}
    </div>
  );
}
