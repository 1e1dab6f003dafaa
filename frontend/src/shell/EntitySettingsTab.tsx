import { useCallback, useEffect, useId, useState, type FormEvent } from 'react';
import { gqlRequest } from '../shared/api/client';
import {
  EntitySettingsDocument,
  type LeakedKeyAction,
  UpdateEntitySettingsDocument,
  ViewerDocument,
  type EntityApiSettingsFieldsFragment,
  type Role,
  type UpdateEntityApiSettingsInput,
} from '../gql/graphql';
import { useViewer } from '../auth/viewer';
import { ErrorNotice } from '../shared/ui/ErrorNotice';
import { Modal } from '../shared/ui/Modal';
import { StatusBlock, failureState, type BlockedState } from '../shared/ui/StatusBlock';
import { FieldError, FieldHint, fieldAria } from '../shared/ui/FormField';
import { LIVE_MODE_OWNER_ONLY, liveModeEditable, settingsChanges, validateSettings, type SettingsDraft } from './entitySettings';
import { isOwnerOrAdmin } from './access';

type Settings = EntityApiSettingsFieldsFragment;
type State = BlockedState | { status: 'ready'; settings: Settings };

function draftOf(s: Settings): SettingsDraft {
  return {
    apiAccessEnabled: s.apiAccessEnabled,
    liveModeEnabled: s.liveModeEnabled,
    rateLimitPerSecond: String(s.rateLimitPerSecond),
    rateLimitBurst: String(s.rateLimitBurst),
    logCaptureBodies: s.logCaptureBodies,
    logRetentionDays: String(s.logRetentionDays),
    leakedKeyAction: s.leakedKeyAction,
  };
}

/** Settings › Developers › Entity settings: API access, rate limit, log capture and retention. */
export function EntitySettingsTab({ entityId, role, onChanged }: { entityId: string; role: Role; onChanged: () => void }) {
  const uid = useId();
  const { setViewer } = useViewer();
  const [state, setState] = useState<State>({ status: 'loading' });
  const [draft, setDraft] = useState<SettingsDraft | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [saving, setSaving] = useState(false);
  const [saved, setSaved] = useState<string | null>(null);
  const [confirmDisable, setConfirmDisable] = useState(false);
  const [confirmLive, setConfirmLive] = useState(false);

  const load = useCallback(() => {
    let cancelled = false;
    setState({ status: 'loading' });
    gqlRequest(EntitySettingsDocument, { id: entityId }).then(
      (data) => {
        if (cancelled) return;
        setState({ status: 'ready', settings: data.entity.apiSettings });
        setDraft(draftOf(data.entity.apiSettings));
      },
      (err) => {
        if (!cancelled) setState(failureState(err));
      },
    );
    return () => {
      cancelled = true;
    };
  }, [entityId]);
  useEffect(() => load(), [load]);

  if (!isOwnerOrAdmin(role)) {
    return <StatusBlock state={{ status: 'forbidden' }} title="Entity settings" loadingText="" forbiddenTestId="settings-forbidden" onRetry={load} />;
  }
  if (state.status !== 'ready' || !draft) {
    return (
      <StatusBlock
        state={state.status === 'ready' ? { status: 'loading' } : state}
        title="Entity settings"
        loadingText="Loading entity settings…"
        forbiddenTestId="settings-forbidden"
        onRetry={() => load()}
      />
    );
  }

  const current = state.settings;
  const errors = validateSettings(draft);
  const changes = settingsChanges(current, draft);
  const ids = { access: `${uid}-access`, live: `${uid}-live`, rate: `${uid}-rate`, burst: `${uid}-burst`, capture: `${uid}-capture`, retention: `${uid}-retention`, leak: `${uid}-leak` };

  async function save(input: Omit<UpdateEntityApiSettingsInput, 'entityId'>) {
    setSaving(true);
    setError(null);
    setSaved(null);
    try {
      const data = await gqlRequest(UpdateEntitySettingsDocument, { input: { entityId, ...input } });
      const settings = data.updateEntityApiSettings.settings;
      setState({ status: 'ready', settings });
      setDraft(draftOf(settings));
      setSaved('Entity settings saved.');
      if (input.apiAccessEnabled !== undefined && input.apiAccessEnabled !== null) {
        // The header and the page's gating read the entity from the viewer.
        const viewer = await gqlRequest(ViewerDocument).catch(() => null);
        if (viewer?.viewer) setViewer(viewer.viewer);
        onChanged();
      }
    } catch (err) {
      setError(err);
    } finally {
      setSaving(false);
      setConfirmDisable(false);
      setConfirmLive(false);
    }
  }

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    if (Object.keys(errors).length > 0 || !changes) return;
    if (changes.apiAccessEnabled === false) {
      setConfirmDisable(true);
      return;
    }
    if (changes.liveModeEnabled === true) {
      setConfirmLive(true);
      return;
    }
    void save(changes);
  }

  const set = (patch: Partial<SettingsDraft>) => {
    setSaved(null);
    setDraft({ ...draft, ...patch });
  };

  return (
    <div className="entity-settings">
      <h2>Entity settings</h2>
      <p className="muted">These settings apply to every key of this entity, in Test and Live mode.</p>
      {error !== null && <ErrorNotice error={error} prefix="Could not save" onStale={load} onDismiss={() => setError(null)} />}
      {saved && (
        <p className="flash" role="status">
          {saved}
        </p>
      )}
      <form onSubmit={onSubmit} noValidate className="settings-form">
        <fieldset className="fieldset">
          <legend>API access</legend>
          <label className="checkbox">
            <input
              type="checkbox"
              id={ids.access}
              checked={draft.apiAccessEnabled}
              onChange={(e) => set({ apiAccessEnabled: e.target.checked })}
            />{' '}
            API access enabled
          </label>
          <p className="hint">
            When off, every request with this entity&apos;s keys is refused with{' '}
            <span className="mono">403 api_access_disabled</span> and the Developers tabs are hidden.
          </p>
        </fieldset>

        <fieldset className="fieldset" data-testid="live-mode-setting">
          <legend>Live mode</legend>
          <label className="checkbox">
            <input
              type="checkbox"
              id={ids.live}
              checked={draft.liveModeEnabled}
              disabled={!liveModeEditable(role)}
              aria-describedby={`${ids.live}-hint`}
              onChange={(e) => set({ liveModeEnabled: e.target.checked })}
            />{' '}
            Live mode enabled
          </label>
          <p className="hint" id={`${ids.live}-hint`}>
            {current.liveModeEnabled
              ? 'Live keys and live webhook endpoints can be created. Turning it off keeps existing ones working.'
              : 'Until an owner enables it, live keys and live webhook endpoints cannot be created: confirm the entity is production-ready first.'}
            {!liveModeEditable(role) && (
              <>
                {' '}
                <span data-testid="live-mode-owner-only">{LIVE_MODE_OWNER_ONLY}</span>
              </>
            )}
          </p>
        </fieldset>

        <fieldset className="fieldset">
          <legend>Rate limit</legend>
          <div className="field">
            <label htmlFor={ids.rate}>Requests per second (sustained)</label>
            <input
              type="number"
              inputMode="decimal"
              min="0"
              step="any"
              value={draft.rateLimitPerSecond}
              onChange={(e) => set({ rateLimitPerSecond: e.target.value })}
              {...fieldAria(ids.rate, false, errors.rateLimitPerSecond)}
            />
            <FieldError id={ids.rate} error={errors.rateLimitPerSecond} />
          </div>
          <div className="field">
            <label htmlFor={ids.burst}>Burst</label>
            <input
              type="number"
              inputMode="numeric"
              min="1"
              step="1"
              value={draft.rateLimitBurst}
              onChange={(e) => set({ rateLimitBurst: e.target.value })}
              {...fieldAria(ids.burst, false, errors.rateLimitBurst)}
            />
            <FieldError id={ids.burst} error={errors.rateLimitBurst} />
          </div>
          <p className="hint" data-testid="rate-limit-source">
            {current.rateLimitOverridden ? 'A limit set for this entity.' : 'The deployment default.'}
          </p>
          {current.rateLimitOverridden && (
            <button type="button" className="button small" disabled={saving} onClick={() => void save({ resetRateLimit: true })}>
              Reset to the deployment default
            </button>
          )}
        </fieldset>

        <fieldset className="fieldset">
          <legend>Request logs</legend>
          <label className="checkbox">
            <input
              type="checkbox"
              id={ids.capture}
              checked={draft.logCaptureBodies}
              onChange={(e) => set({ logCaptureBodies: e.target.checked })}
            />{' '}
            Capture headers and bodies (redacted, truncated)
          </label>
          <div className="field">
            <label htmlFor={ids.retention}>Retention (days)</label>
            <input
              type="number"
              inputMode="numeric"
              min="1"
              step="1"
              value={draft.logRetentionDays}
              onChange={(e) => set({ logRetentionDays: e.target.value })}
              {...fieldAria(ids.retention, true, errors.logRetentionDays)}
            />
            <FieldHint id={ids.retention}>Older request logs are deleted.</FieldHint>
            <FieldError id={ids.retention} error={errors.logRetentionDays} />
          </div>
        </fieldset>

        <fieldset className="fieldset" data-testid="leaked-key-setting">
          <legend>Leaked keys</legend>
          <div className="field">
            <label htmlFor={ids.leak}>When a secret scanner reports one of these keys in public</label>
            <select
              value={draft.leakedKeyAction}
              onChange={(e) => set({ leakedKeyAction: e.target.value as LeakedKeyAction })}
              {...fieldAria(ids.leak, true, undefined)}
            >
              <option value={'REVOKE'}>Revoke the key at once (recommended)</option>
              <option value={'FLAG'}>Flag the key for the team to rotate</option>
            </select>
            <FieldHint id={ids.leak}>
              Either way the key is marked leaked, the audit log records where it was found, and an{' '}
              <span className="mono">api_key.leaked</span> event goes to your webhooks.
            </FieldHint>
          </div>
        </fieldset>

        <div className="form-actions">
          <button type="submit" className="button primary" disabled={saving || !changes || Object.keys(errors).length > 0}>
            {saving ? 'Saving…' : 'Save settings'}
          </button>
          <button type="button" className="button" disabled={saving || !changes} onClick={() => setDraft(draftOf(current))}>
            Discard changes
          </button>
        </div>
      </form>

      {confirmLive && changes && (
        <Modal title="Enable live mode?" onClose={saving ? undefined : () => setConfirmLive(false)}>
          <p>
            Confirm the entity is production-ready: live keys and live webhook endpoints act on real data once they can be
            created.
          </p>
          <div className="form-actions">
            <button type="button" className="button" onClick={() => setConfirmLive(false)} disabled={saving}>
              Cancel
            </button>
            <button type="button" className="button primary" onClick={() => void save(changes)} disabled={saving}>
              {saving ? 'Enabling…' : 'Enable live mode'}
            </button>
          </div>
        </Modal>
      )}

      {confirmDisable && changes && (
        <Modal title="Turn off API access?" onClose={saving ? undefined : () => setConfirmDisable(false)}>
          <p>
            Every request made with this entity&apos;s keys, Test and Live, will be refused at once with{' '}
            <span className="mono">403 api_access_disabled</span>. Integrations stop working until it is turned back on.
          </p>
          <div className="form-actions">
            <button type="button" className="button" onClick={() => setConfirmDisable(false)} disabled={saving}>
              Cancel
            </button>
            <button type="button" className="button danger" onClick={() => void save(changes)} disabled={saving}>
              {saving ? 'Turning off…' : 'Turn off API access'}
            </button>
          </div>
        </Modal>
      )}
    </div>
  );
}
