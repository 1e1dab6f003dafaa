import { useCallback, useEffect, useId, useMemo, useRef, useState } from 'react';
import { Link } from 'react-router';
import { GraphQLRequestError, errorMessage, gqlRequest } from '../shared/api/client';
import {
  EntityApiKeysDocument,
  ScopeCatalogDocument,
  type EntityApiKeysQuery,
  type RotateApiKeyMutation,
} from '../gql/graphql';
import { formatDateTime, formatRelative } from '../shared/format';
import { StatusBlock, failureState, type BlockedState } from '../shared/ui/StatusBlock';
import { Flash } from '../shared/ui/Flash';
import { LoadMore } from '../shared/ui/LoadMore';
import { ActionsMenu, type MenuAction } from '../shared/ui/ActionsMenu';
import { useSearchState } from '../shared/url/useSearchState';
import { useDebouncedField } from '../shared/url/useDebouncedField';
import { tabPath } from '../shell/paths';
import { logsSearch } from '../logs/filters';
import { KeyHealthButton } from './KeyHealthPanel';
import { usePageMode } from '../shell/pageMode';
import { useViewer } from '../auth/viewer';
import {
  DEFAULT_POLICY,
  ageDays,
  rateLimitText,
  expiryText,
  maskedKey,
  matchingPreset,
  type ApiKey,
  type ScopePreset,
} from './keyUtils';
import { KEY_FILTERS, isFiltered, keysVariables, type KeyFilters } from './filters';
import { CreateApiKeyDialog, type CatalogState } from './CreateApiKeyDialog';
import { EditApiKeyDialog, ModeBadge, RevokeDialog, RotateDialog, SecretDialog } from './ApiKeyDialogs';
import { CleanupDialog } from './CleanupDialog';
import { KeyAdvicePanel, type AdviceWindow } from './KeyAdvicePanel';
import { AdviceView } from './AdviceView';
import { Segmented } from '../shared/ui/Segmented';
import './keys.css';

const SEARCH_DEBOUNCE_MS = 300;

type EntityApiSettings = NonNullable<EntityApiKeysQuery['entity']>['apiSettings'];

type ListState =
  | BlockedState
  | {
      status: 'ready';
      keys: ApiKey[];
      settings: EntityApiSettings;
      liveModeEnabled: boolean;
      /** Scopes the viewer may grant here; null: every scope. */
      grantable: string[] | null;
      endCursor: string | null;
      hasNextPage: boolean;
      loadingMore: boolean;
      refreshing: boolean;
      moreError: string | null;
    };

type DialogState =
  | { kind: 'none' }
  | { kind: 'create' }
  | { kind: 'cleanup' }
  | { kind: 'edit'; key: ApiKey }
  | { kind: 'rotate'; key: ApiKey }
  | { kind: 'revoke'; key: ApiKey };

/** A secret that was just issued. Held only here, in memory, until "Done". */
interface IssuedSecret {
  secret: string;
  key: ApiKey;
  note?: string;
}

export function ApiKeysTab({ entityId }: { entityId: string }) {
  const uid = useId();
  const [state, setState] = useState<ListState>({ status: 'loading' });
  const [filters, setFilters] = useSearchState(KEY_FILTERS);
  const { gqlMode: mode } = usePageMode();
  const [searchInput, setSearchInput] = useDebouncedField(
    filters.search,
    (search) => setFilters({ search }, { coalesce: 'search' }),
    SEARCH_DEBOUNCE_MS,
  );
  const [catalog, setCatalog] = useState<CatalogState>({ status: 'loading' });
  const [dialog, setDialog] = useState<DialogState>({ kind: 'none' });
  const [issued, setIssued] = useState<IssuedSecret | null>(null);
  const [flash, setFlash] = useState<string | null>(null);
  /** A key to scroll to and highlight (a rotation link was followed). */
  const [highlight, setHighlight] = useState<string | null>(null);
  const requestSeq = useRef(0);

  // "Expiring soon" is the deployment's window (apiKeyPolicy), once known.
  const expiringSoonDays = catalog.status === 'ready' ? catalog.policy.expiringSoonDays : DEFAULT_POLICY.expiringSoonDays;
  const fetchPage = useCallback(
    async (after: string | null) => {
      const data = await gqlRequest(EntityApiKeysDocument, keysVariables(entityId, filters, mode, after, expiringSoonDays));
      if (!data.entity) throw new GraphQLRequestError('Entity not found.', 'NOT_FOUND');
      return data.entity;
    },
    [entityId, filters, mode, expiringSoonDays],
  );

  /** (Re)loads the first page; keeps the current rows on screen while it does. */
  const reload = useCallback(() => {
    const seq = ++requestSeq.current;
    setState((s) => (s.status === 'ready' ? { ...s, refreshing: true, moreError: null } : { status: 'loading' }));
    fetchPage(null).then(
      (entity) => {
        if (seq !== requestSeq.current) return;
        setState({
          status: 'ready',
          keys: entity.apiKeys.edges.map((e) => e.node),
          settings: entity.apiSettings,
          liveModeEnabled: entity.liveModeEnabled,
          grantable: entity.viewerGrantableScopes ?? null,
          endCursor: entity.apiKeys.pageInfo.endCursor,
          hasNextPage: entity.apiKeys.pageInfo.hasNextPage,
          loadingMore: false,
          refreshing: false,
          moreError: null,
        });
      },
      (err) => {
        if (seq !== requestSeq.current) return;
        setState(failureState(err));
      },
    );
  }, [fetchPage]);

  useEffect(() => {
    reload();
    return () => {
      requestSeq.current++; // ignore answers that arrive after unmount / a filter change
    };
  }, [reload]);

  const loadCatalog = useCallback(() => {
    setCatalog({ status: 'loading' });
    gqlRequest(ScopeCatalogDocument).then(
      (data) =>
        setCatalog({ status: 'ready', resources: data.scopeCatalog, presets: data.scopePresets, policy: data.apiKeyPolicy }),
      (err) => setCatalog({ status: 'error', message: errorMessage(err) }),
    );
  }, []);

  useEffect(() => loadCatalog(), [loadCatalog]);

  useEffect(() => {
    if (!highlight || state.status !== 'ready') return;
    const row = document.querySelector<HTMLElement>(`tr[data-key-id="${CSS.escape(highlight)}"]`);
    if (!row) return;
    row.scrollIntoView?.({ block: 'center' });
    row.focus({ preventScroll: true });
    const timer = window.setTimeout(() => setHighlight(null), 4000);
    return () => window.clearTimeout(timer);
  }, [highlight, state]);

  // The server says which keys are due for rotation (`rotationDue`); a rotated key already was.
  const due = useMemo(
    () => (state.status === 'ready' ? state.keys.filter((k) => k.rotationDue && !k.rotatedTo) : []),
    [state],
  );
  const policy = catalog.status === 'ready' ? catalog.policy : DEFAULT_POLICY;
  const { viewer } = useViewer();
  const creators = useMemo(() => {
    const seen = new Map<string, string>();
    if (state.status === 'ready') for (const k of state.keys) if (k.createdBy) seen.set(k.createdBy.id, k.createdBy.name || k.createdBy.email);
    return seen;
  }, [state]);
  const grantableSet = useMemo(
    () => (state.status === 'ready' && state.grantable ? new Set(state.grantable) : null),
    [state],
  );

  async function loadMore() {
    if (state.status !== 'ready' || !state.hasNextPage || state.loadingMore) return;
    const seq = requestSeq.current;
    setState({ ...state, loadingMore: true, moreError: null });
    try {
      const entity = await fetchPage(state.endCursor);
      if (seq !== requestSeq.current) return;
      setState((s) =>
        s.status !== 'ready'
          ? s
          : {
              ...s,
              keys: [...s.keys, ...entity.apiKeys.edges.map((e) => e.node).filter((k) => !s.keys.some((x) => x.id === k.id))],
              endCursor: entity.apiKeys.pageInfo.endCursor,
              hasNextPage: entity.apiKeys.pageInfo.hasNextPage,
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

  function replaceKeys(...updated: ApiKey[]) {
    setState((s) =>
      s.status !== 'ready'
        ? s
        : { ...s, keys: s.keys.map((k) => updated.find((u) => u.id === k.id) ?? k) },
    );
  }

  function onCreated(secret: string, key: ApiKey) {
    setDialog({ kind: 'none' });
    setIssued({
      secret,
      key,
      note:
        key.mode !== mode
          ? `This is a ${key.mode.toLowerCase()} key: switch the page to ${key.mode === 'LIVE' ? 'Live' : 'Test'} mode to see it in the list.`
          : undefined,
    });
    setFlash(null);
    reload();
  }

  function onCleaned(revoked: ApiKey[]) {
    setDialog({ kind: 'none' });
    setFlash(
      revoked.length === 0
        ? 'Nothing was revoked.'
        : `Revoked ${revoked.length} key${revoked.length === 1 ? '' : 's'}: ${revoked.map((k) => k.name).join(', ')}.`,
    );
    reload();
  }

  /** Follows a rotation link: to the row if it is listed, else shows every key first. */
  function goToKey(id: string) {
    setHighlight(id);
    if (state.status === 'ready' && !state.keys.some((k) => k.id === id) && filters.status !== 'ALL') {
      setFilters({ status: 'ALL', search: '' });
    }
  }

  function onRotated(result: RotateApiKeyMutation['rotateApiKey'], graceSeconds: number) {
    setDialog({ kind: 'none' });
    const until = result.previous.expiresAt;
    setIssued({
      secret: result.secret,
      key: result.apiKey,
      note:
        graceSeconds === 0 || !until
          ? 'The previous key has stopped working.'
          : `The previous key (${maskedKey(result.previous)}) keeps working until ${formatDateTime(until)}.`,
    });
    setFlash(null);
    reload();
  }

  function onRevoked(key: ApiKey) {
    setDialog({ kind: 'none' });
    replaceKeys(key);
    setFlash(`Revoked “${key.name}” (${maskedKey(key)}).`);
  }

  function onSaved(key: ApiKey) {
    setDialog({ kind: 'none' });
    replaceKeys(key);
    setFlash(`Saved “${key.name}”.`);
  }

  function setFilter<K extends keyof KeyFilters>(name: K, value: KeyFilters[K]) {
    setFilters({ [name]: value } as Partial<KeyFilters>);
  }

  if (state.status !== 'ready') {
    return (
      <StatusBlock
        state={state}
        title="API keys"
        loadingText="Loading API keys…"
        forbiddenTestId="api-keys-forbidden"
        onRetry={() => reload()}
      />
    );
  }

  const filtered = isFiltered(filters);
  const presets = catalog.status === 'ready' ? catalog.presets : [];

  return (
    <div className="api-keys">
      <div className="section-head">
        <div>
          <h2>API keys</h2>
          <p className="muted">
            Keys let your integrations call the API for this entity. Rate limit {state.settings.rateLimitPerSecond}{' '}
            requests/s, burst {state.settings.rateLimitBurst}
            {state.settings.rateLimitOverridden ? ' (custom)' : ''}.
          </p>
        </div>
        <div className="head-actions">
          <button type="button" className="button" onClick={() => setDialog({ kind: 'cleanup' })}>
            Clean up keys
          </button>
          <button type="button" className="button primary" onClick={() => setDialog({ kind: 'create' })}>
            Create API key
          </button>
        </div>
      </div>

      {!state.settings.apiAccessEnabled && (
        <div className="warning-box" role="status">
          API access is disabled for this entity: requests with these keys are refused (
          <span className="mono">403 api_access_disabled</span>) until it is turned back on.
        </div>
      )}

      <Flash message={flash} onDismiss={() => setFlash(null)} />

      <Segmented
        label="View"
        options={[
          { value: 'KEYS', label: 'Keys' },
          { value: 'ADVICE', label: 'Advice' },
        ]}
        value={filters.view}
        onChange={(view) => setFilters({ view })}
      />

      {filters.key && (
        <KeyAdvicePanel
          key={filters.key}
          entityId={entityId}
          keyId={filters.key}
          days={Number(filters.days) as AdviceWindow}
          onDays={(days) => setFilters({ days: String(days) as KeyFilters['days'] })}
          onIssued={(secret, key, note) => {
            setIssued({ secret, key, note });
            setFilters({ key: key.id });
            reload();
          }}
          onSaved={(key) => {
            replaceKeys(key);
            setFlash(`Saved the allowlist of “${key.name}”.`);
          }}
          onClose={() => setFilters({ key: '' })}
        />
      )}

      {filters.view === 'ADVICE' ? (
        <AdviceView
          entityId={entityId}
          mode={mode}
          days={Number(filters.days) as AdviceWindow}
          onDays={(days) => setFilters({ days: String(days) as KeyFilters['days'] })}
          onOpenKey={(id) => setFilters({ key: id })}
        />
      ) : (
      <>

      {due.length > 0 && (
        <div className="warning-box keys-banner" role="status" data-testid="rotation-banner">
          <span>
            <strong>
              {due.length} active key{due.length === 1 ? ' is' : 's are'} older than {policy.rotationAdvisedDays} days.
            </strong>{' '}
            Rotating keys every {policy.rotationAdvisedDays} days limits the damage of a key that leaked unnoticed.
          </span>
          {due.length === 1 && (
            <button type="button" className="button small" onClick={() => setDialog({ kind: 'rotate', key: due[0] })}>
              Rotate “{due[0].name}”
            </button>
          )}
        </div>
      )}

      <div className="filters" role="search" aria-label="Filter API keys">
        <div className="filter">
          <label htmlFor={`${uid}-status`}>Status</label>
          <select
            id={`${uid}-status`}
            value={filters.status}
            onChange={(e) => setFilter('status', e.target.value as KeyFilters['status'])}
          >
            <option value="ACTIVE">Active keys</option>
            <option value="ALL">All keys</option>
            <option value="EXPIRING">Expiring soon</option>
            <option value="EXPIRED">Expired</option>
            <option value="REVOKED">Revoked</option>
          </select>
        </div>
        <label className="check view-toggle">
          <input
            type="checkbox"
            checked={filters.status === 'ACTIVE'}
            onChange={(e) => setFilter('status', e.target.checked ? 'ACTIVE' : 'ALL')}
          />
          Active only
        </label>
        <div className="filter">
          <label htmlFor={`${uid}-creator`}>Created by</label>
          <select id={`${uid}-creator`} value={filters.creator} onChange={(e) => setFilter('creator', e.target.value)}>
            <option value="">Anyone</option>
            <option value={viewer.user.id}>Me</option>
            {[...creators]
              .filter(([id]) => id !== viewer.user.id)
              .map(([id, label]) => (
                <option key={id} value={id}>
                  {label}
                </option>
              ))}
            {filters.creator && filters.creator !== viewer.user.id && !creators.has(filters.creator) && (
              <option value={filters.creator}>{filters.creator}</option>
            )}
          </select>
        </div>
        <div className="filter filter-search">
          <label htmlFor={`${uid}-search`}>Search</label>
          <input
            id={`${uid}-search`}
            type="search"
            placeholder="Name, description or key start"
            value={searchInput}
            onChange={(e) => setSearchInput(e.target.value)}
          />
        </div>
        {state.refreshing && (
          <span className="muted filter-status" role="status">
            Updating…
          </span>
        )}
      </div>

      {state.keys.length === 0 ? (
        <div className="empty-state">
          {filtered ? (
            <p className="muted">No API keys match these filters.</p>
          ) : (
            <>
              <p>
                <strong>No active {mode === 'LIVE' ? 'live' : 'test'} keys</strong>
              </p>
              <p className="muted">
                Create a key to let an integration call the API on behalf of this entity. Revoked and expired keys are
                hidden:{' '}
                <button type="button" className="link-button" onClick={() => setFilter('status', 'ALL')}>
                  show all keys
                </button>
                .
              </p>
            </>
          )}
        </div>
      ) : (
        <div className="table-scroll">
          <table className="table keys-table" aria-label="API keys" aria-busy={state.refreshing || undefined}>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Key</th>
                <th scope="col">Scopes</th>
                <th scope="col">Status</th>
                <th scope="col">Expires</th>
                <th scope="col">Last used</th>
                <th scope="col">Created by</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {state.keys.map((key) => (
                <KeyRow
                  key={key.id}
                  apiKey={key}
                  entityId={entityId}
                  highlighted={highlight === key.id}
                  onGoTo={goToKey}
                  presets={presets}
                  onEdit={() => setDialog({ kind: 'edit', key })}
                  onRotate={() => setDialog({ kind: 'rotate', key })}
                  onRevoke={() => setDialog({ kind: 'revoke', key })}
                  onAdvice={() => setFilters({ key: key.id })}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}

      {filters.status === 'ACTIVE' && state.keys.length > 0 && (
        <p className="hint">
          Showing active keys only; revoked and expired keys are hidden.{' '}
          <button type="button" className="link-button" onClick={() => setFilter('status', 'ALL')}>
            Show all keys
          </button>
        </p>
      )}

      <LoadMore
        hasNextPage={state.hasNextPage}
        loading={state.loadingMore}
        error={state.moreError}
        what="keys"
        onLoad={() => void loadMore()}
      />
      </>
      )}

      {dialog.kind === 'create' && (
        <CreateApiKeyDialog
          entityId={entityId}
          defaultMode={mode}
          liveModeEnabled={state.liveModeEnabled}
          grantable={grantableSet}
          catalog={catalog}
          onRetryCatalog={loadCatalog}
          onCreated={onCreated}
          onClose={() => setDialog({ kind: 'none' })}
        />
      )}
      {dialog.kind === 'cleanup' && (
        <CleanupDialog entityId={entityId} onCleaned={onCleaned} onClose={() => setDialog({ kind: 'none' })} />
      )}
      {dialog.kind === 'edit' && (
        <EditApiKeyDialog apiKey={dialog.key} policy={policy} onSaved={onSaved} onClose={() => setDialog({ kind: 'none' })} />
      )}
      {dialog.kind === 'rotate' && (
        <RotateDialog apiKey={dialog.key} onRotated={onRotated} onClose={() => setDialog({ kind: 'none' })} />
      )}
      {dialog.kind === 'revoke' && (
        <RevokeDialog apiKey={dialog.key} onRevoked={onRevoked} onClose={() => setDialog({ kind: 'none' })} />
      )}
      {issued && (
        <SecretDialog secret={issued.secret} apiKey={issued.key} note={issued.note} onDone={() => setIssued(null)} />
      )}
    </div>
  );
}

// Rows ------------------------------------------------------------------------------------------

interface RowProps {
  apiKey: ApiKey;
  entityId: string;
  highlighted: boolean;
  /** Scroll to (and if needed list) a linked key. */
  onGoTo: (id: string) => void;
  presets: ScopePreset[];
  onEdit: () => void;
  onRotate: () => void;
  onRevoke: () => void;
  onAdvice: () => void;
}

/** The Logs tab, filtered to this key (in its mode, over the last 7 days). */
export function keyLogsPath(entityId: string, key: Pick<ApiKey, 'id' | 'mode'>): string {
  return `${tabPath(entityId, 'logs')}${logsSearch(key.mode, { range: '7d', apiKeyId: key.id })}`;
}

function LinkedKey({ label, linked, onGoTo }: { label: string; linked: NonNullable<ApiKey['rotatedTo']>; onGoTo: (id: string) => void }) {
  return (
    <div className="rotation-link">
      <span className="muted">{label} </span>
      <button
        type="button"
        className="link-button"
        data-linked-key={linked.id}
        title={`${linked.name} (${linked.status.toLowerCase()})`}
        onClick={() => onGoTo(linked.id)}
      >
        {linked.name} <span className="mono">{maskedKey(linked)}</span>
      </button>
    </div>
  );
}

/** Only http(s) report links are rendered as links (never javascript: or data: URLs). */
function reportLink(url: string | null | undefined): string | null {
  return url && /^https?:\/\//i.test(url) ? url : null;
}

/** A secret scanner found the key in public: where, when, and what to do if it still works. */
function LeakNotice({ apiKey: key, onRotate }: { apiKey: ApiKey; onRotate: () => void }) {
  const link = reportLink(key.leakReportUrl);
  return (
    <div className="leak-notice" data-testid="key-leaked" role="note">
      <span className="pill status-revoked">Leaked</span>{' '}
      <span title={key.leakedAt ? formatDateTime(key.leakedAt) : undefined}>
        Found in public {key.leakedAt ? formatRelative(key.leakedAt) : ''}
        {key.leakSource ? ` (${key.leakSource.replace(/_/g, ' ')})` : ''}
      </span>
      {link && (
        <>
          {' · '}
          <a href={link} target="_blank" rel="noopener noreferrer" data-testid="key-leak-url">
            where it was found
          </a>
        </>
      )}
      {key.status === 'ACTIVE' && (
        <div className="rotation-nudge">
          <span>Still active: rotate it and update the integration.</span>
          {!key.rotatedTo && (
            <button type="button" className="button small" onClick={onRotate}>
              Rotate now
            </button>
          )}
        </div>
      )}
    </div>
  );
}

function KeyRow({ apiKey: key, entityId, highlighted, onGoTo, presets, onEdit, onRotate, onRevoke, onAdvice }: RowProps) {
  const actions: MenuAction[] = [{ label: 'Edit', onSelect: onEdit }, { label: 'Advice', onSelect: onAdvice }];
  if (key.status === 'ACTIVE' && !key.rotatedTo) actions.push({ label: 'Rotate', onSelect: onRotate });
  if (key.status !== 'REVOKED') actions.push({ label: 'Revoke', onSelect: onRevoke, danger: true });
  const nudge = key.rotationDue && !key.rotatedTo;
  const expiry = expiryText(key);
  const expiryClass =
    key.status === 'EXPIRED' ? 'expiry-text expired' : key.expiresSoon ? 'expiry-text soon' : 'expiry-text';
  const classes = [key.status === 'ACTIVE' ? '' : 'inactive', highlighted ? 'highlight' : ''].filter(Boolean).join(' ');

  return (
    <tr data-key-id={key.id} className={classes || undefined} tabIndex={highlighted ? -1 : undefined}>
      <td>
        <div className="key-name">
          <span className="key-name-text">{key.name}</span>
          <ModeBadge mode={key.mode} />
        </div>
        {key.description && <div className="key-desc muted">{key.description}</div>}
        {key.justification && (
          <div className="key-desc key-justification" data-testid="key-justification">
            <span className="muted">Elevated scopes because: </span>
            {key.justification}
          </div>
        )}
        {key.rotatedFrom && <LinkedKey label="Rotated from" linked={key.rotatedFrom} onGoTo={onGoTo} />}
        {key.rotatedTo && <LinkedKey label="Replaced by" linked={key.rotatedTo} onGoTo={onGoTo} />}
      </td>
      <td>
        <span className="mono key-token" title={`${maskedKey(key)} (only the start and the last 4 characters are stored)`}>
          {maskedKey(key)}
        </span>
        {key.ipAllowlist.length > 0 && (
          <div className="key-desc muted" title={key.ipAllowlist.join(', ')}>
            {key.ipAllowlist.length === 1 ? key.ipAllowlist[0] : `${key.ipAllowlist.length} IP ranges`}
          </div>
        )}
        {(key.rateLimitPerSecond != null || key.rateLimitBurst != null) && (
          <div className="key-desc muted" data-testid="key-rate-limit">
            Rate limit: {rateLimitText(key)}
          </div>
        )}
      </td>
      <td>
        <ScopesSummary scopes={key.scopes} presets={presets} />
      </td>
      <td>
        <div className="status-cell">
          <span className={`pill status-${key.status.toLowerCase()}`}>{key.status}</span>
          {key.rotatedTo && key.status === 'ACTIVE' && <span className="pill expires-soon">Rotated</span>}
        </div>
        {key.status === 'REVOKED' && key.revokedAt && (
          <div className="status-note muted" title={formatDateTime(key.revokedAt)}>
            Revoked {formatRelative(key.revokedAt)}
            {key.revokedBy ? ` by ${key.revokedBy.name || key.revokedBy.email}` : ''}
          </div>
        )}
        {key.leakedAt && <LeakNotice apiKey={key} onRotate={onRotate} />}
        {nudge && (
          <div className="rotation-nudge" data-testid="rotation-nudge">
            <span>
              {ageDays(key)} days old: rotation advised
            </span>
            <button type="button" className="button small" onClick={onRotate}>
              Rotate now
            </button>
          </div>
        )}
      </td>
      <td>
        <span
          className={expiryClass}
          data-testid="key-expiry"
          title={key.expiresAt && key.status !== 'REVOKED' ? formatDateTime(key.expiresAt) : undefined}
        >
          {expiry === 'Never' ? <span className="muted">Never</span> : expiry}
        </span>
      </td>
      <td>
        {key.lastUsedAt ? (
          <span title={`${formatDateTime(key.lastUsedAt)}${key.lastUsedIp ? ` from ${key.lastUsedIp}` : ''}`}>
            {formatRelative(key.lastUsedAt)}
          </span>
        ) : (
          <span className="muted">Never</span>
        )}
        <div className="key-desc">
          <Link to={keyLogsPath(entityId, key)} aria-label={`View logs of ${key.name}`}>
            View logs
          </Link>
          {' · '}
          <KeyHealthButton entityId={entityId} apiKey={key} />
        </div>
      </td>
      <td>
        {key.createdBy ? (
          <span title={key.createdBy.email}>{key.createdBy.name || key.createdBy.email}</span>
        ) : (
          <span className="muted">—</span>
        )}
        <div className="key-desc muted" title={formatDateTime(key.createdAt)}>
          {formatRelative(key.createdAt)}
        </div>
      </td>
      <td className="actions-cell">
        <ActionsMenu label={`Actions for ${key.name}`} actions={actions} />
      </td>
    </tr>
  );
}

function ScopesSummary({ scopes, presets }: { scopes: string[]; presets: ScopePreset[] }) {
  if (scopes.length === 0) return <span className="muted">No scopes</span>;
  const all = scopes.join('\n');
  const preset = matchingPreset(scopes, presets);
  if (preset) {
    return (
      <span className="scope-chip preset" title={all}>
        {preset.name}
      </span>
    );
  }
  const shown = scopes.length <= 2 ? scopes : scopes.slice(0, 1);
  const rest = scopes.length - shown.length;
  return (
    <span className="scope-summary" title={all}>
      {shown.map((s) => (
        <span key={s} className="scope-chip">
          {s}
        </span>
      ))}
      {rest > 0 && <span className="scope-chip more">+{rest}</span>}
    </span>
  );
}
