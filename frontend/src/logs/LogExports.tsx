import { useCallback, useEffect, useId, useRef, useState, type FormEvent, type MouseEvent, type ReactNode } from 'react';
import { errorMessage, gqlRequest, isForbidden } from '../shared/api/client';
import {
  CreateLogExportDocument,
  EntityLogExportsDocument,
  type ExportFormat,
  type LogExportFieldsFragment,
  type RequestLogFilter,
} from '../gql/graphql';
import { formatBytes, formatDateTime, formatNumber, formatRelative } from '../shared/format';
import { Modal } from '../shared/ui/Modal';

export type LogExport = LogExportFieldsFragment;

const POLL_MS = 2000;
const SHOWN = 3;
/** Download links are signed for 15 minutes; refresh them before following an older one. */
const LINK_REFRESH_MS = 12 * 60_000;

function inProgress(e: LogExport): boolean {
  return e.status === 'PENDING' || e.status === 'RUNNING';
}

type ListState =
  | { status: 'loading' }
  | { status: 'hidden' }
  | { status: 'error'; message: string }
  | { status: 'ready'; exports: LogExport[]; fetchedAt: number };

/**
 * The entity's recent exports. Polls every 2 s while any is PENDING or RUNNING. Renders nothing
 * until there is at least one export.
 */
export function useLogExports(entityId: string) {
  const [state, setState] = useState<ListState>({ status: 'loading' });
  const seq = useRef(0);

  const fetchList = useCallback(async () => {
    const mine = ++seq.current;
    try {
      const data = await gqlRequest(EntityLogExportsDocument, { id: entityId });
      if (mine !== seq.current) return null;
      const exports = data.entity?.logExports ?? [];
      setState({ status: 'ready', exports, fetchedAt: Date.now() });
      return exports;
    } catch (err) {
      if (mine !== seq.current) return null;
      setState(isForbidden(err) ? { status: 'hidden' } : { status: 'error', message: errorMessage(err) });
      return null;
    }
  }, [entityId]);

  useEffect(() => {
    void fetchList();
    return () => {
      seq.current++;
    };
  }, [fetchList]);

  const polling = state.status === 'ready' && state.exports.some(inProgress);
  useEffect(() => {
    if (!polling) return;
    const timer = window.setTimeout(() => void fetchList(), POLL_MS);
    return () => window.clearTimeout(timer);
  }, [polling, state, fetchList]);

  const added = useCallback((e: LogExport) => {
    seq.current++; // a list request in flight predates this export
    setState((s) => ({
      status: 'ready',
      exports: [e, ...(s.status === 'ready' ? s.exports.filter((x) => x.id !== e.id) : [])],
      fetchedAt: s.status === 'ready' ? s.fetchedAt : Date.now(),
    }));
  }, []);

  return { state, refresh: fetchList, added, polling };
}

export function LogExportsPanel({
  state,
  polling,
  refresh,
}: {
  state: ListState;
  polling: boolean;
  refresh: () => Promise<LogExport[] | null>;
}) {
  const [showAll, setShowAll] = useState(false);
  if (state.status === 'error') {
    return (
      <div className="inline-error exports-error">
        <p role="alert" className="alert">
          Could not load exports: {state.message}
        </p>
        <button type="button" className="button small" onClick={() => void refresh()}>
          Retry
        </button>
      </div>
    );
  }
  if (state.status !== 'ready' || state.exports.length === 0) return null;

  const shown = showAll ? state.exports : state.exports.slice(0, SHOWN);

  async function follow(event: MouseEvent<HTMLAnchorElement>, id: string) {
    if (state.status !== 'ready' || Date.now() - state.fetchedAt < LINK_REFRESH_MS) return;
    event.preventDefault();
    const fresh = await refresh();
    const url = fresh?.find((e) => e.id === id)?.downloadUrl;
    if (url) window.location.assign(url);
  }

  return (
    <section className="exports" aria-labelledby="exports-title">
      <div className="exports-head">
        <h3 id="exports-title">Exports</h3>
        {polling && (
          <span className="muted small-text" role="status">
            Preparing…
          </span>
        )}
      </div>
      <table className="table exports-table" aria-label="Log exports">
        <thead>
          <tr>
            <th scope="col">Created</th>
            <th scope="col">Format</th>
            <th scope="col">Status</th>
            <th scope="col">Rows</th>
            <th scope="col">Size</th>
            <th scope="col">
              <span className="visually-hidden">Download</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {shown.map((e) => (
            <tr key={e.id} data-export-id={e.id}>
              <td title={formatDateTime(e.createdAt)}>{formatRelative(e.createdAt)}</td>
              <td>{e.format}</td>
              <td>
                <span className={`pill export-${e.status.toLowerCase()}`}>{e.status}</span>
                {e.error && <div className="status-note field-error">{e.error}</div>}
              </td>
              <td>{e.status === 'COMPLETED' ? formatNumber(e.rowCount) : '—'}</td>
              <td>{e.status === 'COMPLETED' ? formatBytes(e.sizeBytes) : '—'}</td>
              <td className="actions-cell">
                {e.status === 'COMPLETED' && e.downloadUrl ? (
                  <a
                    className="button small"
                    href={e.downloadUrl}
                    download
                    data-testid="export-download"
                    onClick={(event) => void follow(event, e.id)}
                  >
                    Download {e.format === 'CSV' ? 'CSV' : 'NDJSON'}
                  </a>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {state.exports.length > SHOWN && (
        <button type="button" className="button small load-more" onClick={() => setShowAll((v) => !v)}>
          {showAll ? 'Show fewer' : `Show all ${state.exports.length}`}
        </button>
      )}
    </section>
  );
}

interface DialogProps {
  entityId: string;
  /** The filter to export; its range is recomputed to end now. */
  filter: () => RequestLogFilter;
  summary: ReactNode;
  onCreated: (e: LogExport) => void;
  onClose: () => void;
}

export function ExportDialog({ entityId, filter, summary, onCreated, onClose }: DialogProps) {
  const uid = useId();
  const [format, setFormat] = useState<ExportFormat>('CSV');
  const [submitting, setSubmitting] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setSubmitting(true);
    setError(null);
    try {
      const data = await gqlRequest(CreateLogExportDocument, {
        input: { entityId, filter: filter(), format },
      });
      onCreated(data.createLogExport.logExport);
    } catch (err) {
      setError(isForbidden(err) ? `You don't have permission to export logs. ${errorMessage(err)}` : errorMessage(err));
      setSubmitting(false);
    }
  }

  const formats: { value: ExportFormat; title: string; desc: string }[] = [
    { value: 'CSV', title: 'CSV', desc: 'For spreadsheets. One row per request.' },
    { value: 'NDJSON', title: 'NDJSON', desc: 'One JSON object per line, for scripts and log tools.' },
  ];

  return (
    <Modal title="Export logs" onClose={submitting ? undefined : onClose}>
      <form className="form" onSubmit={(e) => void submit(e)}>
        <fieldset className="fieldset">
          <legend>Format</legend>
          <div className="radio-row">
            {formats.map((f) => (
              <label key={f.value} className={format === f.value ? 'radio-card selected' : 'radio-card'}>
                <input
                  type="radio"
                  name={`${uid}-format`}
                  value={f.value}
                  checked={format === f.value}
                  onChange={() => setFormat(f.value)}
                  aria-describedby={`${uid}-${f.value}-desc`}
                />
                <span>
                  <span className="radio-card-title">{f.title}</span>
                  <span className="radio-card-desc" id={`${uid}-${f.value}-desc`}>
                    {f.desc}
                  </span>
                </span>
              </label>
            ))}
          </div>
        </fieldset>
        <div className="export-summary">
          <p className="label">Requests to export</p>
          {summary}
          <p className="hint">
            The export runs in the background; its download link stays valid for 15 minutes after it is shown (reload
            the list for a new one).
          </p>
        </div>
        {error && (
          <p role="alert" className="alert">
            {error}
          </p>
        )}
        <div className="form-actions">
          <button type="button" className="button" onClick={onClose} disabled={submitting}>
            Cancel
          </button>
          <button type="submit" className="button primary" disabled={submitting}>
            {submitting ? 'Starting…' : 'Start export'}
          </button>
        </div>
      </form>
    </Modal>
  );
}
