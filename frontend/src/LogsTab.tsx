import { useCallback, useEffect, useId, useMemo, useRef, useState } from 'react';
import { GraphQLRequestError, gqlRequest } from './graphql';
import { subscribe, type SubscriptionStatus } from './graphqlWs';
import {
  ENTITY_REQUEST_LOGS_QUERY,
  REQUEST_LOG_TAIL_SUBSCRIPTION,
  type EntityRequestLogsResult,
  type KeyLabel,
  type LogExport,
  type Mode,
  type RequestLogFilter,
  type RequestLogSummary,
  type RequestLogTailResult,
  type TailFilter,
} from './queries';
import { errorMessage } from './apiKeyUtils';
import { LOG_RANGES, formatFullTime, formatLatency, formatLogTime, isForbidden, rangeEndingNow } from './logUtils';
import { useKeyLabels, useViewerPermissions } from './entityInfo';
import { Segmented } from './Segmented';
import { MethodLabel, StatusBadge } from './LogBadges';
import { LogDetailDialog } from './LogDetailDialog';
import { ExportDialog, LogExportsPanel, useLogExports } from './LogExports';

const PAGE_SIZE = 50;
/** Rows kept on screen while the live tail prepends new ones. */
const MAX_ROWS = 500;
const DEBOUNCE_MS = 400;
const CATCH_UP_DELAY_MS = 1000;
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
const STATUS_CLASSES = [
  { value: '2', label: '2xx' },
  { value: '4', label: '4xx' },
  { value: '5', label: '5xx' },
];

interface TextFilters {
  pathPrefix: string;
  requestId: string;
  apiKeyId: string;
}

interface Filters extends TextFilters {
  mode: Mode;
  range: string;
  statusClass: string;
  method: string;
}

const EMPTY_TEXT: TextFilters = { pathPrefix: '', requestId: '', apiKeyId: '' };
const DEFAULT_FILTERS: Filters = { mode: 'LIVE', range: '24h', statusClass: '', method: '', ...EMPTY_TEXT };

interface Row extends RequestLogSummary {
  /** Pagination cursor; null for rows that came from the live tail. */
  cursor: string | null;
  ts: number;
  /** Arrived through the live tail (highlighted briefly). */
  fresh?: boolean;
}

type ListState =
  | { status: 'loading' }
  | { status: 'forbidden' }
  | { status: 'error'; message: string }
  | {
      status: 'ready';
      rows: Row[];
      /** The filter the pages were fetched with (cursors belong to it). */
      pageFilter: RequestLogFilter;
      endCursor: string | null;
      hasNextPage: boolean;
      loadingMore: boolean;
      refreshing: boolean;
      moreError: string | null;
    };

function clean(value: string): string | null {
  const trimmed = value.trim();
  return trimmed.length > 0 ? trimmed : null;
}

function rangeMs(id: string): number {
  return (LOG_RANGES.find((r) => r.id === id) ?? LOG_RANGES[1]).ms;
}

/** The server filter for these settings, with the range ending now. */
function toRequestFilter(f: Filters, now: number = Date.now()): RequestLogFilter {
  return {
    mode: f.mode,
    ...rangeEndingNow(rangeMs(f.range), now),
    statusClass: f.statusClass ? Number(f.statusClass) : null,
    method: f.method || null,
    pathPrefix: clean(f.pathPrefix),
    requestId: clean(f.requestId),
    apiKeyId: clean(f.apiKeyId),
  };
}

function toTailFilter(f: Filters): TailFilter {
  return {
    statusClass: f.statusClass ? Number(f.statusClass) : null,
    method: f.method || null,
    pathPrefix: clean(f.pathPrefix),
    apiKeyId: clean(f.apiKeyId),
  };
}

function toRow(node: RequestLogSummary, cursor: string | null, fresh = false): Row {
  const ts = Date.parse(node.timestamp);
  return { ...node, cursor, ts: Number.isNaN(ts) ? 0 : ts, fresh };
}

/** Adds rows (newest first, no duplicates) and keeps at most MAX_ROWS. */
function prependRows(
  s: Extract<ListState, { status: 'ready' }>,
  incoming: Row[],
): Extract<ListState, { status: 'ready' }> {
  const present = new Set(s.rows.map((r) => r.id));
  const added = incoming.filter((r) => !present.has(r.id));
  if (added.length === 0) return s;
  const rows = [...added, ...s.rows].sort((a, b) => b.ts - a.ts);
  if (rows.length <= MAX_ROWS) return { ...s, rows };
  const kept = rows.slice(0, MAX_ROWS);
  const last = kept[kept.length - 1];
  // Older rows fell off the end: "Load more" continues from the last kept row.
  return { ...s, rows: kept, hasNextPage: true, endCursor: last.cursor };
}

export function LogsTab({ entityId }: { entityId: string }) {
  const uid = useId();
  const [filters, setFilters] = useState<Filters>(DEFAULT_FILTERS);
  const [text, setText] = useState<TextFilters>(EMPTY_TEXT);
  const [state, setState] = useState<ListState>({ status: 'loading' });
  const [selected, setSelected] = useState<RequestLogSummary | null>(null);
  const [exporting, setExporting] = useState(false);
  const [flash, setFlash] = useState<string | null>(null);
  const [live, setLive] = useState(false);
  const [liveStatus, setLiveStatus] = useState<SubscriptionStatus | null>(null);
  const [liveError, setLiveError] = useState<string | null>(null);
  const requestSeq = useRef(0);
  const reloading = useRef(false);
  const liveBuffer = useRef<Row[]>([]);
  const filtersRef = useRef(filters);
  useEffect(() => {
    filtersRef.current = filters;
  }, [filters]);

  const { permissions } = useViewerPermissions(entityId);
  const pii = permissions?.includes('pii.read') ?? false;
  const keys = useKeyLabels(entityId, permissions?.includes('api_keys.manage') ?? false);
  const exportsList = useLogExports(entityId);

  // Debounce the text boxes into the filters.
  useEffect(() => {
    const timer = window.setTimeout(() => {
      setFilters((f) =>
        f.pathPrefix === text.pathPrefix && f.requestId === text.requestId && f.apiKeyId === text.apiKeyId
          ? f
          : { ...f, ...text },
      );
    }, DEBOUNCE_MS);
    return () => window.clearTimeout(timer);
  }, [text]);

  const fetchPage = useCallback(
    async (filter: RequestLogFilter, after: string | null) => {
      const data = await gqlRequest<EntityRequestLogsResult>(ENTITY_REQUEST_LOGS_QUERY, {
        id: entityId,
        filter,
        first: PAGE_SIZE,
        after,
      });
      if (!data.entity) throw new GraphQLRequestError('Entity not found.', 'NOT_FOUND');
      return data.entity.requestLogs;
    },
    [entityId],
  );

  /** (Re)loads the newest page for the current filters; keeps the rows on screen meanwhile. */
  const reload = useCallback(() => {
    const seq = ++requestSeq.current;
    const pageFilter = toRequestFilter(filters);
    reloading.current = true;
    liveBuffer.current = [];
    setState((s) => (s.status === 'ready' ? { ...s, refreshing: true, moreError: null } : { status: 'loading' }));
    fetchPage(pageFilter, null).then(
      (page) => {
        if (seq !== requestSeq.current) return;
        reloading.current = false;
        const base: Extract<ListState, { status: 'ready' }> = {
          status: 'ready',
          rows: page.edges.map((e) => toRow(e.node, e.cursor)),
          pageFilter,
          endCursor: page.pageInfo.endCursor,
          hasNextPage: page.pageInfo.hasNextPage,
          loadingMore: false,
          refreshing: false,
          moreError: null,
        };
        // Rows the tail delivered while the page was loading.
        setState(prependRows(base, liveBuffer.current));
        liveBuffer.current = [];
      },
      (err) => {
        if (seq !== requestSeq.current) return;
        reloading.current = false;
        setState(isForbidden(err) ? { status: 'forbidden' } : { status: 'error', message: errorMessage(err) });
      },
    );
  }, [fetchPage, filters]);

  useEffect(() => {
    reload();
    return () => {
      requestSeq.current++; // ignore answers that arrive after unmount / a filter change
    };
  }, [reload]);

  /** After the tail connects: fetch what arrived between the page load and the subscription. */
  const catchUp = useCallback(() => {
    const seq = requestSeq.current;
    fetchPage(toRequestFilter(filtersRef.current), null).then(
      (page) => {
        if (seq !== requestSeq.current) return;
        const rows = page.edges.map((e) => toRow(e.node, e.cursor));
        setState((s) => (s.status === 'ready' && !s.refreshing ? prependRows(s, rows) : s));
      },
      () => {
        /* the tail still works; the gap is only filled on the next reload */
      },
    );
  }, [fetchPage]);

  const onLiveRow = useCallback((node: RequestLogSummary) => {
    const wantedId = clean(filtersRef.current.requestId);
    if (wantedId && node.id !== wantedId) return;
    const row = toRow(node, null, true);
    if (reloading.current) liveBuffer.current.push(row);
    setState((s) => (s.status === 'ready' ? prependRows(s, [row]) : s));
  }, []);

  // The live tail: re-subscribes when the mode or a filter the server applies to the tail changes.
  const tailVars = useMemo(
    () => JSON.stringify({ entityId, mode: filters.mode, filter: toTailFilter(filters) }),
    [entityId, filters],
  );
  const forbidden = state.status === 'forbidden';
  useEffect(() => {
    if (!live || forbidden) return;
    setLiveError(null);
    let catchUpTimer: number | undefined;
    const unsubscribe = subscribe<RequestLogTailResult>(REQUEST_LOG_TAIL_SUBSCRIPTION, JSON.parse(tailVars), {
      next: (data) => onLiveRow(data.requestLogTail),
      error: (err) => {
        setLive(false);
        setLiveError(err.message);
      },
      complete: () => setLive(false),
      status: (status) => {
        setLiveStatus(status);
        // Once the subscription has surely started, fetch what arrived before it (since the page loaded).
        window.clearTimeout(catchUpTimer);
        if (status === 'live') catchUpTimer = window.setTimeout(catchUp, CATCH_UP_DELAY_MS);
      },
    });
    return () => {
      window.clearTimeout(catchUpTimer);
      unsubscribe();
      setLiveStatus(null);
    };
  }, [live, forbidden, tailVars, onLiveRow, catchUp]);

  async function loadMore() {
    if (state.status !== 'ready' || !state.hasNextPage || state.loadingMore) return;
    const seq = requestSeq.current;
    // Without a cursor (the tail pushed the paged rows off), continue below the oldest row shown.
    const oldest = state.rows[state.rows.length - 1];
    const pageFilter =
      state.endCursor || !oldest ? state.pageFilter : { ...state.pageFilter, to: new Date(oldest.ts + 1).toISOString() };
    setState({ ...state, loadingMore: true, moreError: null });
    try {
      const page = await fetchPage(pageFilter, state.endCursor);
      if (seq !== requestSeq.current) return;
      setState((s) => {
        if (s.status !== 'ready') return s;
        const present = new Set(s.rows.map((r) => r.id));
        return {
          ...s,
          rows: [...s.rows, ...page.edges.filter((e) => !present.has(e.node.id)).map((e) => toRow(e.node, e.cursor))],
          pageFilter,
          endCursor: page.pageInfo.endCursor,
          hasNextPage: page.pageInfo.hasNextPage,
          loadingMore: false,
        };
      });
    } catch (err) {
      if (seq !== requestSeq.current) return;
      if (isForbidden(err)) setState({ status: 'forbidden' });
      else setState((s) => (s.status === 'ready' ? { ...s, loadingMore: false, moreError: errorMessage(err) } : s));
    }
  }

  function setFilter<K extends keyof Filters>(name: K, value: Filters[K]) {
    setFilters((f) => ({ ...f, [name]: value }));
  }

  function setTextFilter(name: keyof TextFilters, value: string) {
    setText((t) => ({ ...t, [name]: value }));
  }

  function clearFilters() {
    setText(EMPTY_TEXT);
    setFilters((f) => ({ ...f, statusClass: '', method: '', ...EMPTY_TEXT }));
  }

  function onExportCreated(e: LogExport) {
    setExporting(false);
    exportsList.added(e);
    setFlash(`Export started (${e.format}). It appears under Exports with a download link when it is ready.`);
  }

  if (state.status === 'loading') {
    return (
      <p className="muted" role="status">
        Loading logs…
      </p>
    );
  }
  if (state.status === 'forbidden') {
    return (
      <div className="notice" data-testid="logs-forbidden">
        <h2>Logs</h2>
        <p>You don&apos;t have access to this section</p>
      </div>
    );
  }
  if (state.status === 'error') {
    return (
      <div>
        <p role="alert" className="alert">
          {state.message}
        </p>
        <button type="button" className="button" onClick={() => reload()}>
          Retry
        </button>
      </div>
    );
  }

  const filtered =
    filters.statusClass !== '' ||
    filters.method !== '' ||
    clean(filters.pathPrefix) !== null ||
    clean(filters.requestId) !== null ||
    clean(filters.apiKeyId) !== null;
  const rangeLabel = (LOG_RANGES.find((r) => r.id === filters.range) ?? LOG_RANGES[1]).label;

  return (
    <div className="logs">
      <div className="section-head">
        <div>
          <h2>Logs</h2>
          <p className="muted">Requests made to the API with this entity&apos;s keys, newest first.</p>
        </div>
        <div className="head-actions">
          <LiveSwitch live={live} status={liveStatus} onChange={(on) => {
            setLiveError(null);
            setLive(on);
          }} />
          <button type="button" className="button" onClick={() => setExporting(true)}>
            Export
          </button>
          <button type="button" className="button" onClick={() => reload()} disabled={state.refreshing}>
            Refresh
          </button>
        </div>
      </div>

      {flash && (
        <div className="flash" role="status">
          <span>{flash}</span>
          <button type="button" className="modal-close" aria-label="Dismiss" onClick={() => setFlash(null)}>
            ×
          </button>
        </div>
      )}
      {liveError && (
        <p role="alert" className="alert">
          Live tail stopped: {liveError}
        </p>
      )}

      <div className="filters" role="search" aria-label="Filter logs">
        <Segmented
          label="Mode"
          options={[
            { value: 'LIVE', label: 'Live' },
            { value: 'TEST', label: 'Test' },
          ]}
          value={filters.mode}
          onChange={(mode) => setFilter('mode', mode)}
        />
        <div className="filter">
          <label htmlFor={`${uid}-range`}>Time range</label>
          <select id={`${uid}-range`} value={filters.range} onChange={(e) => setFilter('range', e.target.value)}>
            {LOG_RANGES.map((r) => (
              <option key={r.id} value={r.id}>
                {r.label}
              </option>
            ))}
          </select>
        </div>
        <div className="filter">
          <label htmlFor={`${uid}-status`}>Status</label>
          <select id={`${uid}-status`} value={filters.statusClass} onChange={(e) => setFilter('statusClass', e.target.value)}>
            <option value="">All</option>
            {STATUS_CLASSES.map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </select>
        </div>
        <div className="filter">
          <label htmlFor={`${uid}-method`}>Method</label>
          <select id={`${uid}-method`} value={filters.method} onChange={(e) => setFilter('method', e.target.value)}>
            <option value="">All</option>
            {METHODS.map((m) => (
              <option key={m} value={m}>
                {m}
              </option>
            ))}
          </select>
        </div>
        <div className="filter filter-text">
          <label htmlFor={`${uid}-path`}>Path prefix</label>
          <input
            id={`${uid}-path`}
            type="search"
            placeholder="/v1/entities/…/orders"
            value={text.pathPrefix}
            onChange={(e) => setTextFilter('pathPrefix', e.target.value)}
          />
        </div>
        <div className="filter filter-text">
          <label htmlFor={`${uid}-request`}>Request ID</label>
          <input
            id={`${uid}-request`}
            type="search"
            placeholder="req_…"
            value={text.requestId}
            onChange={(e) => setTextFilter('requestId', e.target.value)}
          />
        </div>
        <div className="filter filter-text">
          <label htmlFor={`${uid}-key`}>API key ID</label>
          <input
            id={`${uid}-key`}
            type="search"
            placeholder="key_…"
            value={text.apiKeyId}
            onChange={(e) => setTextFilter('apiKeyId', e.target.value)}
          />
        </div>
        {(filtered || text.pathPrefix || text.requestId || text.apiKeyId) && (
          <button type="button" className="button small clear-filters" onClick={clearFilters}>
            Clear filters
          </button>
        )}
      </div>

      <p className="muted small-text list-status" role="status">
        {state.refreshing
          ? 'Updating…'
          : `${state.rows.length} request${state.rows.length === 1 ? '' : 's'} shown · ${rangeLabel.toLowerCase()} · ${
              filters.mode === 'LIVE' ? 'live' : 'test'
            } mode`}
      </p>

      <LogExportsPanel state={exportsList.state} polling={exportsList.polling} refresh={exportsList.refresh} />

      {state.rows.length === 0 ? (
        <div className="empty-state">
          {live ? (
            <p className="muted">Waiting for new requests…</p>
          ) : filtered ? (
            <p className="muted">No requests match these filters in this period.</p>
          ) : (
            <>
              <p>
                <strong>No requests in this period</strong>
              </p>
              <p className="muted">
                Requests made with a {filters.mode === 'LIVE' ? 'live' : 'test'} key appear here. Turn on Live to watch
                them arrive.
              </p>
            </>
          )}
        </div>
      ) : (
        <div className="table-scroll">
          <table className="table logs-table" aria-label="Request logs" aria-busy={state.refreshing || undefined}>
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
              </tr>
            </thead>
            <tbody>
              {state.rows.map((row) => (
                <LogRow key={row.id} row={row} keys={keys} onOpen={() => setSelected(row)} />
              ))}
            </tbody>
          </table>
        </div>
      )}

      {state.moreError && (
        <p role="alert" className="alert load-more">
          Could not load more requests: {state.moreError}
        </p>
      )}
      {state.hasNextPage && (
        <button type="button" className="button load-more" onClick={() => void loadMore()} disabled={state.loadingMore}>
          {state.loadingMore ? 'Loading…' : 'Load more'}
        </button>
      )}

      {selected && (
        <LogDetailDialog entityId={entityId} summary={selected} pii={pii} keys={keys} onClose={() => setSelected(null)} />
      )}
      {exporting && (
        <ExportDialog
          entityId={entityId}
          filter={() => toRequestFilter(filtersRef.current)}
          summary={<FilterSummary filters={filters} rangeLabel={rangeLabel} />}
          onCreated={onExportCreated}
          onClose={() => setExporting(false)}
        />
      )}
    </div>
  );
}

function LiveSwitch({
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

function LogRow({ row, keys, onOpen }: { row: Row; keys: ReadonlyMap<string, KeyLabel>; onOpen: () => void }) {
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
        <div className="mono path" title={row.path}>
          {row.path}
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
          <span className={key ? 'key-label' : 'mono key-label'} title={row.apiKeyId}>
            {key ? key.name : row.apiKeyId}
          </span>
        ) : (
          <span className="muted">—</span>
        )}
      </td>
    </tr>
  );
}

function FilterSummary({ filters, rangeLabel }: { filters: Filters; rangeLabel: string }) {
  const items: [string, string][] = [
    ['Mode', filters.mode === 'LIVE' ? 'Live' : 'Test'],
    ['Time range', `${rangeLabel} (ending now)`],
  ];
  if (filters.statusClass) items.push(['Status', `${filters.statusClass}xx`]);
  if (filters.method) items.push(['Method', filters.method]);
  if (clean(filters.pathPrefix)) items.push(['Path prefix', filters.pathPrefix.trim()]);
  if (clean(filters.requestId)) items.push(['Request ID', filters.requestId.trim()]);
  if (clean(filters.apiKeyId)) items.push(['API key ID', filters.apiKeyId.trim()]);
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
