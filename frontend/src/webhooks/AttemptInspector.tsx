import { useState } from 'react';
import { formatDateTime } from '../shared/format';
import { Modal } from '../shared/ui/Modal';
import { useCopyToClipboard } from '../shared/ui/useCopyToClipboard';
import { SignatureDebugger } from './SignatureDebugger';
import { attemptSummary, deliveryStatusLabel, prettyJson, type WebhookAttempt, type WebhookDelivery } from './webhookUtils';

/** A delivery: the exact payload sent, and every attempt's request and response. */
export function AttemptInspector({ delivery, entityId, onClose }: { delivery: WebhookDelivery; entityId?: string; onClose: () => void }) {
  const attempts = delivery.attempts;
  const [index, setIndex] = useState(Math.max(0, attempts.length - 1));
  const [debugging, setDebugging] = useState(false);
  const attempt = attempts[index] ?? null;

  if (debugging && attempt && entityId) {
    return <SignatureDebugger entityId={entityId} attemptId={attempt.id} onClose={() => setDebugging(false)} />;
  }

  return (
    <Modal title="Delivery" onClose={onClose} className="modal-wide attempt-inspector">
      <dl className="detail-grid" data-testid="delivery-detail">
        <dt>Delivery</dt>
        <dd className="mono">{delivery.id}</dd>
        <dt>Event</dt>
        <dd>
          <span className="mono">{delivery.eventType}</span> · <span className="mono">{delivery.eventId}</span>{' '}
          <span className="muted">(the webhook-id header)</span>
        </dd>
        <dt>Status</dt>
        <dd>
          {deliveryStatusLabel(delivery.status)} · {delivery.kind.toLowerCase()} · {delivery.attemptCount}{' '}
          {delivery.attemptCount === 1 ? 'attempt' : 'attempts'}
          {delivery.nextAttemptAt && delivery.status === 'PENDING' ? ` · next ${formatDateTime(delivery.nextAttemptAt)}` : ''}
        </dd>
      </dl>
      <Body title="Payload" body={delivery.payload} />

      {attempts.length === 0 ? (
        <p className="muted">No attempt yet.</p>
      ) : (
        <>
          <div className="field">
            <label htmlFor="attempt-picker">Attempt</label>
            <select id="attempt-picker" value={index} onChange={(e) => setIndex(Number(e.target.value))} data-autofocus="">
              {attempts.map((a, i) => (
                <option key={a.id} value={i}>
                  #{i + 1} · {formatDateTime(a.attemptedAt)} · {a.succeeded ? 'succeeded' : 'failed'} · {attemptSummary(a)}
                </option>
              ))}
            </select>
          </div>
          {attempt && entityId && (
            <p>
              <button type="button" className="button small" onClick={() => setDebugging(true)}>
                Debug signature
              </button>
            </p>
          )}
          {attempt && <AttemptView attempt={attempt} />}
        </>
      )}
      <div className="form-actions">
        <button type="button" className="button" onClick={onClose} data-autofocus={attempts.length === 0 ? '' : undefined}>
          Close
        </button>
      </div>
    </Modal>
  );
}

function AttemptView({ attempt }: { attempt: WebhookAttempt }) {
  return (
    <div className="captured" data-testid="attempt">
      <dl className="detail-grid">
        <dt>Result</dt>
        <dd data-testid="attempt-result">
          <span className={attempt.succeeded ? 'pill delivery-succeeded' : 'pill delivery-failed'}>
            {attempt.succeeded ? 'Succeeded' : 'Failed'}
          </span>{' '}
          {attempt.statusCode !== null ? <span data-testid="attempt-status">HTTP {attempt.statusCode}</span> : 'No response'}
        </dd>
        <dt>Latency</dt>
        <dd>{Math.round(attempt.latencyMs)} ms</dd>
        <dt>URL</dt>
        <dd className="mono break">{attempt.url}</dd>
        {(attempt.errorClass || attempt.errorMessage) && (
          <>
            <dt>Error</dt>
            <dd data-testid="attempt-error">
              {attempt.errorClass && <span className="mono">{attempt.errorClass}</span>}
              {attempt.errorClass && attempt.errorMessage ? ': ' : ''}
              {attempt.errorMessage}
            </dd>
          </>
        )}
      </dl>
      <Headers title="Request headers" headers={attempt.requestHeaders} />
      <Headers title="Response headers" headers={attempt.responseHeaders} />
      <Body title="Response body" body={attempt.responseBody} truncated={attempt.responseTruncated} />
    </div>
  );
}

function Headers({ title, headers }: { title: string; headers: { name: string; value: string }[] | null }) {
  return (
    <section className="detail-section" aria-label={title}>
      <h3>{title}</h3>
      {!headers || headers.length === 0 ? (
        <p className="muted small-text">None</p>
      ) : (
        <table className="table headers-table">
          <tbody>
            {headers.map((h, i) => (
              <tr key={`${h.name}-${i}`}>
                <th scope="row" className="mono">
                  {h.name}
                </th>
                <td className="mono break">{h.value}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Body({ title, body, truncated = false }: { title: string; body: string | null; truncated?: boolean }) {
  const { status, copy, ref } = useCopyToClipboard<HTMLPreElement>(body ?? '');
  return (
    <section className="detail-section" aria-label={title}>
      <h3>
        {title}{' '}
        {truncated && (
          <span className="pill" data-testid="body-truncated" title="The body was longer than what is kept">
            Truncated
          </span>
        )}
      </h3>
      {body === null || body === '' ? (
        <p className="muted small-text">Empty</p>
      ) : (
        <>
          <pre ref={ref} className="code-block">
            {prettyJson(body)}
            {truncated ? '\n… (truncated)' : ''}
          </pre>
          <button type="button" className="button small" onClick={() => void copy()}>
            {status === 'copied' ? 'Copied' : `Copy ${title.toLowerCase()}`}
          </button>
        </>
      )}
    </section>
  );
}
