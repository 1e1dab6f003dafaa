import {
  useCallback,
  useEffect,
  useId,
  useRef,
  useState,
  type FormEvent,
} from "react";
import {
  CreateAuditExportDocument,
  EntityAuditEventsDocument,
  type AuditEventFieldsFragment,
  type ExportFormat,
} from "../gql/graphql";
import { errorMessage, gqlRequest } from "../shared/api/client";
import { formatBytes, formatDateTime, formatNumber } from "../shared/format";
import { Modal } from "../shared/ui/Modal";
import { useSearchState } from "../shared/url/useSearchState";
import {
  AUDIT_SPEC,
  PAGE_SIZE,
  actorKind,
  filterProblem,
  toEventFilter,
  toExportInput,
  type AuditFilterValues,
} from "./filters";
import { useAuditExports, type AuditExport } from "./useAuditExports";
import "./audit.css";

type AuditEvent = AuditEventFieldsFragment;

type EventsState =
  | { status: "loading" }
  | { status: "error"; message: string }
  | {
      status: "ready";
      events: AuditEvent[];
      endCursor: string | null;
      hasNextPage: boolean;
      loadingMore: boolean;
    };

function useAuditEvents(entityId: string, values: AuditFilterValues) {
  const [state, setState] = useState<EventsState>({ status: "loading" });
  const seq = useRef(0);
  const problem = filterProblem(values);

  const load = useCallback(
    async (after: string | null) => {
      const mine = ++seq.current;
      if (after === null) setState({ status: "loading" });
      else
        setState((s) =>
          s.status === "ready" ? { ...s, loadingMore: true } : s,
        );
      try {
        const data = await gqlRequest(EntityAuditEventsDocument, {
          id: entityId,
          filter: toEventFilter(values),
          first: PAGE_SIZE,
          after,
        });
        if (mine !== seq.current) return;
        const conn = data.entity.auditEvents;
        const page = conn.edges.map((e) => e.node);
        setState((s) => ({
          status: "ready",
          events:
            after !== null && s.status === "ready"
              ? [...s.events, ...page]
              : page,
          endCursor: conn.pageInfo.endCursor,
          hasNextPage: conn.pageInfo.hasNextPage,
          loadingMore: false,
        }));
      } catch (err) {
        if (mine === seq.current)
          setState({ status: "error", message: errorMessage(err) });
      }
    },
    [entityId, values],
  );

  useEffect(() => {
    if (problem) return;
    void load(null);
    return () => {
      seq.current++;
    };
  }, [load, problem]);

  return { state, load, problem };
}

function actorLabel(e: AuditEvent): string {
  const who = e.actorEmail ?? e.actorId ?? "system";
  return e.impersonatorEmail ? `${who} (by ${e.impersonatorEmail})` : who;
}

function EventDetail({
  event,
  onClose,
}: {
  event: AuditEvent;
  onClose: () => void;
}) {
  const rows: [string, string][] = [
    ["Action", event.action],
    ["Time", formatDateTime(event.createdAt)],
    ["Actor", actorLabel(event)],
    ["Actor id", event.actorId ?? "—"],
    [
      "Target",
      event.targetType ? `${event.targetType} ${event.targetId ?? ""}` : "—",
    ],
    ["IP address", event.ip ?? "—"],
    ["User agent", event.userAgent ?? "—"],
    ["Sequence", String(event.seq)],
    ["Chain digest", event.digest],
  ];
  return (
    <Modal title="Audit event" onClose={onClose}>
      <dl className="detail-list" data-testid="audit-event-detail">
        {rows.map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd className={k === "Chain digest" ? "code wrap" : undefined}>
              {v}
            </dd>
          </div>
        ))}
      </dl>
      <p className="label">Details</p>
      <pre className="json-block" tabIndex={0}>
        {JSON.stringify(event.details, null, 2)}
      </pre>
    </Modal>
  );
}

function FilterBar({
  values,
  update,
}: {
  values: AuditFilterValues;
  update: (p: Partial<AuditFilterValues>) => void;
}) {
  const uid = useId();
  const [draft, setDraft] = useState(values);
  useEffect(() => setDraft(values), [values]);
  function submit(event: FormEvent) {
    event.preventDefault();
    update(draft);
  }
  const field = (
    key: keyof AuditFilterValues,
    label: string,
    type: string,
    placeholder?: string,
  ) => (
    <label className="field" htmlFor={`${uid}-${key}`}>
      <span className="label">{label}</span>
      <input
        id={`${uid}-${key}`}
        className="input"
        type={type}
        value={draft[key]}
        placeholder={placeholder}
        onChange={(e) => setDraft({ ...draft, [key]: e.target.value })}
      />
    </label>
  );
  return (
    <form
      className="audit-filters"
      role="search"
      aria-label="Audit log filters"
      onSubmit={submit}
    >
      {field("action", "Action", "text", "api_key.created or member.*")}
      {field("actor", "Actor", "text", "email or user id")}
      {field("from", "From", "datetime-local")}
      {field("to", "To", "datetime-local")}
      <div className="filter-actions">
        <button type="submit" className="button primary">
          Apply
        </button>
        <button
          type="button"
          className="button"
          onClick={() => update({ action: "", actor: "", from: "", to: "" })}
        >
          Clear
        </button>
      </div>
    </form>
  );
}

function ExportDialog({
  entityId,
  values,
  onCreated,
  onClose,
}: {
  entityId: string;
  values: AuditFilterValues;
  onCreated: (e: AuditExport) => void;
  onClose: () => void;
}) {
  const uid = useId();
  const [format, setFormat] = useState<ExportFormat>("NDJSON");
  const [submitting, setSubmitting] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const input = toExportInput(entityId, values, format);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setSubmitting(true);
    setError(null);
    try {
      const data = await gqlRequest(CreateAuditExportDocument, {
        input: toExportInput(entityId, values, format),
      });
      onCreated(data.createAuditExport.auditExport);
    } catch (err) {
      setError(errorMessage(err));
      setSubmitting(false);
    }
  }

  const formats: { value: ExportFormat; desc: string }[] = [
    {
      value: "NDJSON",
      desc: "One event per line with its chain digest: verifies offline.",
    },
    { value: "CSV", desc: "For spreadsheets (formula-safe)." },
  ];
  return (
    <Modal
      title="Export audit events"
      onClose={submitting ? undefined : onClose}
    >
      <form className="form" onSubmit={(e) => void submit(e)}>
        <fieldset className="fieldset">
          <legend>Format</legend>
          <div className="radio-row">
            {formats.map((f) => (
              <label
                key={f.value}
                className={
                  format === f.value ? "radio-card selected" : "radio-card"
                }
              >
                <input
                  type="radio"
                  name={`${uid}-format`}
                  value={f.value}
                  checked={format === f.value}
                  onChange={() => setFormat(f.value)}
                />
                <span>
                  <span className="radio-card-title">{f.value}</span>
                  <span className="radio-card-desc">{f.desc}</span>
                </span>
              </label>
            ))}
          </div>
        </fieldset>
        <p className="hint">
          Events from {formatDateTime(input.from)} to {formatDateTime(input.to)}
          {input.action ? `, action ${input.action}` : ""}
          {input.actorId ? `, actor ${input.actorId}` : ""}.
          {actorKind(values.actor) === "email" &&
            " An export filters actors by user id only: this one has every actor."}
        </p>
        {error && (
          <p role="alert" className="alert">
            {error}
          </p>
        )}
        <div className="form-actions">
          <button
            type="button"
            className="button"
            onClick={onClose}
            disabled={submitting}
          >
            Cancel
          </button>
          <button
            type="submit"
            className="button primary"
            disabled={submitting}
          >
            {submitting ? "Starting…" : "Start export"}
          </button>
        </div>
      </form>
    </Modal>
  );
}

function ExportsList({
  exports,
  polling,
}: {
  exports: AuditExport[];
  polling: boolean;
}) {
  if (exports.length === 0) return null;
  return (
    <section className="exports" aria-labelledby="audit-exports-title">
      <div className="exports-head">
        <h3 id="audit-exports-title">Exports</h3>
        {polling && (
          <span className="muted small-text" role="status">
            Preparing…
          </span>
        )}
      </div>
      <div className="table-scroll">
        <table className="table exports-table" aria-label="Audit exports">
          <thead>
            <tr>
              <th scope="col">Period</th>
              <th scope="col">Format</th>
              <th scope="col">Status</th>
              <th scope="col">Events</th>
              <th scope="col">Size</th>
              <th scope="col">
                <span className="visually-hidden">Download</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {exports.map((e) => (
              <tr key={e.id} data-export-id={e.id}>
                <td>
                  {formatDateTime(e.from)} – {formatDateTime(e.to)}
                  {e.action ? ` · ${e.action}` : ""}
                </td>
                <td>{e.format}</td>
                <td>
                  <span
                    className={`pill export-${e.status.toLowerCase()}`}
                    data-testid="audit-export-status"
                  >
                    {e.status}
                  </span>
                  {e.error && (
                    <div className="status-note field-error">{e.error}</div>
                  )}
                </td>
                <td>
                  {e.status === "COMPLETED" ? formatNumber(e.rowCount) : "—"}
                </td>
                <td>
                  {e.status === "COMPLETED" ? formatBytes(e.sizeBytes) : "—"}
                </td>
                <td className="actions-cell">
                  {e.status === "COMPLETED" && e.downloadUrl ? (
                    <a
                      className="button small"
                      href={e.downloadUrl}
                      download
                      data-testid="audit-export-download"
                    >
                      Download {e.format}
                    </a>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

/** Settings › Developers › Audit log: the entity's audit events, filtered in the URL, and exports. */
export function AuditLogTab({ entityId }: { entityId: string }) {
  const [values, update] = useSearchState(AUDIT_SPEC);
  const { state, load, problem } = useAuditEvents(entityId, values);
  const exportsList = useAuditExports(entityId);
  const [selected, setSelected] = useState<AuditEvent | null>(null);
  const [exporting, setExporting] = useState(false);

  return (
    <div className="audit-tab">
      <div className="page-head">
        <div>
          <h2>Audit log</h2>
          <p className="hint">
            Administrative activity in this entity (both modes), newest first.
          </p>
        </div>
        <button
          type="button"
          className="button"
          onClick={() => setExporting(true)}
        >
          Export
        </button>
      </div>
      <FilterBar values={values} update={(p) => update(p)} />
      {problem && (
        <p role="alert" className="alert">
          {problem}
        </p>
      )}
      {exportsList.state.status === "error" && (
        <p role="alert" className="alert">
          Could not load exports: {exportsList.state.message}
        </p>
      )}
      {exportsList.state.status === "ready" && (
        <ExportsList
          exports={exportsList.state.exports}
          polling={exportsList.polling}
        />
      )}
      <p className="hint" data-testid="verify-note">
        An NDJSON export carries each event's chain digest and a signed summary:
        check it offline with{" "}
        <span className="code">
          python3 scripts/verify_audit_export.py EXPORT.ndjson --key-file FILE
        </span>{" "}
        (the audit chain key from{" "}
        <span className="code">portal audit chain-key</span>, kept as secret as
        the server secret). It names the first altered, missing or reordered
        line.
      </p>
      {!problem && state.status === "loading" && (
        <p className="muted" role="status">
          Loading events…
        </p>
      )}
      {state.status === "error" && (
        <div className="inline-error">
          <p role="alert" className="alert">
            Could not load audit events: {state.message}
          </p>
          <button
            type="button"
            className="button small"
            onClick={() => void load(null)}
          >
            Retry
          </button>
        </div>
      )}
      {!problem && state.status === "ready" && (
        <>
          {state.events.length === 0 ? (
            <p className="muted" role="status">
              No audit events match these filters.
            </p>
          ) : (
            <div className="table-scroll">
              <table className="table audit-table" aria-label="Audit events">
                <thead>
                  <tr>
                    <th scope="col">Time</th>
                    <th scope="col">Action</th>
                    <th scope="col">Actor</th>
                    <th scope="col">Target</th>
                    <th scope="col">
                      <span className="visually-hidden">Details</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {state.events.map((e) => (
                    <tr key={e.id} data-event-id={e.id}>
                      <td>{formatDateTime(e.createdAt)}</td>
                      <td>
                        <span className="code">{e.action}</span>
                      </td>
                      <td>{actorLabel(e)}</td>
                      <td>
                        {e.targetType
                          ? `${e.targetType} ${e.targetId ?? ""}`
                          : "—"}
                      </td>
                      <td className="actions-cell">
                        <button
                          type="button"
                          className="button small"
                          onClick={() => setSelected(e)}
                          aria-label={`Details of ${e.action} at ${formatDateTime(e.createdAt)}`}
                        >
                          Details
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {state.hasNextPage && (
            <button
              type="button"
              className="button load-more"
              disabled={state.loadingMore}
              onClick={() => void load(state.endCursor)}
            >
              {state.loadingMore ? "Loading…" : "Load more"}
            </button>
          )}
        </>
      )}
      {selected && (
        <EventDetail event={selected} onClose={() => setSelected(null)} />
      )}
      {exporting && (
        <ExportDialog
          entityId={entityId}
          values={values}
          onClose={() => setExporting(false)}
          onCreated={(e) => {
            exportsList.added(e);
            setExporting(false);
          }}
        />
      )}
    </div>
  );
}
