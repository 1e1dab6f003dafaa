import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { GraphQLRequestError, errorMessage, gqlRequest } from '../shared/api/client';
import { EntityRequestLogsDocument, type RequestLogFilter } from '../gql/graphql';
import { useKeyLabels, useViewerPermissions } from '../shared/entityInfo';
import { StatusBlock, failureState, type BlockedState } from '../shared/ui/StatusBlock';
import { Flash } from '../shared/ui/Flash';
import { LoadMore } from '../shared/ui/LoadMore';
import { useSearchDialog, useSearchState } from '../shared/url/useSearchState';
import { LOG_FILTERS, isFiltered, matchesLocally, period, toRequestFilter } from './filters';
import { appendRows, logRange, prependRows, toRow, type RequestLogSummary, type Row, type RowPage } from './logUtils';
import { useApiRoutes } from './apiRoutes';
import { usePageMode } from '../shell/pageMode';
import { formatDateTime } from '../shared/format';
import { LogFilterBar } from './LogFilterBar';
import { FilterSummary, LiveSwitch, LogTable } from './LogTable';
import { LogDetailDialog } from './LogDetailDialog';
import { ExportDialog, LogExportsPanel, useLogExports, type LogExport } from './LogExports';
import { useLiveTail } from './useLiveTail';

const PAGE_SIZE = 50;

interface ReadyState extends RowPage {
  status: 'ready';
  /** The filter the pages were fetched with (cursors belong to it). */
  pageFilter: RequestLogFilter;
  loadingMore: boolean;
  refreshing: boolean;
  moreError: string | null;
}

type ListState = BlockedState | ReadyState;

export function LogsTab({ entityId }: { entityId: string }) {
  const [filters, setFilters] = useSearchState(LOG_FILTERS);
  const { gqlMode: mode } = usePageMode();
  const [detailId, openDetail, closeDetail] = useSearchDialog('log');
  const [state, setState] = useState<ListState>({ status: 'loading' });
  const [selected, setSelected] = useState<RequestLogSummary | null>(null);
  const [exporting, setExporting] = useState(false);
  const [flash, setFlash] = useState<string | null>(null);
  const [live, setLive] = useState(false);
  const requestSeq = useRef(0);
  const reloading = useRef(false);
  const liveBuffer = useRef<Row[]>([]);
  const filtersRef = useRef(filters);
  useEffect(() => {
    filtersRef.current = filters;
  }, [filters]);

  const { permissions, loaded: permissionsLoaded } = useViewerPermissions(entityId);
  const pii = permissions?.includes('pii.read') ?? false;
  const keys = useKeyLabels(entityId, permissions?.includes('api_keys.manage') ?? false);
  const modeKeys = useMemo(() => [...keys.values()].filter((k) => k.mode === mode), [keys, mode]);
  const routes = useApiRoutes();
  const exportsList = useLogExports(entityId);

  const fetchPage = useCallback(
    async (filter: RequestLogFilter, after: string | null) => {
      const data = await gqlRequest(EntityRequestLogsDocument, { id: entityId, filter, first: PAGE_SIZE, after, pii });
      if (!data.entity) throw new GraphQLRequestError('Entity not found.', 'NOT_FOUND');
      return data.entity.requestLogs;
    },
    [entityId, pii],
  );

  /** (Re)loads the newest page for the current filters; keeps the rows on screen meanwhile. */
  const reload = useCallback(() => {
    // The IP column depends on `pii.read`: wait until the permissions are known.
    if (!permissionsLoaded) return;
    const seq = ++requestSeq.current;
    const pageFilter = toRequestFilter(filters, mode);
    reloading.current = true;
    liveBuffer.current = [];
    setState((s) => (s.status === 'ready' ? { ...s, refreshing: true, moreError: null } : { status: 'loading' }));
    fetchPage(pageFilter, null).then(
      (page) => {
        if (seq !== requestSeq.current) return;
        reloading.current = false;
        const base: ReadyState = {
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
        setState(failureState(err));
      },
    );
  }, [fetchPage, filters, mode, permissionsLoaded]);

  useEffect(() => {
    reload();
    return () => {
      requestSeq.current++; // ignore answers that arrive after unmount / a filter change
    };
  }, [reload]);

  /** After the tail connects: fetch what arrived between the page load and the subscription. */
  const catchUp = useCallback(() => {
    const seq = requestSeq.current;
    fetchPage(toRequestFilter(filtersRef.current, mode), null).then(
      (page) => {
        if (seq !== requestSeq.current) return;
        const rows = page.edges.map((e) => toRow(e.node, e.cursor));
        setState((s) => (s.status === 'ready' && !s.refreshing ? prependRows(s, rows) : s));
      },
      () => {
        /* the tail still works; the gap is only filled on the next reload */
      },
    );
  }, [fetchPage, mode]);

  const onLiveRow = useCallback((node: RequestLogSummary) => {
    if (!matchesLocally(node, filtersRef.current)) return;
    const row = toRow(node, null, true);
    if (reloading.current) liveBuffer.current.push(row);
    setState((s) => (s.status === 'ready' ? prependRows(s, [row]) : s));
  }, []);

  const tail = useLiveTail({
    entityId,
    mode,
    filters,
    pii,
    enabled: live && state.status !== 'forbidden',
    onRow: onLiveRow,
    onCaughtUp: catchUp,
    onEnded: () => setLive(false),
  });

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
      setState((s) =>
        s.status !== 'ready'
          ? s
          : {
              ...s,
              rows: appendRows(s.rows, page.edges),
              pageFilter,
              endCursor: page.pageInfo.endCursor,
              hasNextPage: page.pageInfo.hasNextPage,
              loadingMore: false,
            },
      );
    } catch (err) {
      if (seq !== requestSeq.current) return;
      const failure = failureState(err);
      if (failure.status === 'forbidden') setState(failure);
      else setState((s) => (s.status === 'ready' ? { ...s, loadingMore: false, moreError: errorMessage(err) } : s));
    }
  }

  function openRow(row: Row) {
    setSelected(row);
    openDetail(row.id);
  }

  function onExportCreated(e: LogExport) {
    setExporting(false);
    exportsList.added(e);
    setFlash(`Export started (${e.format}). It appears under Exports with a download link when it is ready.`);
  }

  if (state.status !== 'ready') {
    return (
      <StatusBlock
        state={state}
        title="Logs"
        loadingText="Loading logs…"
        forbiddenTestId="logs-forbidden"
        onRetry={() => reload()}
      />
    );
  }

  const filtered = isFiltered(filters);
  const shown = period(filters);
  const rangeLabel = shown.custom
    ? `${formatDateTime(shown.from)} – ${formatDateTime(shown.to)}`
    : logRange(filters.range).label;

  return (
    <div className="logs">
      <div className="section-head">
        <div>
          <h2>Logs</h2>
          <p className="muted">Requests made to the API with this entity&apos;s keys, newest first.</p>
        </div>
        <div className="head-actions">
          <LiveSwitch
            live={live}
            status={tail.status}
            onChange={(on) => {
              tail.clearError();
              setLive(on);
            }}
          />
          <button type="button" className="button" onClick={() => setExporting(true)}>
            Export
          </button>
          <button type="button" className="button" onClick={() => reload()} disabled={state.refreshing}>
            Refresh
          </button>
        </div>
      </div>

      <Flash message={flash} onDismiss={() => setFlash(null)} />
      {tail.error && (
        <p role="alert" className="alert">
          Live tail stopped: {tail.error}
        </p>
      )}

      <LogFilterBar filters={filters} setFilters={setFilters} routes={routes} keys={modeKeys} />

      <p className="muted small-text list-status" role="status">
        {state.refreshing
          ? 'Updating…'
          : `${state.rows.length} request${state.rows.length === 1 ? '' : 's'} shown · ${shown.custom ? rangeLabel : rangeLabel.toLowerCase()} · ${
              mode === 'LIVE' ? 'live' : 'test'
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
                Requests made with a {mode === 'LIVE' ? 'live' : 'test'} key appear here. Turn on Live to watch
                them arrive.
              </p>
            </>
          )}
        </div>
      ) : (
        <LogTable
          rows={state.rows}
          keys={keys}
          pii={pii}
          busy={state.refreshing}
          onOpen={openRow}
          onFilter={(patch) => setFilters(patch)}
        />
      )}

      <LoadMore
        hasNextPage={state.hasNextPage}
        loading={state.loadingMore}
        error={state.moreError}
        what="requests"
        onLoad={() => void loadMore()}
      />

      {detailId && (
        <LogDetailDialog
          entityId={entityId}
          requestId={detailId}
          summary={selected?.id === detailId ? selected : null}
          pii={pii}
          keys={keys}
          onClose={closeDetail}
        />
      )}
      {exporting && (
        <ExportDialog
          entityId={entityId}
          filter={() => toRequestFilter(filtersRef.current, mode)}
          summary={<FilterSummary filters={filters} mode={mode} rangeLabel={rangeLabel} keys={keys} />}
          onCreated={onExportCreated}
          onClose={() => setExporting(false)}
        />
      )}
    </div>
  );
}
