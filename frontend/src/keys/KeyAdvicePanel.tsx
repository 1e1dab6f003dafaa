import { useCallback, useEffect, useId, useState } from 'react';
import { errorMessage, gqlRequest, isForbidden } from '../shared/api/client';
import {
  KeyScopeUsageDocument,
  KeySourceSuggestionsDocument,
  PreviewApiKeyAllowlistDocument,
  RotateApiKeyToUsedScopesDocument,
  UpdateApiKeyDocument,
  type PreviewApiKeyAllowlistMutation,
  type ScopeUsageFieldsFragment,
  type SourcesFieldsFragment,
} from '../gql/graphql';
import { formatDateTime, formatNumber, formatRelative } from '../shared/format';
import type { ApiKey } from './keyUtils';

export const ADVICE_WINDOWS = [7, 30, 90] as const;
export type AdviceWindow = (typeof ADVICE_WINDOWS)[number];

const GRACE = [
  { seconds: 0, label: 'Stop the current key now' },
  { seconds: 3600, label: '1 hour' },
  { seconds: 86400, label: '24 hours' },
  { seconds: 604800, label: '7 days' },
];

type Load<T> = { status: 'loading' } | { status: 'forbidden' } | { status: 'error'; message: string } | { status: 'ready'; value: T };

function failed(err: unknown): Load<never> {
  return isForbidden(err) ? { status: 'forbidden' } : { status: 'error', message: errorMessage(err) };
}

interface Props {
  entityId: string;
  keyId: string;
  /** The usage window (kept in the URL by the caller). */
  days: AdviceWindow;
  onDays: (days: AdviceWindow) => void;
  /** A narrower successor was issued: its secret is shown once by the caller. */
  onIssued: (secret: string, key: ApiKey, note: string) => void;
  /** The allowlist was saved. */
  onSaved: (key: ApiKey) => void;
  onClose: () => void;
}

/** The key detail's advice: scopes held against scopes used, and allowlist suggestions. */
export function KeyAdvicePanel({ entityId, keyId, days, onDays, onIssued, onSaved, onClose }: Props) {
  const uid = useId();
  const [usage, setUsage] = useState<Load<{ key: ApiKey; usage: ScopeUsageFieldsFragment }>>({ status: 'loading' });
  const [sources, setSources] = useState<Load<SourcesFieldsFragment>>({ status: 'loading' });

  const load = useCallback(() => {
    let live = true;
    setUsage({ status: 'loading' });
    setSources({ status: 'loading' });
    gqlRequest(KeyScopeUsageDocument, { id: entityId, key: keyId, days }).then(
      (data) => {
        if (!live) return;
        const key = data.entity?.apiKey;
        setUsage(key ? { status: 'ready', value: { key, usage: key.scopeUsage } } : { status: 'error', message: 'API key not found.' });
      },
      (err) => live && setUsage(failed(err)),
    );
    gqlRequest(KeySourceSuggestionsDocument, { id: entityId, key: keyId, days }).then(
      (data) => {
        if (!live) return;
        const found = data.entity?.apiKey?.sourceSuggestions;
        setSources(found ? { status: 'ready', value: found } : { status: 'error', message: 'API key not found.' });
      },
      (err) => live && setSources(failed(err)),
    );
    return () => {
      live = false;
    };
  }, [entityId, keyId, days]);

  useEffect(() => load(), [load]);

  const key = usage.status === 'ready' ? usage.value.key : null;

  return (
    <section className="advice-panel" aria-labelledby={`${uid}-title`} data-testid="key-advice">
      <div className="section-head">
        <div>
          <h3 id={`${uid}-title`}>Advice{key ? ` for “${key.name}”` : ''}</h3>
          <p className="muted">From this key&apos;s requests: the scopes it needed and where it was called from.</p>
        </div>
        <div className="head-actions">
          <label htmlFor={`${uid}-days`}>Window</label>
          <select id={`${uid}-days`} value={days} onChange={(e) => onDays(Number(e.target.value) as AdviceWindow)}>
            {ADVICE_WINDOWS.map((d) => (
              <option key={d} value={d}>
                Last {d} days
              </option>
            ))}
          </select>
          <button type="button" className="button small" onClick={onClose}>
            Close
          </button>
        </div>
      </div>
      <ScopeSection state={usage} onIssued={onIssued} />
      {key && <SourceSection state={sources} apiKey={key} days={days} onSaved={onSaved} />}
    </section>
  );
}

function Blocked({ state, what }: { state: Load<unknown>; what: string }) {
  if (state.status === 'loading') return <p className="muted" role="status">Loading {what}…</p>;
  if (state.status === 'forbidden') return <p className="muted">Your role does not allow seeing {what}.</p>;
  if (state.status === 'error') return <p role="alert" className="alert">{state.message}</p>;
  return null;
}

function ScopeSection({
  state,
  onIssued,
}: {
  state: Load<{ key: ApiKey; usage: ScopeUsageFieldsFragment }>;
  onIssued: Props['onIssued'];
}) {
  const uid = useId();
  const [confirming, setConfirming] = useState(false);
  const [grace, setGrace] = useState(86400);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (state.status !== 'ready') return <Blocked state={state} what="scope usage" />;
  const { key, usage } = state.value;
  const narrower = usage.narrowerScopes;
  const canNarrow = key.status === 'ACTIVE' && !key.rotatedTo && narrower.length > 0 && narrower.length < usage.held.length;

  async function rotate() {
    setBusy(true);
    setError(null);
    try {
      const data = await gqlRequest(RotateApiKeyToUsedScopesDocument, {
        input: { id: key.id, days: usage.days, gracePeriodSeconds: grace },
      });
      const result = data.rotateApiKeyToUsedScopes;
      const until = result.previous.expiresAt;
      onIssued(
        result.secret,
        result.apiKey,
        `The new key holds only ${result.apiKey.scopes.join(', ')} (removed: ${result.removedScopes.join(', ')}). ` +
          (grace === 0 || !until ? 'The previous key has stopped working.' : `The previous key keeps working until ${formatDateTime(until)}.`),
      );
      setConfirming(false);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="advice-block" data-testid="scope-usage">
      <h4>Least privilege</h4>
      <p>
        {formatNumber(usage.requests)} request{usage.requests === 1 ? '' : 's'} in the last {usage.days} days
        {usage.lastRequestAt ? `, the last ${formatRelative(usage.lastRequestAt)}` : ''}.
        {usage.idle && (
          <span className="pill expires-soon" data-testid="idle-flag">
            {' '}
            Not used in {usage.days} days
          </span>
        )}
      </p>
      <table className="table advice-table" aria-label="Scope usage">
        <thead>
          <tr>
            <th scope="col">Scope</th>
            <th scope="col">Requests</th>
            <th scope="col">Last needed</th>
          </tr>
        </thead>
        <tbody>
          {usage.used.map((u) => (
            <tr key={u.scope} data-scope={u.scope} data-state="used">
              <td>
                <span className="scope-chip">{u.scope}</span>
              </td>
              <td>{formatNumber(u.requests)}</td>
              <td>{u.lastSeenAt ? formatRelative(u.lastSeenAt) : '—'}</td>
            </tr>
          ))}
          {usage.unused.map((u) => (
            <tr key={u.scope} data-scope={u.scope} data-state="unused" className="inactive">
              <td>
                <span className="scope-chip">{u.scope}</span> {u.elevated && <span className="pill status-revoked">elevated</span>}
              </td>
              <td colSpan={2}>Never used</td>
            </tr>
          ))}
        </tbody>
      </table>
      {usage.missing.length > 0 && (
        <p className="warning-box">
          Requests were refused for scopes this key lacks: {usage.missing.map((m) => `${m.scope} (${m.requests})`).join(', ')}.
        </p>
      )}
      {usage.unused.length === 0 ? (
        <p className="muted">Every scope of this key was used: it holds no more than it needs.</p>
      ) : narrower.length === 0 ? (
        <p className="muted">
          No scope was used in this window, so there is nothing to narrow to. If the integration is gone, revoke the key.
        </p>
      ) : null}
      {error && (
        <p role="alert" className="alert">
          {error}
        </p>
      )}
      {canNarrow && !confirming && (
        <button type="button" className="button primary" onClick={() => setConfirming(true)}>
          Rotate to a narrower key
        </button>
      )}
      {canNarrow && confirming && (
        <div className="advice-confirm" role="group" aria-label="Rotate to a narrower key">
          <p>
            A new key with only <strong>{narrower.join(', ')}</strong> replaces this one (allowlist and settings kept). Its secret is shown
            once.
          </p>
          <label htmlFor={`${uid}-grace`}>Keep the current key working for</label>{' '}
          <select id={`${uid}-grace`} value={grace} onChange={(e) => setGrace(Number(e.target.value))}>
            {GRACE.map((g) => (
              <option key={g.seconds} value={g.seconds}>
                {g.label}
              </option>
            ))}
          </select>{' '}
          <button type="button" className="button primary" disabled={busy} onClick={() => void rotate()}>
            {busy ? 'Rotating…' : 'Rotate now'}
          </button>{' '}
          <button type="button" className="button" disabled={busy} onClick={() => setConfirming(false)}>
            Cancel
          </button>
        </div>
      )}
    </div>
  );
}

type Preview = PreviewApiKeyAllowlistMutation['previewApiKeyAllowlist'];

function SourceSection({
  state,
  apiKey,
  days,
  onSaved,
}: {
  state: Load<SourcesFieldsFragment>;
  apiKey: ApiKey;
  days: number;
  onSaved: (key: ApiKey) => void;
}) {
  const [picked, setPicked] = useState<Set<string> | null>(null);
  const [preview, setPreview] = useState<Preview | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  if (state.status !== 'ready') return <Blocked state={state} what="source addresses" />;
  const sources = state.value;
  const chosen = picked ?? new Set(sources.suggestedAllowlist);
  const entries = sources.suggestedAllowlist.filter((c) => chosen.has(c));

  function toggle(cidr: string) {
    const next = new Set(chosen);
    if (next.has(cidr)) next.delete(cidr);
    else next.add(cidr);
    setPicked(next);
    setPreview(null);
  }

  async function runPreview() {
    setBusy(true);
    setError(null);
    try {
      const data = await gqlRequest(PreviewApiKeyAllowlistDocument, { input: { id: apiKey.id, ipAllowlist: entries, days } });
      setPreview(data.previewApiKeyAllowlist);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  async function apply() {
    if (!preview) return;
    setBusy(true);
    setError(null);
    try {
      const data = await gqlRequest(UpdateApiKeyDocument, { input: { id: apiKey.id, ipAllowlist: preview.ipAllowlist } });
      setSaved(true);
      setPreview(null);
      onSaved(data.updateApiKey.apiKey);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="advice-block" data-testid="source-suggestions">
      <h4>Allowlist suggestions</h4>
      <p className="muted">
        Addresses grouped into a /24 (IPv4) or /64 (IPv6) when several share one, otherwise the single address.
        {apiKey.ipAllowlist.length > 0 && <> Current allowlist: {apiKey.ipAllowlist.join(', ')}.</>}
      </p>
      {sources.suggestions.length === 0 ? (
        <p className="muted">No requests with a known address in the last {sources.days} days.</p>
      ) : (
        <table className="table advice-table" aria-label="Source addresses">
          <thead>
            <tr>
              <th scope="col">Use</th>
              <th scope="col">CIDR</th>
              <th scope="col">Requests</th>
              <th scope="col">Addresses</th>
              <th scope="col">First seen</th>
              <th scope="col">Last seen</th>
            </tr>
          </thead>
          <tbody>
            {sources.suggestions.map((s) => (
              <tr key={s.cidr} data-cidr={s.cidr}>
                <td>
                  <input type="checkbox" aria-label={`Allow ${s.cidr}`} checked={chosen.has(s.cidr)} onChange={() => toggle(s.cidr)} />
                </td>
                <td className="mono">{s.cidr}</td>
                <td>{formatNumber(s.requests)}</td>
                <td>{s.addresses}</td>
                <td title={formatDateTime(s.firstSeenAt)}>{formatRelative(s.firstSeenAt)}</td>
                <td title={formatDateTime(s.lastSeenAt)}>{formatRelative(s.lastSeenAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {error && (
        <p role="alert" className="alert">
          {error}
        </p>
      )}
      {saved && <p role="status">Allowlist saved.</p>}
      {sources.suggestions.length > 0 && apiKey.status === 'ACTIVE' && (
        <button type="button" className="button" disabled={busy || entries.length === 0} onClick={() => void runPreview()}>
          Preview as allowlist
        </button>
      )}
      {preview && (
        <div className="advice-preview" data-testid="allowlist-preview" role="region" aria-label="Allowlist preview">
          <p>
            <strong>
              {preview.refusedRequests === 0
                ? `None of the last ${preview.days} days' ${formatNumber(preview.allowedRequests)} requests would have been refused.`
                : `${formatNumber(preview.refusedRequests)} of ${formatNumber(preview.allowedRequests + preview.refusedRequests)} requests in the last ${preview.days} days would have been refused.`}
            </strong>
          </p>
          {preview.refusedSources.length > 0 && (
            <ul className="advice-list">
              {preview.refusedSources.map((r) => (
                <li key={r.ip ?? 'unknown'}>
                  <span className="mono">{r.ip ?? 'unknown address'}</span>: {formatNumber(r.requests)} request
                  {r.requests === 1 ? '' : 's'}, last {formatRelative(r.lastSeenAt)}
                </li>
              ))}
            </ul>
          )}
          {preview.sampleRequests.length > 0 && (
            <table className="table advice-table" aria-label="Requests it would have refused">
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Request</th>
                  <th scope="col">Status</th>
                  <th scope="col">From</th>
                </tr>
              </thead>
              <tbody>
                {preview.sampleRequests.map((s) => (
                  <tr key={s.id}>
                    <td title={s.id}>{formatDateTime(s.timestamp)}</td>
                    <td className="mono">
                      {s.method} {s.path}
                    </td>
                    <td>{s.status}</td>
                    <td className="mono">{s.ip ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <p>
            Allowlist to save: <span className="mono">{preview.ipAllowlist.join(', ')}</span>
          </p>
          <button type="button" className="button primary" disabled={busy} onClick={() => void apply()}>
            Apply allowlist
          </button>{' '}
          <button type="button" className="button" disabled={busy} onClick={() => setPreview(null)}>
            Cancel
          </button>
        </div>
      )}
    </div>
  );
}
