import { useEffect, useState } from 'react';
import { errorMessage, gqlRequest, isForbidden } from '../shared/api/client';
import {
  AllowlistCandidatesDocument,
  KeyPrivilegeReportDocument,
  type AllowlistCandidatesQuery,
  type KeyPrivilegeReportQuery,
  type Mode,
} from '../gql/graphql';
import { formatNumber, formatRelative } from '../shared/format';
import { ADVICE_WINDOWS, type AdviceWindow } from './KeyAdvicePanel';

type Rows = NonNullable<KeyPrivilegeReportQuery['entity']>['keyPrivilegeReport'];
type Candidates = NonNullable<AllowlistCandidatesQuery['entity']>['allowlistCandidates'];
type Load<T> = { status: 'loading' } | { status: 'forbidden' } | { status: 'error'; message: string } | { status: 'ready'; value: T };

function failed(err: unknown): Load<never> {
  return isForbidden(err) ? { status: 'forbidden' } : { status: 'error', message: errorMessage(err) };
}

interface Props {
  entityId: string;
  mode: Mode;
  days: AdviceWindow;
  onDays: (days: AdviceWindow) => void;
  /** Opens the key's detail with its advice panel. */
  onOpenKey: (id: string) => void;
}

/** The API keys tab's "Advice" view: keys by excess privilege, and allowlist candidates. */
export function AdviceView({ entityId, mode, days, onDays, onOpenKey }: Props) {
  const [report, setReport] = useState<Load<Rows>>({ status: 'loading' });
  const [candidates, setCandidates] = useState<Load<Candidates>>({ status: 'loading' });

  useEffect(() => {
    let live = true;
    setReport({ status: 'loading' });
    setCandidates({ status: 'loading' });
    gqlRequest(KeyPrivilegeReportDocument, { id: entityId, mode, days }).then(
      (data) => live && setReport({ status: 'ready', value: data.entity?.keyPrivilegeReport ?? [] }),
      (err) => live && setReport(failed(err)),
    );
    gqlRequest(AllowlistCandidatesDocument, { id: entityId, mode, days }).then(
      (data) => live && setCandidates({ status: 'ready', value: data.entity?.allowlistCandidates ?? [] }),
      (err) => live && setCandidates(failed(err)),
    );
    return () => {
      live = false;
    };
  }, [entityId, mode, days]);

  return (
    <div className="advice-view" data-testid="advice-view">
      <div className="filters" role="search" aria-label="Advice window">
        <div className="filter">
          <label htmlFor="advice-days">Window</label>
          <select id="advice-days" value={days} onChange={(e) => onDays(Number(e.target.value) as AdviceWindow)}>
            {ADVICE_WINDOWS.map((d) => (
              <option key={d} value={d}>
                Last {d} days
              </option>
            ))}
          </select>
        </div>
      </div>

      <h3>Excess privilege</h3>
      <p className="muted">
        Active keys, the most unused scopes first (an unused elevated scope counts 3, any other 1). Keys with no request in the
        window are flagged.
      </p>
      {report.status !== 'ready' ? (
        <Blocked state={report} what="the privilege report" />
      ) : report.value.length === 0 ? (
        <p className="muted">No active keys in this mode.</p>
      ) : (
        <div className="table-scroll">
          <table className="table advice-table" aria-label="Keys by excess privilege">
            <thead>
              <tr>
                <th scope="col">Key</th>
                <th scope="col">Excess</th>
                <th scope="col">Unused scopes</th>
                <th scope="col">Used scopes</th>
                <th scope="col">Requests</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {report.value.map(({ apiKey, usage }) => (
                <tr key={apiKey.id} data-key-id={apiKey.id}>
                  <td>
                    {apiKey.name}
                    {usage.idle && (
                      <div>
                        <span className="pill expires-soon">Not used in {usage.days} days</span>
                      </div>
                    )}
                  </td>
                  <td>{usage.excessScore}</td>
                  <td>
                    {usage.unused.length === 0 ? (
                      <span className="muted">None</span>
                    ) : (
                      usage.unused.map((u) => (
                        <span key={u.scope} className={u.elevated ? 'scope-chip elevated' : 'scope-chip'} title={u.elevated ? 'elevated' : undefined}>
                          {u.scope}
                        </span>
                      ))
                    )}
                  </td>
                  <td>
                    {usage.used.length === 0 ? (
                      <span className="muted">None</span>
                    ) : (
                      usage.used.map((u) => (
                        <span key={u.scope} className="scope-chip">
                          {u.scope}
                        </span>
                      ))
                    )}
                  </td>
                  <td>
                    {formatNumber(usage.requests)}
                    {usage.lastRequestAt && <div className="muted">last {formatRelative(usage.lastRequestAt)}</div>}
                  </td>
                  <td>
                    <button type="button" className="button small" onClick={() => onOpenKey(apiKey.id)} aria-label={`Advice for ${apiKey.name}`}>
                      Advice
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      <h3>Allowlist candidates</h3>
      <p className="muted">
        Active keys without an allowlist whose requests came from at most 5 networks on at least 3 days: likely server-to-server
        integrations that an allowlist would protect.
      </p>
      {candidates.status !== 'ready' ? (
        <Blocked state={candidates} what="allowlist candidates" />
      ) : candidates.value.length === 0 ? (
        <p className="muted">No candidates in this window.</p>
      ) : (
        <ul className="advice-list" aria-label="Allowlist candidates">
          {candidates.value.map(({ apiKey, sources }) => (
            <li key={apiKey.id} data-key-id={apiKey.id}>
              <strong>{apiKey.name}</strong>: {formatNumber(sources.requests)} requests on {sources.daysSeen} days from{' '}
              <span className="mono">{sources.suggestedAllowlist.join(', ')}</span>{' '}
              <button type="button" className="button small" onClick={() => onOpenKey(apiKey.id)} aria-label={`Advice for ${apiKey.name}`}>
                Review
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function Blocked({ state, what }: { state: Load<unknown>; what: string }) {
  if (state.status === 'loading') return <p className="muted" role="status">Loading {what}…</p>;
  if (state.status === 'forbidden') return <p className="muted">Your role does not allow seeing {what}.</p>;
  if (state.status === 'error') return <p role="alert" className="alert">{state.message}</p>;
  return null;
}
