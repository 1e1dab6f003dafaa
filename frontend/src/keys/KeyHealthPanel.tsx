// A key's health over the last 24 h or 7 d: requests, 4xx / 429 / 5xx, busiest routes, the rate
// limits hit and errors grouped by status, code and route. Each group opens the Logs tab filtered to
// it (the Logs tab's URL filters: key, route, exact status, error code, range).

import { useCallback, useState } from 'react';
import { Link } from 'react-router';
import { gqlRequest } from '../shared/api/client';
import { KeyHealthDocument, type HealthWindow, type KeyHealthQuery, type Mode } from '../gql/graphql';
import { formatNumber, formatPercent, formatRelative } from '../shared/format';
import { Modal } from '../shared/ui/Modal';
import { Figure, HealthPanel, LastSeen } from '../insight/HealthPanel';
import { windowRange } from '../insight/windowedLoad';
import { tabPath } from '../shell/paths';
import { logsSearch } from '../logs/filters';
import '../insight/health.css';

type Health = NonNullable<NonNullable<KeyHealthQuery['entity']>['apiKey']>['health'];
type Group = Health['errorGroups'][number];

/** The Logs tab filtered to one error group of a key. */
export function groupLogsPath(entityId: string, mode: Mode, keyId: string, window: HealthWindow, group: Group): string {
  return `${tabPath(entityId, 'logs')}${logsSearch(mode, {
    range: windowRange(window),
    apiKeyId: keyId,
    route: group.route,
    status: String(group.status),
    errorCode: group.errorCode ?? '',
  })}`;
}

export function KeyHealthPanel({ entityId, apiKey }: { entityId: string; apiKey: { id: string; name: string; mode: Mode } }) {
  const fetchHealth = useCallback(
    (window: HealthWindow) =>
      gqlRequest(KeyHealthDocument, { entityId, id: apiKey.id, window }).then((data) => data.entity?.apiKey?.health),
    [entityId, apiKey.id],
  );
  return (
    <HealthPanel
      label={`Health of ${apiKey.name}`}
      testId="key-health"
      fetchHealth={fetchHealth}
      missingText="This key no longer exists."
      loadingText="Loading the key's health…"
    >
      {(health, window) => <HealthView entityId={entityId} keyId={apiKey.id} mode={apiKey.mode} window={window} health={health} />}
    </HealthPanel>
  );
}

function HealthView({
  entityId,
  keyId,
  mode,
  window,
  health,
}: {
  entityId: string;
  keyId: string;
  mode: Mode;
  window: HealthWindow;
  health: Health;
}) {
  return (
    <>
      <dl className="health-figures" data-testid="key-health-figures">
        <Figure
          label="Requests"
          value={formatNumber(health.requests)}
          note={`${formatNumber(health.previousRequests)} the window before`}
        />
        <Figure label="4xx" value={formatNumber(health.errors4xx)} note="other than 429" testId="health-4xx" />
        <Figure label="429" value={formatNumber(health.rateLimited)} note="rate limit hit" testId="health-429" />
        <Figure label="5xx" value={formatNumber(health.errors5xx)} testId="health-5xx" />
        <Figure
          label="Error rate"
          value={formatPercent(health.errorRate)}
          note={`was ${formatPercent(health.previousErrorRate)}`}
          testId="health-error-rate"
        />
      </dl>

      <h4>Busiest routes</h4>
      {health.busiestRoutes.length === 0 ? (
        <p className="muted">No requests in this window.</p>
      ) : (
        <div className="table-wrap">
          <table className="table" data-testid="key-health-routes" aria-label="Busiest routes">
            <thead>
              <tr>
                <th scope="col">Route</th>
                <th scope="col">Requests</th>
                <th scope="col">4xx</th>
                <th scope="col">429</th>
                <th scope="col">5xx</th>
              </tr>
            </thead>
            <tbody>
              {health.busiestRoutes.map((r) => (
                <tr key={r.route}>
                  <td className="mono break">{r.route}</td>
                  <td>{formatNumber(r.requests)}</td>
                  <td>{formatNumber(r.errors4xx)}</td>
                  <td>{formatNumber(r.rateLimited)}</td>
                  <td>{formatNumber(r.errors5xx)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      <h4>Rate limits hit</h4>
      {health.rateLimited === 0 ? (
        <p className="muted" data-testid="key-health-no-429">
          No 429 in this window.
        </p>
      ) : (
        <p data-testid="key-health-429s">
          {formatNumber(health.rateLimited)} requests answered 429
          {health.lastRateLimitedAt ? `, last ${formatRelative(health.lastRateLimitedAt)}` : ''}:{' '}
          {health.rateLimitedRoutes.map((r) => `${r.route} (${formatNumber(r.rateLimited)})`).join(', ')}
        </p>
      )}

      <h4>Errors by code and route</h4>
      {health.errorGroups.length === 0 ? (
        <p className="muted">No errors in this window.</p>
      ) : (
        <div className="table-wrap">
          <table className="table" data-testid="key-health-groups" aria-label="Errors by code and route">
            <thead>
              <tr>
                <th scope="col">Status</th>
                <th scope="col">Code</th>
                <th scope="col">Route</th>
                <th scope="col">Count</th>
                <th scope="col">Last</th>
                <th scope="col">Logs</th>
              </tr>
            </thead>
            <tbody>
              {health.errorGroups.map((g) => (
                <tr key={`${g.status}|${g.errorCode ?? ''}|${g.route}`} data-error-group={`${g.status} ${g.errorCode ?? ''}`}>
                  <td>{g.status}</td>
                  <td className="mono">{g.errorCode ?? <span className="muted">—</span>}</td>
                  <td className="mono break">{g.route}</td>
                  <td>{formatNumber(g.count)}</td>
                  <td>
                    <LastSeen at={g.lastAt} id={g.lastRequestId} />
                  </td>
                  <td>
                    <Link
                      to={groupLogsPath(entityId, mode, keyId, window, g)}
                      aria-label={`Logs of ${g.status} ${g.errorCode ?? ''} on ${g.route}`}
                    >
                      View logs
                    </Link>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

/** The key row's "Health" link: opens the panel in a dialog (the key page's detail). */
export function KeyHealthButton({ entityId, apiKey }: { entityId: string; apiKey: { id: string; name: string; mode: Mode } }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" className="link-button" onClick={() => setOpen(true)} aria-label={`Health of ${apiKey.name}`}>
        Health
      </button>
      {open && (
        <Modal title={`Health: ${apiKey.name}`} onClose={() => setOpen(false)} className="modal-wide">
          <KeyHealthPanel entityId={entityId} apiKey={apiKey} />
          <div className="form-actions">
            <button type="button" className="button" onClick={() => setOpen(false)}>
              Close
            </button>
          </div>
        </Modal>
      )}
    </>
  );
}
