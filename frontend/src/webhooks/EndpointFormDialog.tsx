import { LIVE_MODE_DISABLED } from '../shared/liveMode';
import { useId, useState, type FormEvent } from 'react';
import { gqlRequest } from '../shared/api/client';
import { CreateWebhookEndpointDocument, UpdateWebhookEndpointDocument, type Mode } from '../gql/graphql';
import { toFormErrors } from '../shared/forms';
import { FieldError, FieldHint, fieldAria, focusFirst } from '../shared/ui/FormField';
import { Modal } from '../shared/ui/Modal';
import { ErrorAlert } from './ErrorAlert';
import {
  compactSelection,
  expandSelection,
  parseOptionalInt,
  urlError,
  type EventFamily,
  type WebhookEndpoint,
} from './webhookUtils';

export type CatalogState =
  | { status: 'loading' }
  | { status: 'error'; message: string }
  | { status: 'ready'; families: EventFamily[] };

type Field = 'url' | 'description' | 'eventTypes' | 'rateLimit' | 'concurrency';
const FIELD_MAP: Record<string, Field> = {
  url: 'url',
  description: 'description',
  eventTypes: 'eventTypes',
  rateLimitPerSecond: 'rateLimit',
  maxConcurrency: 'concurrency',
};

interface Props {
  entityId: string;
  mode: Mode;
  /** Live endpoints can be created (`Entity.liveModeEnabled`); an edit is never refused for it. */
  liveModeEnabled?: boolean;
  catalog: CatalogState;
  onRetryCatalog: () => void;
  /** The endpoint edited; absent: a new one is created. */
  endpoint?: WebhookEndpoint;
  onCreated?: (secret: string, endpoint: WebhookEndpoint) => void;
  onSaved?: (endpoint: WebhookEndpoint) => void;
  onClose: () => void;
}

/** Create or edit an endpoint: URL, description, events, optional rate limit and concurrency. */
export function EndpointFormDialog({ entityId, mode, liveModeEnabled = true, catalog, onRetryCatalog, endpoint, onCreated, onSaved, onClose }: Props) {
  const uid = useId();
  const families = catalog.status === 'ready' ? catalog.families : [];
  const [url, setUrl] = useState(endpoint?.url ?? '');
  const [description, setDescription] = useState(endpoint?.description ?? '');
  const [selected, setSelected] = useState<Set<string> | null>(null);
  const [rateLimit, setRateLimit] = useState(endpoint?.rateLimitPerSecond ? String(endpoint.rateLimitPerSecond) : '');
  const [concurrency, setConcurrency] = useState(endpoint?.maxConcurrency ? String(endpoint.maxConcurrency) : '');
  const [fieldErrors, setFieldErrors] = useState<Partial<Record<Field, string>>>({});
  const [generalError, setGeneralError] = useState<unknown>(null);
  const [submitting, setSubmitting] = useState(false);

  // The selection starts from the endpoint's subscription once the catalog is known.
  const current = selected ?? expandSelection(families, endpoint?.eventTypes ?? []);
  const allTypes = families.flatMap((f) => f.eventTypes.map((t) => t.type));
  const allSelected = allTypes.length > 0 && allTypes.every((t) => current.has(t));

  function toggle(types: string[], on: boolean) {
    const next = new Set(current);
    for (const t of types) {
      if (on) next.add(t);
      else next.delete(t);
    }
    setSelected(next);
  }

  const ids: Record<Field, string> = {
    url: `${uid}-url`,
    description: `${uid}-description`,
    eventTypes: `${uid}-events-all`,
    rateLimit: `${uid}-rate`,
    concurrency: `${uid}-concurrency`,
  };

  async function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const errors: Partial<Record<Field, string>> = {};
    const badUrl = urlError(url);
    if (badUrl) errors.url = badUrl;
    const eventTypes = compactSelection(families, current);
    if (eventTypes.length === 0) errors.eventTypes = 'Select at least one event type.';
    const rate = parseOptionalInt(rateLimit, 1, 1000);
    if (!rate.ok) errors.rateLimit = rate.error;
    const conc = parseOptionalInt(concurrency, 1, 64);
    if (!conc.ok) errors.concurrency = conc.error;
    setFieldErrors(errors);
    setGeneralError(null);
    const order: Field[] = ['url', 'description', 'eventTypes', 'rateLimit', 'concurrency'];
    const firstBad = order.find((f) => errors[f]);
    if (firstBad || !rate.ok || !conc.ok) {
      focusFirst([ids[firstBad ?? 'url']]);
      return;
    }
    setSubmitting(true);
    try {
      if (endpoint) {
        const data = await gqlRequest(UpdateWebhookEndpointDocument, {
          input: {
            endpointId: endpoint.id,
            url: url.trim(),
            description: description.trim(),
            eventTypes,
            // 0 clears a limit.
            rateLimitPerSecond: rate.value ?? 0,
            maxConcurrency: conc.value ?? 0,
          },
        });
        onSaved?.(data.updateWebhookEndpoint.endpoint);
      } else {
        const data = await gqlRequest(CreateWebhookEndpointDocument, {
          input: {
            entityId,
            mode,
            url: url.trim(),
            description: description.trim(),
            eventTypes,
            rateLimitPerSecond: rate.value,
            maxConcurrency: conc.value,
          },
        });
        onCreated?.(data.createWebhookEndpoint.secret, data.createWebhookEndpoint.endpoint);
      }
    } catch (err) {
      setSubmitting(false);
      const mapped = toFormErrors(err, FIELD_MAP);
      const field = (Object.keys(mapped.fields) as Field[])[0];
      if (field) {
        setFieldErrors(mapped.fields);
        focusFirst([ids[field]]);
      } else {
        setGeneralError(err);
        focusFirst([`${uid}-alert`]);
      }
    }
  }

  const title = endpoint ? 'Edit webhook' : 'Create webhook';
  const liveBlocked = !endpoint && mode === 'LIVE' && !liveModeEnabled;
  return (
    <Modal title={title} onClose={submitting ? undefined : onClose} className="modal-wide">
      <form onSubmit={handleSubmit} noValidate className="form">
        {generalError !== null && <ErrorAlert error={generalError} id={`${uid}-alert`} />}
        <p className="muted">
          {endpoint ? 'Mode' : 'Created in'} <span className={`pill mode-${mode.toLowerCase()}`}>{mode}</span> mode: it
          receives the {mode.toLowerCase()} events of this entity.
        </p>
        {liveBlocked && (
          <p className="warning-box" role="note" data-testid="live-mode-disabled">
            {LIVE_MODE_DISABLED}
          </p>
        )}
        <div className="field">
          <label htmlFor={ids.url}>Endpoint URL</label>
          <input
            {...fieldAria(ids.url, true, fieldErrors.url)}
            type="url"
            data-autofocus=""
            autoComplete="off"
            spellCheck={false}
            placeholder="https://example.com/webhooks"
            value={url}
            onChange={(e) => setUrl(e.target.value)}
          />
          <FieldHint id={ids.url}>The destination owned by the receiving system. HTTPS in production.</FieldHint>
          <FieldError id={ids.url} error={fieldErrors.url} />
        </div>
        <div className="field">
          <label htmlFor={ids.description}>Description</label>
          <input
            {...fieldAria(ids.description, true, fieldErrors.description)}
            type="text"
            maxLength={500}
            value={description}
            onChange={(e) => setDescription(e.target.value)}
          />
          <FieldHint id={ids.description}>A short note naming the owner and purpose, e.g. “ERP sync (finance team)”.</FieldHint>
          <FieldError id={ids.description} error={fieldErrors.description} />
        </div>

        <fieldset className="fieldset" aria-describedby={fieldErrors.eventTypes ? `${ids.eventTypes}-error` : undefined}>
          <legend>Events</legend>
          {catalog.status === 'loading' && (
            <p className="muted" role="status">
              Loading event types…
            </p>
          )}
          {catalog.status === 'error' && (
            <div>
              <p role="alert" className="alert">
                Could not load the event types: {catalog.message}
              </p>
              <button type="button" className="button small" onClick={onRetryCatalog}>
                Retry
              </button>
            </div>
          )}
          {catalog.status === 'ready' && (
            <div className="event-picker">
              <label className="checkbox">
                <input
                  type="checkbox"
                  id={ids.eventTypes}
                  checked={allSelected}
                  onChange={(e) => toggle(allTypes, e.target.checked)}
                />{' '}
                All events <span className="muted">(including types added later)</span>
              </label>
              {families.map((family) => {
                const types = family.eventTypes.map((t) => t.type);
                const count = types.filter((t) => current.has(t)).length;
                return (
                  <div key={family.family} className="event-family">
                    <label className="checkbox">
                      <input
                        type="checkbox"
                        checked={count === types.length && types.length > 0}
                        ref={(el) => {
                          if (el) el.indeterminate = count > 0 && count < types.length;
                        }}
                        onChange={(e) => toggle(types, e.target.checked)}
                      />{' '}
                      <strong>{family.family}.*</strong> <span className="muted">{family.description}</span>
                    </label>
                    <div className="event-types">
                      {family.eventTypes.map((t) => (
                        <label key={t.type} className="checkbox" title={t.description}>
                          <input type="checkbox" checked={current.has(t.type)} onChange={(e) => toggle([t.type], e.target.checked)} />{' '}
                          <span className="mono">{t.type}</span>
                        </label>
                      ))}
                    </div>
                  </div>
                );
              })}
            </div>
          )}
          <FieldError id={ids.eventTypes} error={fieldErrors.eventTypes} />
        </fieldset>

        <div className="field-row">
          <div className="field">
            <label htmlFor={ids.rateLimit}>Rate limit (deliveries/s)</label>
            <input
              {...fieldAria(ids.rateLimit, true, fieldErrors.rateLimit)}
              inputMode="numeric"
              value={rateLimit}
              onChange={(e) => setRateLimit(e.target.value)}
            />
            <FieldHint id={ids.rateLimit}>Optional, 1–1000. Empty: no limit.</FieldHint>
            <FieldError id={ids.rateLimit} error={fieldErrors.rateLimit} />
          </div>
          <div className="field">
            <label htmlFor={ids.concurrency}>Concurrent deliveries</label>
            <input
              {...fieldAria(ids.concurrency, true, fieldErrors.concurrency)}
              inputMode="numeric"
              value={concurrency}
              onChange={(e) => setConcurrency(e.target.value)}
            />
            <FieldHint id={ids.concurrency}>Optional, 1–64. Empty: the default.</FieldHint>
            <FieldError id={ids.concurrency} error={fieldErrors.concurrency} />
          </div>
        </div>

        <div className="form-actions">
          <button type="button" className="button" onClick={onClose} disabled={submitting}>
            Cancel
          </button>
          <button type="submit" className="button primary" disabled={submitting || catalog.status !== 'ready' || liveBlocked}>
            {submitting ? 'Saving…' : endpoint ? 'Save' : 'Create webhook'}
          </button>
        </div>
      </form>
    </Modal>
  );
}
