import { useCallback, useEffect, useState } from 'react';
import { errorMessage, gqlRequest, isForbidden } from '../shared/api/client';
import { EntityRequestLogDocument, type EntityRequestLogQuery, type HttpHeader } from '../gql/graphql';
import type { KeyLabel } from '../shared/entityInfo';
import { formatBytes, formatFullTime, formatLatency } from '../shared/format';
import { Modal } from '../shared/ui/Modal';
import { useCopyToClipboard } from '../shared/ui/useCopyToClipboard';
import { MethodLabel, StatusBadge } from './LogBadges';
import type { RequestLogSummary } from './logUtils';

type RequestLogDetail = NonNullable<NonNullable<EntityRequestLogQuery['entity']>['requestLog']>;

interface Props {
  entityId: string;
  requestId: string;
  /** The row that was clicked, shown while the details load (none when opened from a link). */
  summary: RequestLogSummary | null;
  /** The viewer has `pii.read`: ask for IP, user agent, headers and bodies. */
  pii: boolean;
  keys: ReadonlyMap<string, KeyLabel>;
  onClose: () => void;
}

type State =
  | { status: 'loading' }
  | { status: 'missing' }
  | { status: 'error'; message: string; forbidden: boolean }
  | { status: 'ready'; log: RequestLogDetail };

export function LogDetailDialog({ entityId, requestId, summary, pii, keys, onClose }: Props) {
  const [state, setState] = useState<State>({ status: 'loading' });

  const load = useCallback(() => {
    let cancelled = false;
    setState({ status: 'loading' });
    gqlRequest(EntityRequestLogDocument, { id: entityId, requestId, pii }).then(
      (data) => {
        if (cancelled) return;
        const log = data.entity?.requestLog ?? null;
        setState(log ? { status: 'ready', log } : { status: 'missing' });
      },
      (err) => {
        if (!cancelled) setState({ status: 'error', message: errorMessage(err), forbidden: isForbidden(err) });
      },
    );
    return () => {
      cancelled = true;
    };
  }, [entityId, requestId, pii]);

  useEffect(() => load(), [load]);

  const detail = state.status === 'ready' ? state.log : null;
  const log: RequestLogSummary | null = detail ?? summary;
  const key = log?.apiKeyId ? keys.get(log.apiKeyId) : undefined;

  return (
    <Modal
      title="Request details"
      className="modal-wide log-detail"
      onClose={onClose}
      description={
        log ? (
          <span className="log-detail-head">
            <MethodLabel method={log.method} /> <span className="mono break">{log.path}</span>{' '}
            <StatusBadge status={log.status} />
          </span>
        ) : (
          <span className="mono break">{requestId}</span>
        )
      }
    >
      {log && <DetailGrid log={log} detail={detail} pii={pii} keyName={key?.name ?? null} />}

      {state.status === 'loading' && (
        <p className="muted" role="status">
          Loading details…
        </p>
      )}
      {state.status === 'missing' && (
        <p className="warning-box" role="status">
          This request is no longer available. It may be older than the log retention period.
        </p>
      )}
      {state.status === 'error' && (
        <div className="inline-error">
          <p role="alert" className="alert">
            {state.forbidden ? "You don't have access to request details." : state.message}
          </p>
          {!state.forbidden && (
            <button type="button" className="button small" onClick={() => load()}>
              Retry
            </button>
          )}
        </div>
      )}

      {detail && (
        <>
          <CurlBlock command={detail.curlCommand} />
          {pii ? (
            <CapturedData log={detail} />
          ) : (
            <p className="hint detail-note">
              IP address, user agent, headers and bodies are hidden: they need the <span className="mono">pii.read</span>{' '}
              permission.
            </p>
          )}
        </>
      )}

      <div className="form-actions">
        <button type="button" className="button" onClick={onClose}>
          Close
        </button>
      </div>
    </Modal>
  );
}

function DetailGrid({
  log,
  detail,
  pii,
  keyName,
}: {
  log: RequestLogSummary;
  detail: RequestLogDetail | null;
  pii: boolean;
  keyName: string | null;
}) {
  return (
    <dl className="detail-grid" data-testid="log-detail">
      <dt>Request ID</dt>
      <dd className="mono">{log.id}</dd>
      <dt>Time</dt>
      <dd>{formatFullTime(log.timestamp)}</dd>
      <dt>Mode</dt>
      <dd>{log.mode === 'LIVE' ? 'Live' : 'Test'}</dd>
      <dt>Route</dt>
      <dd className="mono break">{log.route}</dd>
      {detail && (
        <>
          <dt>Query string</dt>
          <dd className="mono break">{detail.query || <span className="muted">—</span>}</dd>
        </>
      )}
      <dt>Status</dt>
      <dd>
        {log.status}
        {log.errorCode && (
          <>
            {' '}
            · <span className="mono">{log.errorCode}</span>
          </>
        )}
      </dd>
      <dt>Latency</dt>
      <dd>{formatLatency(log.latencyMs)}</dd>
      <dt>API key</dt>
      <dd>
        {log.apiKeyId ? (
          <>
            {keyName && <span>{keyName} · </span>}
            <span className="mono">{log.apiKeyId}</span>
          </>
        ) : (
          <span className="muted">None</span>
        )}
      </dd>
      {detail && (
        <>
          <dt>Request size</dt>
          <dd>{formatBytes(detail.requestSize)}</dd>
          <dt>Response size</dt>
          <dd>{formatBytes(detail.responseSize)}</dd>
          <dt>Idempotency key</dt>
          <dd className="mono break">{detail.idempotencyKey ?? <span className="muted">—</span>}</dd>
        </>
      )}
      {detail && pii && (
        <>
          <dt>IP address</dt>
          <dd className="mono">{detail.ip ?? <span className="muted">—</span>}</dd>
          <dt>User agent</dt>
          <dd className="break">{detail.userAgent ?? <span className="muted">—</span>}</dd>
        </>
      )}
    </dl>
  );
}

function CapturedData({ log }: { log: RequestLogDetail }) {
  const captured =
    log.requestHeaders != null || log.responseHeaders != null || log.requestBody != null || log.responseBody != null;
  if (!captured) {
    return (
      <p className="hint detail-note">
        Headers and bodies were not captured for this request (body capture is off for this entity).
      </p>
    );
  }
  return (
    <div className="captured">
      <p className="hint">Secrets in headers and bodies are redacted; bodies are truncated to 16 KB.</p>
      <HeadersTable title="Request headers" headers={log.requestHeaders} />
      <BodyBlock title="Request body" body={log.requestBody} />
      <HeadersTable title="Response headers" headers={log.responseHeaders} />
      <BodyBlock title="Response body" body={log.responseBody} />
    </div>
  );
}

function HeadersTable({ title, headers }: { title: string; headers: HttpHeader[] | null | undefined }) {
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

function prettyBody(body: string): string {
  const trimmed = body.trim();
  if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) return body;
  try {
    return JSON.stringify(JSON.parse(trimmed), null, 2);
  } catch {
    return body;
  }
}

function BodyBlock({ title, body }: { title: string; body: string | null | undefined }) {
  return (
    <section className="detail-section" aria-label={title}>
      <h3>{title}</h3>
      {body ? <pre className="code-block">{prettyBody(body)}</pre> : <p className="muted small-text">Empty</p>}
    </section>
  );
}

function CurlBlock({ command }: { command: string }) {
  const { status: copy, copy: copyCommand, ref: codeRef } = useCopyToClipboard(command);

  return (
    <section className="detail-section" aria-label="Reproduce with curl">
      <div className="detail-section-head">
        <h3>Reproduce with curl</h3>
        <button type="button" className="button small" onClick={() => void copyCommand()}>
          {copy === 'copied' ? 'Copied' : 'Copy'}
        </button>
      </div>
      <pre className="code-block">
        <code ref={codeRef} data-testid="curl-command">
          {command}
        </code>
      </pre>
      <p className="hint copy-status" aria-live="polite">
        {copy === 'copied' && 'Copied to the clipboard. Set API_KEY to one of your keys before running it.'}
        {copy === 'failed' && 'Could not copy automatically. The command is selected: press Ctrl+C (⌘C on a Mac).'}
        {copy === 'idle' && (
          <>
            The key is not stored: set <span className="mono">API_KEY</span> to one of your keys before running it.
          </>
        )}
      </p>
    </section>
  );
}
