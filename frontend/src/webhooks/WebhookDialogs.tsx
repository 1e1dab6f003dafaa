import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { gqlRequest } from '../shared/api/client';
import {
  DeleteWebhookEndpointDocument,
  ReplayWebhookEventsDocument,
  RevealWebhookSecretDocument,
  RotateWebhookSecretDocument,
  SendTestEventDocument,
  type RotateWebhookSecretMutation,
  type WebhookDeliveryFieldsFragment,
} from '../gql/graphql';
import { formatDateTime } from '../shared/format';
import { toFormErrors } from '../shared/forms';
import { FieldError, FieldHint, fieldAria, focusFirst } from '../shared/ui/FormField';
import { Modal } from '../shared/ui/Modal';
import { useCopyToClipboard } from '../shared/ui/useCopyToClipboard';
import { ErrorAlert } from './ErrorAlert';
import type { CatalogState } from './EndpointFormDialog';
import {
  DEFAULT_GRACE_SECONDS,
  GRACE_OPTIONS,
  fromLocalInput,
  jsonText,
  parseJsonObject,
  subscribes,
  toLocalInput,
  type WebhookEndpoint,
} from './webhookUtils';

export const ROTATE_WARNING =
  'Rotating a webhook signing secret can break receivers. When you rotate the signing secret, the receiving system must be updated. Plan the rotation, copy the new value immediately, update the receiver, and test delivery before closing the work.';

function EndpointSummary({ endpoint }: { endpoint: WebhookEndpoint }) {
  return (
    <p className="key-summary">
      <span className="mono break">{endpoint.url}</span> <span className={`pill mode-${endpoint.mode.toLowerCase()}`}>{endpoint.mode}</span>
    </p>
  );
}

// The signing secret, shown once ---------------------------------------------------------------

interface SecretProps {
  secret: string;
  endpoint: WebhookEndpoint;
  title?: string;
  note?: string;
  onDone: () => void;
}

/**
 * A signing secret just issued (create, rotate) or revealed. It lives only in the parent's state
 * until "Done"; it is never stored. Escape does not dismiss it.
 */
export function SigningSecretDialog({ secret, endpoint, title = 'Copy the signing secret', note, onDone }: SecretProps) {
  const { status, copy, select, ref } = useCopyToClipboard<HTMLElement>(secret);
  function done() {
    window.getSelection()?.removeAllRanges();
    onDone();
  }
  return (
    <Modal title={title} className="modal-secret">
      <EndpointSummary endpoint={endpoint} />
      <div className="warning-box">
        <strong>Store it now.</strong> The receiver uses this secret to verify the <span className="mono">webhook-signature</span>{' '}
        header of every delivery. Copy it into the receiver&apos;s secrets manager; do not paste it into tickets or chat.
      </div>
      <div className="secret-box">
        <code ref={ref} data-testid="webhook-secret" className="secret" onClick={select}>
          {secret}
        </code>
        <button type="button" className="button" onClick={() => void copy()} data-autofocus="">
          {status === 'copied' ? 'Copied' : 'Copy'}
        </button>
      </div>
      <p className="hint copy-status" aria-live="polite">
        {status === 'copied' && 'Copied to the clipboard.'}
        {status === 'failed' && 'Could not copy automatically. The secret is selected: press Ctrl+C (⌘C on a Mac).'}
      </p>
      {note && <p className="muted">{note}</p>}
      <div className="form-actions">
        <button type="button" className="button primary" onClick={done}>
          Done
        </button>
      </div>
    </Modal>
  );
}

// Rotate ----------------------------------------------------------------------------------------

export function RotateSecretDialog({
  endpoint,
  onRotated,
  onClose,
}: {
  endpoint: WebhookEndpoint;
  onRotated: (result: RotateWebhookSecretMutation['rotateWebhookSecret'], graceSeconds: number) => void;
  onClose: () => void;
}) {
  const uid = useId();
  const [grace, setGrace] = useState(DEFAULT_GRACE_SECONDS);
  const [error, setError] = useState<unknown>(null);
  const [submitting, setSubmitting] = useState(false);

  async function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setSubmitting(true);
    setError(null);
    try {
      const data = await gqlRequest(RotateWebhookSecretDocument, { input: { endpointId: endpoint.id, gracePeriodSeconds: grace } });
      onRotated(data.rotateWebhookSecret, grace);
    } catch (err) {
      setSubmitting(false);
      setError(err);
      focusFirst([`${uid}-alert`]);
    }
  }

  return (
    <Modal title="Rotate signing secret" onClose={submitting ? undefined : onClose}>
      <form onSubmit={handleSubmit} noValidate className="form">
        {error !== null && <ErrorAlert error={error} id={`${uid}-alert`} />}
        <EndpointSummary endpoint={endpoint} />
        <div className="warning-box" role="note" data-testid="rotate-warning">
          {ROTATE_WARNING}
        </div>
        <fieldset className="fieldset">
          <legend>Keep signing with the current secret for</legend>
          <div className="radio-list">
            {GRACE_OPTIONS.map((o) => (
              <label key={o.seconds} className={grace === o.seconds ? 'radio-card selected' : 'radio-card'}>
                <input
                  type="radio"
                  name="grace"
                  value={o.seconds}
                  checked={grace === o.seconds}
                  data-autofocus={o.seconds === DEFAULT_GRACE_SECONDS ? '' : undefined}
                  aria-labelledby={`${uid}-grace-${o.seconds}-name`}
                  aria-describedby={`${uid}-grace-${o.seconds}-desc`}
                  onChange={() => setGrace(o.seconds)}
                />
                <span>
                  <span id={`${uid}-grace-${o.seconds}-name`} className="radio-card-title">
                    {o.label}
                  </span>
                  <span id={`${uid}-grace-${o.seconds}-desc`} className="radio-card-desc">
                    {o.hint}
                  </span>
                </span>
              </label>
            ))}
          </div>
        </fieldset>
        <div className="form-actions">
          <button type="button" className="button" onClick={onClose} disabled={submitting}>
            Cancel
          </button>
          <button type="submit" className="button primary" disabled={submitting}>
            {submitting ? 'Rotating…' : 'Rotate secret'}
          </button>
        </div>
      </form>
    </Modal>
  );
}

// Reveal ----------------------------------------------------------------------------------------

export function RevealSecretDialog({
  endpoint,
  onRevealed,
  onClose,
}: {
  endpoint: WebhookEndpoint;
  onRevealed: (secret: string) => void;
  onClose: () => void;
}) {
  const uid = useId();
  const [error, setError] = useState<unknown>(null);
  const [submitting, setSubmitting] = useState(false);

  async function reveal() {
    setSubmitting(true);
    setError(null);
    try {
      const data = await gqlRequest(RevealWebhookSecretDocument, { input: { endpointId: endpoint.id } });
      onRevealed(data.revealWebhookSecret.secret);
    } catch (err) {
      setSubmitting(false);
      setError(err);
      focusFirst([`${uid}-alert`]);
    }
  }

  return (
    <Modal title="Reveal signing secret" onClose={submitting ? undefined : onClose}>
      {error !== null && <ErrorAlert error={error} id={`${uid}-alert`} />}
      <EndpointSummary endpoint={endpoint} />
      <p>Revealing shows the newest signing secret. It is recorded in the audit log with your name.</p>
      <div className="form-actions">
        <button type="button" className="button" onClick={onClose} disabled={submitting} data-autofocus="">
          Cancel
        </button>
        <button type="button" className="button primary" onClick={() => void reveal()} disabled={submitting}>
          {submitting ? 'Revealing…' : 'Reveal secret'}
        </button>
      </div>
    </Modal>
  );
}

// Send a test event -----------------------------------------------------------------------------

export function SendTestDialog({
  endpoint,
  catalog,
  pendingNote,
  onRetryCatalog,
  onSent,
  onClose,
}: {
  endpoint: WebhookEndpoint;
  catalog: CatalogState;
  /** Why deliveries are currently waiting, if they are (the test event would wait too). */
  pendingNote?: string | null;
  onRetryCatalog: () => void;
  onSent: (delivery: WebhookDeliveryFieldsFragment) => void;
  onClose: () => void;
}) {
  const uid = useId();
  const types = catalog.status === 'ready' ? catalog.families.flatMap((f) => f.eventTypes) : [];
  // Subscribed types first: those are what the receiver expects.
  const ordered = [...types.filter((t) => subscribes(endpoint.eventTypes, t.type)), ...types.filter((t) => !subscribes(endpoint.eventTypes, t.type))];
  const [type, setType] = useState<string | null>(null);
  const chosen = ordered.find((t) => t.type === type) ?? ordered[0] ?? null;
  const [payloads, setPayloads] = useState<Record<string, string>>({});
  const payload = chosen ? (payloads[chosen.type] ?? jsonText(chosen.example)) : '';
  const [fieldErrors, setFieldErrors] = useState<{ data?: string; eventType?: string }>({});
  const [error, setError] = useState<unknown>(null);
  const [submitting, setSubmitting] = useState(false);
  const ids = { type: `${uid}-type`, data: `${uid}-data` };
  // The event type field appears with the catalog: it gets the focus then if the catalog came late.
  const typeRef = useRef<HTMLSelectElement>(null);
  const ready = chosen !== null;
  useEffect(() => {
    if (ready) typeRef.current?.focus();
  }, [ready]);

  async function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!chosen) return;
    const parsed = parseJsonObject(payload);
    setError(null);
    if (!parsed.ok) {
      setFieldErrors({ data: parsed.error });
      focusFirst([ids.data]);
      return;
    }
    setFieldErrors({});
    setSubmitting(true);
    try {
      const data = await gqlRequest(SendTestEventDocument, {
        input: { endpointId: endpoint.id, eventType: chosen.type, data: parsed.value },
      });
      onSent(data.sendTestEvent.delivery);
    } catch (err) {
      setSubmitting(false);
      const mapped = toFormErrors(err, { data: 'data' as const, eventType: 'eventType' as const });
      if (mapped.fields.data || mapped.fields.eventType) {
        setFieldErrors(mapped.fields);
        focusFirst([mapped.fields.data ? ids.data : ids.type]);
      } else {
        setError(err);
        focusFirst([`${uid}-alert`]);
      }
    }
  }

  return (
    <Modal title="Send test event" onClose={submitting ? undefined : onClose} className="modal-wide">
      <form onSubmit={handleSubmit} noValidate className="form">
        {error !== null && <ErrorAlert error={error} id={`${uid}-alert`} />}
        <EndpointSummary endpoint={endpoint} />
        {endpoint.status !== 'ACTIVE' && (
          <p className="warning-box" role="status">
            This endpoint is {endpoint.status.toLowerCase()}: a test event is refused until it is resumed.
          </p>
        )}
        {pendingNote && (
          <p className="notice-box" role="status">
            {pendingNote}
          </p>
        )}
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
        {chosen && (
          <>
            <div className="field">
              <label htmlFor={ids.type}>Event type</label>
              <select
                {...fieldAria(ids.type, true, fieldErrors.eventType)}
                ref={typeRef}
                data-autofocus=""
                value={chosen.type}
                onChange={(e) => setType(e.target.value)}
              >
                {ordered.map((t) => (
                  <option key={t.type} value={t.type}>
                    {t.type}
                    {subscribes(endpoint.eventTypes, t.type) ? '' : ' (not subscribed)'}
                  </option>
                ))}
              </select>
              <FieldHint id={ids.type}>{chosen.description}</FieldHint>
              <FieldError id={ids.type} error={fieldErrors.eventType} />
            </div>
            <div className="field">
              <label htmlFor={ids.data}>Payload (data)</label>
              <textarea
                {...fieldAria(ids.data, true, fieldErrors.data)}
                className="mono json-editor"
                rows={14}
                spellCheck={false}
                value={payload}
                onChange={(e) => setPayloads({ ...payloads, [chosen.type]: e.target.value })}
              />
              <FieldHint id={ids.data}>
                The event&apos;s <span className="mono">data</span>, prefilled with the catalog example. It is checked against the
                event&apos;s schema.{' '}
                <button
                  type="button"
                  className="link-button"
                  onClick={() => {
                    const next = { ...payloads };
                    delete next[chosen.type];
                    setPayloads(next);
                  }}
                >
                  Reset to the example
                </button>
              </FieldHint>
              <FieldError id={ids.data} error={fieldErrors.data} />
            </div>
          </>
        )}
        <div className="form-actions">
          <button type="button" className="button" onClick={onClose} disabled={submitting}>
            Cancel
          </button>
          <button type="submit" className="button primary" disabled={submitting || !chosen}>
            {submitting ? 'Sending…' : 'Send test event'}
          </button>
        </div>
      </form>
    </Modal>
  );
}

// Replay ----------------------------------------------------------------------------------------

export function ReplayDialog({
  endpoint,
  onReplayed,
  onClose,
  now = new Date(),
}: {
  endpoint: WebhookEndpoint;
  onReplayed: (count: number) => void;
  onClose: () => void;
  now?: Date;
}) {
  const uid = useId();
  const [from, setFrom] = useState(() => toLocalInput(new Date(now.getTime() - 24 * 3600 * 1000)));
  const [onlyFailed, setOnlyFailed] = useState(true);
  const [fieldError, setFieldError] = useState<string | undefined>();
  const [error, setError] = useState<unknown>(null);
  const [submitting, setSubmitting] = useState(false);
  const fromId = `${uid}-from`;

  async function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const iso = fromLocalInput(from);
    setError(null);
    if (!iso) {
      setFieldError('Enter the date and time to replay from.');
      focusFirst([fromId]);
      return;
    }
    setFieldError(undefined);
    setSubmitting(true);
    try {
      const data = await gqlRequest(ReplayWebhookEventsDocument, { input: { endpointId: endpoint.id, from: iso, onlyFailed } });
      onReplayed(data.replayWebhookEvents.count);
    } catch (err) {
      setSubmitting(false);
      const mapped = toFormErrors(err, { from: 'from' as const, to: 'from' as const });
      if (mapped.fields.from) {
        setFieldError(mapped.fields.from);
        focusFirst([fromId]);
      } else {
        setError(err);
        focusFirst([`${uid}-alert`]);
      }
    }
  }

  return (
    <Modal title="Replay events" onClose={submitting ? undefined : onClose}>
      <form onSubmit={handleSubmit} noValidate className="form">
        {error !== null && <ErrorAlert error={error} id={`${uid}-alert`} />}
        <EndpointSummary endpoint={endpoint} />
        <p>Each event since this time is delivered again (a new delivery with the same event id), up to 31 days back.</p>
        <div className="field">
          <label htmlFor={fromId}>Since</label>
          <input
            {...fieldAria(fromId, true, fieldError)}
            type="datetime-local"
            data-autofocus=""
            value={from}
            onChange={(e) => setFrom(e.target.value)}
          />
          <FieldHint id={fromId}>Your local time.</FieldHint>
          <FieldError id={fromId} error={fieldError} />
        </div>
        <label className="checkbox">
          <input type="checkbox" checked={onlyFailed} onChange={(e) => setOnlyFailed(e.target.checked)} /> Only events whose last
          delivery failed
        </label>
        <div className="form-actions">
          <button type="button" className="button" onClick={onClose} disabled={submitting}>
            Cancel
          </button>
          <button type="submit" className="button primary" disabled={submitting}>
            {submitting ? 'Replaying…' : 'Replay'}
          </button>
        </div>
      </form>
    </Modal>
  );
}

// Delete ----------------------------------------------------------------------------------------

export function DeleteEndpointDialog({
  endpoint,
  onDeleted,
  onClose,
}: {
  endpoint: WebhookEndpoint;
  onDeleted: (endpointId: string) => void;
  onClose: () => void;
}) {
  const uid = useId();
  const [error, setError] = useState<unknown>(null);
  const [submitting, setSubmitting] = useState(false);
  async function remove() {
    setSubmitting(true);
    setError(null);
    try {
      const data = await gqlRequest(DeleteWebhookEndpointDocument, { input: { endpointId: endpoint.id } });
      onDeleted(data.deleteWebhookEndpoint.endpointId);
    } catch (err) {
      setSubmitting(false);
      setError(err);
      focusFirst([`${uid}-alert`]);
    }
  }
  return (
    <Modal title="Delete webhook" onClose={submitting ? undefined : onClose}>
      {error !== null && <ErrorAlert error={error} id={`${uid}-alert`} />}
      <EndpointSummary endpoint={endpoint} />
      <p>The endpoint stops receiving events, and its pending deliveries are dropped. This cannot be undone.</p>
      <div className="form-actions">
        <button type="button" className="button" onClick={onClose} disabled={submitting} data-autofocus="">
          Cancel
        </button>
        <button type="button" className="button danger" onClick={() => void remove()} disabled={submitting}>
          {submitting ? 'Deleting…' : 'Delete webhook'}
        </button>
      </div>
    </Modal>
  );
}

/** The note under a rotated secret. */
export function rotationNote(previousSecretsExpireAt: string, graceSeconds: number): string {
  return graceSeconds === 0
    ? 'The previous secret no longer signs deliveries. Update the receiver now.'
    : `Deliveries are signed with both secrets until ${formatDateTime(previousSecretsExpireAt)}. Update the receiver before then.`;
}
