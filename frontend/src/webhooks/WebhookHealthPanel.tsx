// An endpoint's health over the last 24 h or 7 d: deliveries and attempts, failed attempts by class
// (4xx, 429, 5xx, no answer), the busiest event types and failures grouped by event type, class and
// status. Each group opens the endpoint's deliveries list filtered to its event type (the list's URL
// filter `event`).

import { useCallback } from 'react';
import { Link, useLocation } from 'react-router';
import { gqlRequest } from '../shared/api/client';
import { WebhookEndpointHealthDocument, type HealthWindow } from '../gql/graphql';
import { formatNumber, formatPercent } from '../shared/format';
import { Figure, HealthPanel, LastSeen } from '../insight/HealthPanel';
import '../insight/health.css';

/** The current page (the endpoint's detail) with the deliveries list filtered to `eventType`. */
export function deliveriesSearch(search: string, eventType: string): string {
  const params = new URLSearchParams(search);
  params.set('event', eventType);
  params.delete('status');
  return `?${params.toString()}`;
}

export function WebhookHealthPanel({ entityId, endpointId, version = 0 }: { entityId: string; endpointId: string; version?: number }) {
  const location = useLocation();
  const fetchHealth = useCallback(
    (window: HealthWindow) =>
      gqlRequest(WebhookEndpointHealthDocument, { entityId, id: endpointId, window }).then((data) => data.entity?.webhookEndpoint?.health),
    [entityId, endpointId],
  );

  return (
    <HealthPanel
      label="Endpoint health"
      testId="webhook-health"
      fetchHealth={fetchHealth}
      missingText="This endpoint no longer exists."
      loadingText="Loading the endpoint's health…"
      keepShownWhileLoading
      version={version}
    >
      {(health) => (
        <>
          <dl className="health-figures" data-testid="webhook-health-figures">
            <Figure label="Deliveries" value={formatNumber(health.deliveries)} note={`${formatNumber(health.attempts)} attempts`} />
            <Figure label="Failed" value={formatNumber(health.failedAttempts)} testId="health-failed" />
            <Figure label="4xx" value={formatNumber(health.failed4xx)} note="other than 429" testId="health-failed-4xx" />
            <Figure label="429" value={formatNumber(health.failed429)} testId="health-failed-429" />
            <Figure label="5xx" value={formatNumber(health.failed5xx)} testId="health-failed-5xx" />
            <Figure label="No answer" value={formatNumber(health.failedNetwork)} note="DNS, connect, TLS, timeout…" />
            <Figure
              label="Failure rate"
              value={formatPercent(health.failureRate)}
              note={`was ${formatPercent(health.previousFailureRate)}`}
              testId="health-failure-rate"
            />
          </dl>
          <h4>Busiest event types</h4>
          {health.eventTypes.length === 0 ? (
            <p className="muted">No attempts in this window.</p>
          ) : (
            <ul className="plain-list" data-testid="webhook-health-types">
              {health.eventTypes.map((t) => (
                <li key={t.eventType}>
                  <span className="mono">{t.eventType}</span>: {formatNumber(t.attempts)} attempts, {formatNumber(t.failedAttempts)} failed
                </li>
              ))}
            </ul>
          )}
          <h4>Failures</h4>
          {health.failureGroups.length === 0 ? (
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
                  {health.failureGroups.map((g) => (
                    <tr key={`${g.eventType}|${g.errorClass ?? ''}|${g.statusCode ?? ''}`} data-failure-group={g.eventType}>
                      <td className="mono">{g.eventType}</td>
                      <td>{g.statusCode !== null ? `HTTP ${g.statusCode}` : <span className="mono">{g.errorClass}</span>}</td>
                      <td>{formatNumber(g.count)}</td>
                      <td>
                        <LastSeen at={g.lastAttemptedAt} id={g.lastDeliveryId} />
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
    </HealthPanel>
  );
}
