import { useCallback, useEffect, useRef, useState } from 'react';
import { Link, useParams } from 'react-router';
import { GraphQLRequestError, errorMessage, gqlRequest } from '../shared/api/client';
import { EntityWebhookEndpointsDocument, WebhookEventTypesDocument, type Mode } from '../gql/graphql';
import { formatDateTime, formatRelative } from '../shared/format';
import { StatusBlock, failureState, type BlockedState } from '../shared/ui/StatusBlock';
import { Flash } from '../shared/ui/Flash';
import { LoadMore } from '../shared/ui/LoadMore';
import { oneOf } from '../shared/url/searchState';
import { tabPath } from '../shell/paths';
import { usePageMode } from '../shell/pageMode';
import { EndpointFormDialog, type CatalogState } from './EndpointFormDialog';
import { SigningSecretDialog } from './WebhookDialogs';
import { WebhookDetail } from './WebhookDetail';
import { SignatureDebugger } from './SignatureDebugger';
import { EventCatalog } from './EventCatalog';
import './webhooks.css';
import {
  PAGE_SIZE,
  eventsLabel,
  formatSuccessRate,
  pendingNote,
  statusLabel,
  type DeliveryInfrastructure,
  type WebhookEndpoint,
} from './webhookUtils';

export const WEBHOOK_FILTERS = { mode: oneOf('mode', ['TEST', 'LIVE'] as const, 'TEST') };
/** The path segment of the event catalog (endpoint ids start with `whe_`). */
export const CATALOG_SEGMENT = 'event-types';

/** The URL of an endpoint's detail view (or the catalog), in a mode. */
export function webhookPath(entityId: string, sub: string | null, mode: Mode): string {
  const base = tabPath(entityId, 'webhooks');
  return `${base}${sub ? `/${encodeURIComponent(sub)}` : ''}?mode=${mode.toLowerCase()}`;
}

/** The catalog of event types, loaded once per tab and shared by its dialogs. */
export function useEventCatalog() {
  const [catalog, setCatalog] = useState<CatalogState>({ status: 'loading' });
  const load = useCallback(() => {
    setCatalog({ status: 'loading' });
    gqlRequest(WebhookEventTypesDocument).then(
      (data) => setCatalog({ status: 'ready', families: data.webhookEventTypes }),
      (err) => setCatalog({ status: 'error', message: errorMessage(err) }),
    );
  }, []);
  useEffect(() => load(), [load]);
  return [catalog, load] as const;
}

/** Settings › Developers › Webhooks: the list, or the detail / catalog named by the URL. */
export function WebhooksTab({ entityId }: { entityId: string }) {
  const { detailId } = useParams();
  // The page's Test/Live switch (Developers header) sets the mode; the list shows that mode's endpoints.
  const [catalog, reloadCatalog] = useEventCatalog();
  const mode = usePageMode().gqlMode;
  const modeSwitch = null;

  if (detailId === CATALOG_SEGMENT) {
    return <EventCatalog catalog={catalog} onRetry={reloadCatalog} backTo={webhookPath(entityId, null, mode)} />;
  }
  if (detailId) {
    return (
      <WebhookDetail
        key={detailId}
        entityId={entityId}
        endpointId={detailId}
        mode={mode}
        catalog={catalog}
        onRetryCatalog={reloadCatalog}
      />
    );
  }
  return <EndpointList key={mode} entityId={entityId} mode={mode} modeSwitch={modeSwitch} catalog={catalog} onRetryCatalog={reloadCatalog} />;
}

type ListState =
  | BlockedState
  | {
      status: 'ready';
      endpoints: WebhookEndpoint[];
      infra: DeliveryInfrastructure;
      liveModeEnabled: boolean;
      totalCount: number;
      endCursor: string | null;
      hasNextPage: boolean;
      loadingMore: boolean;
      moreError: string | null;
    };

function EndpointList({
  entityId,
  mode,
  modeSwitch,
  catalog,
  onRetryCatalog,
}: {
  entityId: string;
  mode: Mode;
  modeSwitch: React.ReactNode;
  catalog: CatalogState;
  onRetryCatalog: () => void;
}) {
  const [state, setState] = useState<ListState>({ status: 'loading' });
  const [creating, setCreating] = useState(false);
  const [debugging, setDebugging] = useState(false);
  const [issued, setIssued] = useState<{ secret: string; endpoint: WebhookEndpoint } | null>(null);
  const [flash, setFlash] = useState<string | null>(null);
  const seqRef = useRef(0);

  const fetchPage = useCallback(
    async (after: string | null) => {
      const data = await gqlRequest(EntityWebhookEndpointsDocument, { id: entityId, mode, status: null, first: PAGE_SIZE, after });
      if (!data.entity) throw new GraphQLRequestError('Entity not found.', 'NOT_FOUND');
      return data.entity;
    },
    [entityId, mode],
  );

  const reload = useCallback(() => {
    const seq = ++seqRef.current;
    fetchPage(null).then(
      (entity) => {
        if (seq !== seqRef.current) return;
        setState({
          status: 'ready',
          endpoints: entity.webhookEndpoints.edges.map((e) => e.node),
          infra: entity.webhookDelivery,
          liveModeEnabled: entity.liveModeEnabled,
          totalCount: entity.webhookEndpoints.totalCount,
          endCursor: entity.webhookEndpoints.pageInfo.endCursor,
          hasNextPage: entity.webhookEndpoints.pageInfo.hasNextPage,
          loadingMore: false,
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

  async function loadMore() {
    if (state.status !== 'ready' || !state.hasNextPage || state.loadingMore) return;
    const seq = seqRef.current;
    setState({ ...state, loadingMore: true, moreError: null });
    try {
      const entity = await fetchPage(state.endCursor);
      if (seq !== seqRef.current) return;
      setState((s) =>
        s.status !== 'ready'
          ? s
          : {
              ...s,
              endpoints: [...s.endpoints, ...entity.webhookEndpoints.edges.map((e) => e.node).filter((n) => !s.endpoints.some((x) => x.id === n.id))],
              endCursor: entity.webhookEndpoints.pageInfo.endCursor,
              hasNextPage: entity.webhookEndpoints.pageInfo.hasNextPage,
              loadingMore: false,
            },
      );
    } catch (err) {
      if (seq !== seqRef.current) return;
      setState((s) => (s.status === 'ready' ? { ...s, loadingMore: false, moreError: errorMessage(err) } : s));
    }
  }

  if (state.status !== 'ready') {
    return (
      <StatusBlock
        state={state}
        title="Webhooks"
        loadingText="Loading webhooks…"
        forbiddenTestId="webhooks-forbidden"
        onRetry={() => {
          setState({ status: 'loading' });
          reload();
        }}
      />
    );
  }

  const note = pendingNote(state.infra);
  return (
    <div className="webhooks">
      <div className="section-head">
        <div>
          <h2>Webhooks</h2>
          <p className="muted">
            Endpoints receive this entity&apos;s {mode.toLowerCase()} events as signed HTTP POST requests.{' '}
            <Link to={webhookPath(entityId, CATALOG_SEGMENT, mode)}>Browse event types</Link>
          </p>
        </div>
        <div className="toolbar">
          <button type="button" className="button" onClick={() => setDebugging(true)}>
            Debug a signature
          </button>
          <button type="button" className="button primary" onClick={() => setCreating(true)}>
            Create webhook
          </button>
        </div>
      </div>
      {debugging && <SignatureDebugger entityId={entityId} onClose={() => setDebugging(false)} />}
      <div className="filters" aria-label="Webhook filters" role="group">
        {modeSwitch}
      </div>
      {note && (
        <p className="notice-box" role="status" data-testid="delivery-pending">
          {note}
        </p>
      )}
      <Flash message={flash} onDismiss={() => setFlash(null)} />

      {state.endpoints.length === 0 ? (
        <div className="empty-state">
          <p>
            <strong>No {mode.toLowerCase()} webhooks yet</strong>
          </p>
          <p className="muted">
            Create a webhook to send event notifications (orders, invoices, payments…) to a system you own. Start in Test mode
            and send a test event before going live.
          </p>
        </div>
      ) : (
        <div className="table-scroll">
          <table className="table webhooks-table" aria-label="Webhook endpoints">
            <thead>
              <tr>
                <th scope="col">Endpoint</th>
                <th scope="col">Events</th>
                <th scope="col">Status</th>
                <th scope="col">Success (24 h)</th>
                <th scope="col">Last delivery</th>
                <th scope="col">Held</th>
              </tr>
            </thead>
            <tbody>
              {state.endpoints.map((endpoint) => (
                <tr key={endpoint.id} data-endpoint-id={endpoint.id}>
                  <td>
                    <Link to={webhookPath(entityId, endpoint.id, mode)} className="mono break">
                      {endpoint.url}
                    </Link>
                    {endpoint.description && <div className="key-desc muted">{endpoint.description}</div>}
                  </td>
                  <td className="mono small-text">{eventsLabel(endpoint.eventTypes)}</td>
                  <td>
                    <StatusBadge status={endpoint.status} />
                  </td>
                  <td title={`${endpoint.stats.succeeded} of ${endpoint.stats.attempts} attempts succeeded`}>
                    {formatSuccessRate(endpoint.stats.successRate)}
                  </td>
                  <td>
                    {endpoint.lastDeliveryAt ? (
                      <span title={formatDateTime(endpoint.lastDeliveryAt)}>{formatRelative(endpoint.lastDeliveryAt)}</span>
                    ) : (
                      <span className="muted">Never</span>
                    )}
                  </td>
                  <td>{endpoint.heldCount > 0 ? endpoint.heldCount : <span className="muted">0</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      <LoadMore hasNextPage={state.hasNextPage} loading={state.loadingMore} error={state.moreError} what="webhooks" onLoad={() => void loadMore()} />

      {creating && (
        <EndpointFormDialog
          entityId={entityId}
          mode={mode}
          liveModeEnabled={state.status === 'ready' ? state.liveModeEnabled : true}
          catalog={catalog}
          onRetryCatalog={onRetryCatalog}
          onCreated={(secret, endpoint) => {
            setCreating(false);
            setIssued({ secret, endpoint });
            setFlash(null);
            reload();
          }}
          onClose={() => setCreating(false)}
        />
      )}
      {issued && (
        <SigningSecretDialog
          secret={issued.secret}
          endpoint={issued.endpoint}
          note="You can reveal it again later from the webhook's page (revealing is audited)."
          onDone={() => {
            setFlash(`Created the webhook for ${issued.endpoint.url}.`);
            setIssued(null);
          }}
        />
      )}
    </div>
  );
}

export function StatusBadge({ status }: { status: WebhookEndpoint['status'] }) {
  return (
    <span className={`pill webhook-status status-${status.toLowerCase()}`} data-testid="webhook-status">
      {statusLabel(status)}
    </span>
  );
}
