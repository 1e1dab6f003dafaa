import type { Mode } from '../gql/graphql';
import type { KeyLabel } from '../shared/entityInfo';
import type { SubscriptionStatus } from '../shared/api/subscribe';
import { formatFullTime, formatLatency, formatLogTime } from '../shared/format';
import { MethodLabel, StatusBadge } from './LogBadges';
import { CUSTOM_RANGE, clean, type LogFilters } from './filters';
import { TEXT_LABELS } from './LogFilterBar';
import type { Row } from './logUtils';

export function LogTable({
  rows,
  keys,
  pii,
  busy,
  onOpen,
  onFilter,
}: {
  rows: Row[];
  keys: ReadonlyMap<string, KeyLabel>;
  /** The viewer has `pii.read`: the rows carry the client IP. */
  pii: boolean;
  busy: boolean;
  onOpen: (row: Row) => void;
  /** Narrow the list to a value of a row (its key, its client IP). */
  onFilter: (patch: Partial<LogFilters>) => void;
}) {
  return (
    <div className="table-scroll">
      <table className="table logs-table" aria-label="Request logs" aria-busy={busy || undefined}>
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Method</th>
            <th scope="col">Path</th>
            <th scope="col">Status</th>
            <th scope="col">Error code</th>
            <th scope="col" className="num">
              Latency
            </th>
            <th scope="col">Key</th>
            {pii && <th scope="col">Client IP</th>}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <LogRow key={row.id} row={row} keys={keys} pii={pii} onOpen={() => onOpen(row)} onFilter={onFilter} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function LogRow({
  row,
  keys,
  pii,
  onOpen,
  onFilter,
}: {
  row: Row;
  keys: ReadonlyMap<string, KeyLabel>;
  pii: boolean;
  onOpen: () => void;
  onFilter: (patch: Partial<LogFilters>) => void;
}) {
  const key = row.apiKeyId ? keys.get(row.apiKeyId) : undefined;
  // The whole row opens the details on click; the time button is the keyboard-accessible way in.
  return (
    <tr data-request-id={row.id} className={row.fresh ? 'log-row fresh' : 'log-row'} onClick={onOpen}>
      <td className="nowrap">
        <button
          type="button"
          className="link-button"
          title={formatFullTime(row.timestamp)}
          aria-label={`${formatLogTime(row.timestamp)}: view request ${row.id}`}
          onClick={(e) => {
            e.stopPropagation();
            onOpen();
          }}
        >
          {formatLogTime(row.timestamp)}
        </button>
      </td>
      <td>
        <MethodLabel method={row.method} />
      </td>
      <td className="path-cell">
        <div className="mono path" title={row.path} data-testid="log-path">
          {row.relativePath || row.path}
        </div>
        <div className="mono request-id muted">{row.id}</div>
      </td>
      <td>
        <StatusBadge status={row.status} />
      </td>
      <td>{row.errorCode ? <span className="mono error-code">{row.errorCode}</span> : <span className="muted">—</span>}</td>
      <td className="num nowrap">{formatLatency(row.latencyMs)}</td>
      <td>
        {row.apiKeyId ? (
          <button
            type="button"
            className={key ? 'link-button key-label' : 'link-button mono key-label'}
            title={key ? `${key.start}…${key.last4}: show only this key's requests` : `${row.apiKeyId}: show only this key's requests`}
            onClick={(e) => {
              e.stopPropagation();
              onFilter({ apiKeyId: row.apiKeyId ?? '' });
            }}
          >
            {key ? key.name : row.apiKeyId}
          </button>
        ) : (
          <span className="muted">—</span>
        )}
      </td>
      {pii && (
        <td className="mono ip-cell" data-testid="client-ip">
          {row.ip ? (
            <button
              type="button"
              className="link-button mono"
              title={`Show only requests from ${row.ip}`}
              onClick={(e) => {
                e.stopPropagation();
                onFilter({ ip: row.ip ?? '' });
              }}
            >
              {row.ip}
            </button>
          ) : (
            <span className="muted">—</span>
          )}
        </td>
      )}
    </tr>
  );
}

export function LiveSwitch({
  live,
  status,
  onChange,
}: {
  live: boolean;
  status: SubscriptionStatus | null;
  onChange: (live: boolean) => void;
}) {
  const label =
    !live || status === null
      ? live
        ? 'Connecting…'
        : 'Off'
      : status === 'live'
        ? 'Streaming'
        : status === 'reconnecting'
          ? 'Reconnecting…'
          : status === 'connecting'
            ? 'Connecting…'
            : 'Off';
  return (
    <div className="live-switch">
      <button
        type="button"
        role="switch"
        aria-checked={live}
        aria-describedby="live-switch-status"
        className={live ? 'switch on' : 'switch'}
        onClick={() => onChange(!live)}
      >
        <span className="switch-track" aria-hidden="true">
          <span className="switch-thumb" />
        </span>
        Live
      </button>
      <span
        id="live-switch-status"
        className={`live-status ${live && status === 'live' ? 'streaming' : ''}`}
        data-testid="live-status"
        data-status={live ? (status ?? 'connecting') : 'off'}
        aria-live="polite"
      >
        {label}
      </span>
    </div>
  );
}

export function FilterSummary({
  filters,
  mode,
  rangeLabel,
  keys,
}: {
  filters: LogFilters;
  mode: Mode;
  rangeLabel: string;
  keys: ReadonlyMap<string, KeyLabel>;
}) {
  const items: [string, string][] = [
    ['Mode', mode === 'LIVE' ? 'Live' : 'Test'],
    ['Time range', filters.range === CUSTOM_RANGE ? rangeLabel : `${rangeLabel} (ending now)`],
  ];
  if (filters.statusClass) items.push(['Status', `${filters.statusClass}xx`]);
  if (filters.method) items.push(['Method', filters.method]);
  if (clean(filters.route)) items.push(['Endpoint', filters.route.trim()]);
  for (const name of ['status', 'errorCode', 'pathPrefix', 'minLatencyMs', 'maxLatencyMs', 'ip', 'requestId'] as const) {
    if (clean(filters[name])) items.push([TEXT_LABELS[name], filters[name].trim()]);
  }
  const keyId = clean(filters.apiKeyId);
  if (keyId) {
    const key = keys.get(keyId);
    items.push(['API key', key ? `${key.name} (${key.start}…${key.last4})` : keyId]);
  }
  return (
    <dl className="detail-grid compact">
      {items.map(([k, v]) => (
        <div key={k} className="detail-pair">
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}
