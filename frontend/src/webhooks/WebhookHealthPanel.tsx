// An endpoint's health over the last 24 h or 7 d: deliveries and attempts, failed attempts by class
// (4xx, 429, 5xx, no answer), the busiest event types and failures grouped by event type, class and
// status. Each group opens the endpoint's deliveries list filtered to its event type (the list's URL
// filter `event`).

import { useCallback, useEffect, useRef, useState } from 'react';
import { Link, useLocation } from 'react-router';
import { gqlRequest } from '../shared/api/client';
import { WebhookEndpointHealthDocument, type HealthWindow, type WebhookEndpointHealthQuery } from '../gql/graphql';
import { formatDateTime, formatNumber, formatPercent, formatRelative } from '../shared/format';
import { Segmented } from '../shared/ui/Segmented';
import { StatusBlock, failureState, type BlockedState } from '../shared/ui/StatusBlock';
import { Figure, WINDOWS } from '../keys/KeyHealthPanel';
import '../insight/health.css';

type Health = NonNullable<NonNullable<WebhookEndpointHealthQuery['entity']>['webhookEndpoint']>['health'];
type State = BlockedState | { status: 'missing' } | { status: 'ready'; health: Health };

/** The current page (the endpoint's detail) with the deliveries list filtered to `eventType`. */
export function deliveriesSearch(search: string, eventType: string): string {
  const params = new URLSearchParams(search);
  params.set('event', eventType);
  params.delete('status');
  return `?${params.toString()}`;
}

export function WebhookHealthPanel({ entityId, endpointId, version = 0 }: { entityId: string; endpointId: string; version?: number }) {
  const [window, setWindow] = useState<HealthWindow>('DAY');
  const [state, setState] = useState<State>({ status: 'loading' });
  const seq = useRef(0);
  const location = useLocation();

  const load = useCallback(() => {
    const mine = ++seq.current;
    gqlRequest(WebhookEndpointHealthDocument, {
      entityId,
      id: endpointId,
      window,
    }).then(
      (data) => {
        if (mine !== seq.current) return;
        const found = data.entity?.webhookEndpoint;
        setState(found ? { status: 'ready', health: found.health } : { status: 'missing' });
      },
      (err) => {
        if (mine === seq.current) setState(failureState(err));
      },
    );
  }, [entityId, endpointId, window]);

  useEffect(() => {
    load();
    return () => {
      seq.current++;
    };
  }, [load, version]);

  return (
    <section className="health-panel" aria-label="Endpoint health" data-testid="webhook-health">
      <div className="section-head">
        <h3>Health</h3>
        <Segmented label="Window" options={WINDOWS} value={window} onChange={setWindow} />
      </div>
      {state.status === 'missing' ? (
        <p className="muted">This endpoint no longer exists.</p>
      ) : state.status !== 'ready' ? (
        <StatusBlock
          state={state}
          title="Health"
          loadingText="Loading the endpoint's health…"
          forbiddenTestId="webhook-health-forbidden"
          onRetry={load}
        />
      ) : (
        <>
          <dl className="health-figures" data-testid="webhook-health-figures">
            <Figure
              label="Deliveries"
              value={formatNumber(state.health.deliveries)}
              note={`${formatNumber(state.health.attempts)} attempts`}
            />
            <Figure label="Failed" value={formatNumber(state.health.failedAttempts)} testId="health-failed" />
            <Figure label="4xx" value={formatNumber(state.health.failed4xx)} note="other than 429" testId="health-failed-4xx" />
            <Figure label="429" value={formatNumber(state.health.failed429)} testId="health-failed-429" />
            <Figure label="5xx" value={formatNumber(state.health.failed5xx)} testId="health-failed-5xx" />
            <Figure label="No answer" value={formatNumber(state.health.failedNetwork)} note="DNS, connect, TLS, timeout…" />
            <Figure
              label="Failure rate"
              value={formatPercent(state.health.failureRate)}
              note={`was ${formatPercent(state.health.previousFailureRate)}`}
              testId="health-failure-rate"
            />
          </dl>
          <h4>Busiest event types</h4>
          {state.health.eventTypes.length === 0 ? (
            <p className="muted">No attempts in this window.</p>
          ) : (
            <ul className="plain-list" data-testid="webhook-health-types">
              {state.health.eventTypes.map((t) => (
                <li key={t.eventType}>
                  <span className="mono">{t.eventType}</span>: {formatNumber(t.attempts)} attempts, {formatNumber(t.failedAttempts)} failed
                </li>
              ))}
            </ul>
          )}
          <h4>Failures</h4>
          {state.health.failureGroups.length === 0 ? (
            <p className="muted">No failed attempt in this window.</p>
          ) : (
            <div className="table-wrap">
              <table className="table" data-testid="webhook-health-groups" aria-label="Failures">
                <thead>
                  <tr>
                    <th scope="col">Event type</th>
                    <th scope="col">Error</th>
                    <th scope="col">Count</th>
                    <th scope="col">Last</th>
                    <th scope="col">Deliveries</th>
                  </tr>
                </thead>
                <tbody>
                  {state.health.failureGroups.map((g) => (
                    <tr key={`${g.eventType}|${g.errorClass ?? ''}|${g.statusCode ?? ''}`} data-failure-group={g.eventType}>
                      <td className="mono">{g.eventType}</td>
                      <td>{g.statusCode !== null ? `HTTP ${g.statusCode}` : <span className="mono">{g.errorClass}</span>}</td>
                      <td>{formatNumber(g.count)}</td>
                      <td>
                        <span title={formatDateTime(g.lastAttemptedAt)}>{formatRelative(g.lastAttemptedAt)}</span>
                        <div className="mono small-text">{g.lastDeliveryId}</div>
                      </td>
                      <td>
                        <Link
                          to={{
                            pathname: location.pathname,
                            search: deliveriesSearch(location.search, g.eventType),
                          }}
                        >
                          Show deliveries
                        </Link>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
    </section>
  );
}
