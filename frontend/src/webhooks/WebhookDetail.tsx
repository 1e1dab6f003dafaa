import { useCallback, useEffect, useId, useRef, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { GraphQLRequestError, errorMessage, gqlRequest } from '../shared/api/client';
import {
  PauseWebhookEndpointDocument,
  ResumeWebhookEndpointDocument,
  RetryWebhookDeliveryDocument,
  WebhookDeliveriesDocument,
  WebhookEndpointDetailDocument,
  type Mode,
  type WebhookDeliveryStatus,
} from '../gql/graphql';
import { formatDateTime, formatRelative } from '../shared/format';
import { StatusBlock, failureState, type BlockedState } from '../shared/ui/StatusBlock';
import { Flash } from '../shared/ui/Flash';
import { LoadMore } from '../shared/ui/LoadMore';
import { useSearchState } from '../shared/url/useSearchState';
import { oneOf, text } from '../shared/url/searchState';
import { EndpointFormDialog, type CatalogState } from './EndpointFormDialog';
import { ErrorAlert } from './ErrorAlert';
import { AttemptInspector } from './AttemptInspector';
import { WebhookHealthPanel } from './WebhookHealthPanel';
import {
  DeleteEndpointDialog,
  ReplayDialog,
  RevealSecretDialog,
  RotateSecretDialog,
  SendTestDialog,
  SigningSecretDialog,
  rotationNote,
} from './WebhookDialogs';
import { StatusBadge, webhookPath } from './WebhooksTab';
import {
  DELIVERY_PAGE_SIZE,
  canRetry,
  deliveryStatusLabel,
  eventsLabel,
  formatSuccessRate,
  pendingNote,
  type DeliveryInfrastructure,
  type WebhookDelivery,
  type WebhookEndpoint,
} from './webhookUtils';

export const DELIVERY_FILTERS = {
  status: oneOf('status', ['ALL', 'PENDING', 'HELD', 'SUCCEEDED', 'FAILED'] as const, 'ALL'),
  eventType: text('event', 200),
};

type DetailState =
  | BlockedState
  | { status: 'missing' }
  | { status: 'ready'; endpoint: WebhookEndpoint; infra: DeliveryInfrastructure };

type Dialog =
  | { kind: 'none' }
  | { kind: 'edit' }
  | { kind: 'rotate' }
  | { kind: 'reveal' }
  | { kind: 'test' }
  | { kind: 'replay' }
  | { kind: 'delete' }
  | { kind: 'secret'; secret: string; title: string; note?: string }
  | { kind: 'inspect'; delivery: WebhookDelivery };

interface Props {
  entityId: string;
  endpointId: string;
  mode: Mode;
  catalog: CatalogState;
  onRetryCatalog: () => void;
}

export function WebhookDetail({ entityId, endpointId, mode, catalog, onRetryCatalog }: Props) {
  const navigate = useNavigate();
  const [state, setState] = useState<DetailState>({ status: 'loading' });
  const [dialog, setDialog] = useState<Dialog>({ kind: 'none' });
  const [flash, setFlash] = useState<string | null>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [deliveriesVersion, setDeliveriesVersion] = useState(0);
  const seqRef = useRef(0);
  const uid = useId();

  const load = useCallback(() => {
    const seq = ++seqRef.current;
    gqlRequest(WebhookEndpointDetailDocument, { entityId, id: endpointId }).then(
      (data) => {
        if (seq !== seqRef.current) return;
        if (!data.entity) {
          setState(failureState(new GraphQLRequestError('Entity not found.', 'NOT_FOUND')));
        } else if (!data.entity.webhookEndpoint) {
          setState({ status: 'missing' });
        } else {
          setState({ status: 'ready', endpoint: data.entity.webhookEndpoint, infra: data.entity.webhookDelivery });
        }
      },
      (err) => {
        if (seq === seqRef.current) setState(failureState(err));
      },
    );
  }, [entityId, endpointId]);

  useEffect(() => {
    load();
    return () => {
      seqRef.current++;
    };
  }, [load]);

  // Back to the list of the endpoint's own mode (the URL's until it is known).
  const backTo = webhookPath(entityId, null, state.status === 'ready' ? state.endpoint.mode : mode);
  const back = (
    <p>
      <Link to={backTo}>← Webhooks</Link>
    </p>
  );

  if (state.status === 'missing') {
    return (
      <div className="empty-state">
        {back}
        <p>
          <strong>Webhook not found</strong>
        </p>
        <p className="muted">It may have been deleted, or it belongs to another entity.</p>
      </div>
    );
  }
  if (state.status !== 'ready') {
    return (
      <>
        {back}
        <StatusBlock
          state={state}
          title="Webhooks"
          loadingText="Loading the webhook…"
          forbiddenTestId="webhooks-forbidden"
          onRetry={() => {
            setState({ status: 'loading' });
            load();
          }}
        />
      </>
    );
  }

  const { endpoint, infra } = state;

  function updated(next: WebhookEndpoint) {
    setState((s) => (s.status === 'ready' ? { ...s, endpoint: next } : s));
  }

  async function pauseOrResume() {
    setBusy(true);
    setActionError(null);
    try {
      if (endpoint.status === 'ACTIVE') {
        const data = await gqlRequest(PauseWebhookEndpointDocument, { input: { endpointId: endpoint.id } });
        updated(data.pauseWebhookEndpoint.endpoint);
        setFlash('Paused. New events are held until you resume.');
      } else {
        const data = await gqlRequest(ResumeWebhookEndpointDocument, { input: { endpointId: endpoint.id } });
        updated(data.resumeWebhookEndpoint.endpoint);
        setFlash(
          endpoint.heldCount > 0 ? `Resumed. ${endpoint.heldCount} held deliveries are sent, oldest first.` : 'Resumed.',
        );
        setDeliveriesVersion((v) => v + 1);
      }
    } catch (err) {
      setActionError(err);
    } finally {
      setBusy(false);
    }
  }

  const close = () => setDialog({ kind: 'none' });
  const note = pendingNote(infra);

  return (
    <div className="webhook-detail" data-endpoint-id={endpoint.id}>
      {back}
      <div className="section-head">
        <div>
          <h2 className="mono break" data-testid="webhook-url">
            {endpoint.url}
          </h2>
          <p className="muted">
            <StatusBadge status={endpoint.status} /> <span className={`pill mode-${endpoint.mode.toLowerCase()}`}>{endpoint.mode}</span>{' '}
            {endpoint.description || 'No description'} · <span className="mono">{endpoint.id}</span>
          </p>
        </div>
      </div>

      {endpoint.status === 'DISABLED' && (
        <div className="alert-box danger" role="status" data-testid="webhook-disabled">
          <strong>Disabled{endpoint.statusChangedAt ? ` ${formatDateTime(endpoint.statusChangedAt)}` : ''}.</strong>{' '}
          {endpoint.statusReason ?? 'Deliveries kept failing.'} New events are held ({endpoint.heldCount}) and nothing is sent until
          you resume the endpoint.
        </div>
      )}
      {endpoint.status === 'PAUSED' && (
        <p className="warning-box" role="status" data-testid="webhook-paused">
          Paused{endpoint.statusChangedAt ? ` ${formatRelative(endpoint.statusChangedAt)}` : ''}. {endpoint.heldCount}{' '}
          {endpoint.heldCount === 1 ? 'delivery is' : 'deliveries are'} held; they are sent when you resume.
        </p>
      )}
      {note && (
        <p className="notice-box" role="status" data-testid="delivery-pending">
          {note}
        </p>
      )}

      <div className="toolbar" role="toolbar" aria-label="Webhook actions">
        <button type="button" className="button primary" onClick={() => setDialog({ kind: 'test' })}>
          Send test event
        </button>
        <button type="button" className="button" onClick={() => void pauseOrResume()} disabled={busy}>
          {endpoint.status === 'ACTIVE' ? 'Pause' : 'Resume'}
        </button>
        <button type="button" className="button" onClick={() => setDialog({ kind: 'edit' })}>
          Edit
        </button>
        <button type="button" className="button" onClick={() => setDialog({ kind: 'reveal' })}>
          Reveal secret
        </button>
        <button type="button" className="button" onClick={() => setDialog({ kind: 'rotate' })}>
          Rotate secret
        </button>
        <button type="button" className="button" onClick={() => setDialog({ kind: 'replay' })}>
          Replay events
        </button>
        <button type="button" className="button danger" onClick={() => setDialog({ kind: 'delete' })}>
          Delete
        </button>
      </div>
      {actionError !== null && <ErrorAlert error={actionError} id={`${uid}-action-error`} />}
      <Flash message={flash} onDismiss={() => setFlash(null)} />

      <dl className="detail-grid" data-testid="webhook-summary">
        <dt>Events</dt>
        <dd className="mono">{eventsLabel(endpoint.eventTypes)}</dd>
        <dt>Success (24 h)</dt>
        <dd>
          {formatSuccessRate(endpoint.stats.successRate)}{' '}
          <span className="muted">
            ({endpoint.stats.succeeded} succeeded, {endpoint.stats.failed} failed of {endpoint.stats.attempts} attempts)
          </span>
        </dd>
        <dt>Last delivery</dt>
        <dd>{endpoint.lastDeliveryAt ? formatDateTime(endpoint.lastDeliveryAt) : <span className="muted">Never</span>}</dd>
        <dt>Last success</dt>
        <dd>{endpoint.lastSuccessAt ? formatDateTime(endpoint.lastSuccessAt) : <span className="muted">Never</span>}</dd>
        {endpoint.failingSince && (
          <>
            <dt>Failing since</dt>
            <dd>{formatDateTime(endpoint.failingSince)}</dd>
          </>
        )}
        <dt>Pending / held</dt>
        <dd>
          {endpoint.pendingCount} / {endpoint.heldCount}
        </dd>
        <dt>Rate limit</dt>
        <dd>{endpoint.rateLimitPerSecond ? `${endpoint.rateLimitPerSecond}/s` : <span className="muted">None</span>}</dd>
        <dt>Concurrency</dt>
        <dd>{endpoint.maxConcurrency ?? <span className="muted">Default</span>}</dd>
        <dt>Signing secrets</dt>
        <dd data-testid="webhook-secrets">
          {endpoint.secrets.length === 0 ? (
            <span className="muted">None</span>
          ) : (
            <ul className="plain-list">
              {endpoint.secrets.map((s, i) => (
                <li key={s.id}>
                  {i === 0 ? 'Current' : 'Previous'}, created {formatDateTime(s.createdAt)}
                  {s.expiresAt ? `, expires ${formatDateTime(s.expiresAt)}` : ''}
                </li>
              ))}
            </ul>
          )}
        </dd>
        <dt>Created</dt>
        <dd>{formatDateTime(endpoint.createdAt)}</dd>
      </dl>

      <WebhookHealthPanel entityId={entityId} endpointId={endpoint.id} version={deliveriesVersion} />

      <Deliveries
        key={deliveriesVersion}
        endpoint={endpoint}
        onRefresh={load}
        onInspect={(delivery) => setDialog({ kind: 'inspect', delivery })}
        onRetried={() => {
          setFlash('Retry queued.');
          setDeliveriesVersion((v) => v + 1);
        }}
      />

      {dialog.kind === 'edit' && (
        <EndpointFormDialog
          entityId={entityId}
          mode={endpoint.mode}
          catalog={catalog}
          onRetryCatalog={onRetryCatalog}
          endpoint={endpoint}
          onSaved={(next) => {
            close();
            updated(next);
            setFlash('Saved.');
          }}
          onClose={close}
        />
      )}
      {dialog.kind === 'rotate' && (
        <RotateSecretDialog
          endpoint={endpoint}
          onRotated={(result, grace) => {
            updated(result.endpoint);
            setDialog({
              kind: 'secret',
              secret: result.secret,
              title: 'Copy the new signing secret',
              note: rotationNote(result.previousSecretsExpireAt, grace),
            });
          }}
          onClose={close}
        />
      )}
      {dialog.kind === 'reveal' && (
        <RevealSecretDialog
          endpoint={endpoint}
          onRevealed={(secret) => setDialog({ kind: 'secret', secret, title: 'Signing secret' })}
          onClose={close}
        />
      )}
      {dialog.kind === 'secret' && (
        <SigningSecretDialog
          secret={dialog.secret}
          endpoint={endpoint}
          title={dialog.title}
          note={dialog.note}
          onDone={close}
        />
      )}
      {dialog.kind === 'test' && (
        <SendTestDialog
          endpoint={endpoint}
          catalog={catalog}
          pendingNote={note}
          onRetryCatalog={onRetryCatalog}
          onSent={(delivery) => {
            close();
            setFlash(`Test event ${delivery.eventType} queued (${delivery.eventId}).`);
            setDeliveriesVersion((v) => v + 1);
          }}
          onClose={close}
        />
      )}
      {dialog.kind === 'replay' && (
        <ReplayDialog
          endpoint={endpoint}
          onReplayed={(count) => {
            close();
            setFlash(count === 0 ? 'Nothing to replay in that period.' : `Replaying ${count} ${count === 1 ? 'event' : 'events'}.`);
            setDeliveriesVersion((v) => v + 1);
          }}
          onClose={close}
        />
      )}
      {dialog.kind === 'delete' && (
        <DeleteEndpointDialog
          endpoint={endpoint}
          onDeleted={() => navigate(backTo)}
          onClose={close}
        />
      )}
      {dialog.kind === 'inspect' && <AttemptInspector delivery={dialog.delivery} entityId={entityId} onClose={close} />}
    </div>
  );
}

// Deliveries ------------------------------------------------------------------------------------

/** Pending deliveries are looked at again every POLL_MS, at most MAX_POLLS times in a row. */
const POLL_MS = 3000;
const MAX_POLLS = 20;

type DeliveriesState =
  | BlockedState
  | {
      status: 'ready';
      deliveries: WebhookDelivery[];
      totalCount: number;
      endCursor: string | null;
      hasNextPage: boolean;
      loadingMore: boolean;
      refreshing: boolean;
      moreError: string | null;
    };

function Deliveries({
  endpoint,
  onRefresh,
  onInspect,
  onRetried,
}: {
  endpoint: WebhookEndpoint;
  /** Reloads the endpoint (its counts and stats) along with the deliveries. */
  onRefresh: () => void;
  onInspect: (delivery: WebhookDelivery) => void;
  onRetried: () => void;
}) {
  const uid = useId();
  const [filters, setFilters] = useSearchState(DELIVERY_FILTERS);
  const [state, setState] = useState<DeliveriesState>({ status: 'loading' });
  const [retryError, setRetryError] = useState<unknown>(null);
  const [retrying, setRetrying] = useState<string | null>(null);
  const seqRef = useRef(0);

  const fetchPage = useCallback(
    async (after: string | null) => {
      const status: WebhookDeliveryStatus[] | null = filters.status === 'ALL' ? null : [filters.status];
      const eventType = filters.eventType.trim();
      const data = await gqlRequest(WebhookDeliveriesDocument, {
        id: endpoint.id,
        filter: { status, eventTypes: eventType ? [eventType] : null },
        first: DELIVERY_PAGE_SIZE,
        after,
      });
      return data.webhookEndpoint.deliveries;
    },
    [endpoint.id, filters],
  );

  const reload = useCallback(() => {
    const seq = ++seqRef.current;
    setState((s) => (s.status === 'ready' ? { ...s, refreshing: true } : { status: 'loading' }));
    fetchPage(null).then(
      (page) => {
        if (seq !== seqRef.current) return;
        setState({
          status: 'ready',
          deliveries: page.edges.map((e) => e.node),
          totalCount: page.totalCount,
          endCursor: page.pageInfo.endCursor,
          hasNextPage: page.pageInfo.hasNextPage,
          loadingMore: false,
          refreshing: false,
          moreError: null,
        });
      },
      (err) => {
        if (seq === seqRef.current) setState(failureState(err));
      },
    );
  }, [fetchPage]);

  useEffect(() => {
    reload();
    return () => {
      seqRef.current++;
    };
  }, [reload]);

  // While a shown delivery is due (not held), look again now and then, so its outcome appears.
  const due = state.status === 'ready' && !state.refreshing && state.deliveries.some((d) => d.status === 'PENDING');
  const polls = useRef(0);
  useEffect(() => {
    if (!due || polls.current >= MAX_POLLS) return;
    const timer = window.setTimeout(() => {
      polls.current++;
      reload();
      onRefresh();
    }, POLL_MS);
    return () => window.clearTimeout(timer);
  }, [due, reload, onRefresh]);

  async function loadMore() {
    if (state.status !== 'ready' || !state.hasNextPage || state.loadingMore) return;
    const seq = seqRef.current;
    setState({ ...state, loadingMore: true, moreError: null });
    try {
      const page = await fetchPage(state.endCursor);
      if (seq !== seqRef.current) return;
      setState((s) =>
        s.status !== 'ready'
          ? s
          : {
              ...s,
              deliveries: [...s.deliveries, ...page.edges.map((e) => e.node).filter((d) => !s.deliveries.some((x) => x.id === d.id))],
              endCursor: page.pageInfo.endCursor,
              hasNextPage: page.pageInfo.hasNextPage,
              loadingMore: false,
            },
      );
    } catch (err) {
      if (seq !== seqRef.current) return;
      setState((s) => (s.status === 'ready' ? { ...s, loadingMore: false, moreError: errorMessage(err) } : s));
    }
  }

  async function retry(delivery: WebhookDelivery) {
    setRetrying(delivery.id);
    setRetryError(null);
    try {
      await gqlRequest(RetryWebhookDeliveryDocument, { input: { deliveryId: delivery.id } });
      onRetried();
    } catch (err) {
      setRetryError(err);
    } finally {
      setRetrying(null);
    }
  }

  const filtered = filters.status !== 'ALL' || filters.eventType.trim() !== '';

  return (
    <section className="detail-section deliveries" aria-labelledby={`${uid}-title`}>
      <div className="section-head">
        <h3 id={`${uid}-title`}>Deliveries</h3>
        <button
          type="button"
          className="button small"
          onClick={() => {
            polls.current = 0;
            reload();
            onRefresh();
          }}
        >
          Refresh
        </button>
      </div>
      <div className="filters" role="search" aria-label="Filter deliveries">
        <div className="filter">
          <label htmlFor={`${uid}-status`}>Status</label>
          <select
            id={`${uid}-status`}
            value={filters.status}
            onChange={(e) => setFilters({ status: e.target.value as (typeof filters)['status'] })}
          >
            <option value="ALL">All</option>
            <option value="PENDING">Pending</option>
            <option value="HELD">Held</option>
            <option value="SUCCEEDED">Succeeded</option>
            <option value="FAILED">Failed</option>
          </select>
        </div>
        <div className="filter">
          <label htmlFor={`${uid}-event`}>Event type</label>
          <input
            id={`${uid}-event`}
            type="search"
            placeholder="e.g. order.created"
            defaultValue={filters.eventType}
            onKeyDown={(e) => {
              if (e.key === 'Enter') setFilters({ eventType: e.currentTarget.value });
            }}
            onBlur={(e) => setFilters({ eventType: e.currentTarget.value })}
          />
        </div>
        {state.status === 'ready' && state.refreshing && (
          <span className="muted filter-status" role="status">
            Updating…
          </span>
        )}
      </div>
      {retryError !== null && <ErrorAlert error={retryError} prefix="Could not retry" />}
      {state.status !== 'ready' ? (
        <StatusBlock
          state={state}
          title="Deliveries"
          loadingText="Loading deliveries…"
          forbiddenTestId="deliveries-forbidden"
          onRetry={() => reload()}
        />
      ) : state.deliveries.length === 0 ? (
        <div className="empty-state">
          <p className="muted">
            {filtered ? 'No deliveries match these filters.' : 'No deliveries yet. Send a test event to check the receiver.'}
          </p>
        </div>
      ) : (
        <>
          <p className="muted small-text">
            {state.totalCount} {state.totalCount === 1 ? 'delivery' : 'deliveries'}
          </p>
          <div className="table-scroll">
            <table className="table deliveries-table" aria-label="Deliveries" aria-busy={state.refreshing || undefined}>
              <thead>
                <tr>
                  <th scope="col">Created</th>
                  <th scope="col">Event</th>
                  <th scope="col">Status</th>
                  <th scope="col">Attempts</th>
                  <th scope="col">Last result</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {state.deliveries.map((d) => (
                  <tr key={d.id} data-delivery-id={d.id}>
                    <td title={formatDateTime(d.createdAt)}>{formatRelative(d.createdAt)}</td>
                    <td>
                      <span className="mono">{d.eventType}</span>
                      {d.kind !== 'EVENT' && <span className="pill kind">{d.kind === 'TEST' ? 'Test' : 'Replay'}</span>}
                      <div className="key-desc muted mono">{d.eventId}</div>
                    </td>
                    <td>
                      <span className={`pill delivery-${d.status.toLowerCase()}`} data-testid="delivery-status">
                        {deliveryStatusLabel(d.status)}
                      </span>
                      {d.status === 'PENDING' && d.nextAttemptAt && (
                        <div className="key-desc muted" title={formatDateTime(d.nextAttemptAt)}>
                          Next {formatRelative(d.nextAttemptAt)}
                        </div>
                      )}
                    </td>
                    <td>{d.attemptCount}</td>
                    <td className="small-text">
                      {d.lastStatusCode !== null ? `HTTP ${d.lastStatusCode}` : ''}
                      {d.lastError ? <div className="muted break">{d.lastError}</div> : null}
                      {d.lastStatusCode === null && !d.lastError && <span className="muted">—</span>}
                    </td>
                    <td className="actions-cell">
                      <button type="button" className="button small" onClick={() => onInspect(d)}>
                        Inspect
                      </button>{' '}
                      {canRetry(d) && (
                        <button
                          type="button"
                          className="button small"
                          onClick={() => void retry(d)}
                          disabled={retrying !== null}
                          aria-label={`Retry delivery ${d.id}`}
                        >
                          {retrying === d.id ? 'Retrying…' : 'Retry'}
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <LoadMore
            hasNextPage={state.hasNextPage}
            loading={state.loadingMore}
            error={state.moreError}
            what="deliveries"
            onLoad={() => void loadMore()}
          />
        </>
      )}
    </section>
  );
}
