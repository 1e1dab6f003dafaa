import { useId, useState } from 'react';
import { gqlRequest } from '../shared/api/client';
import { CleanupApiKeysDocument, type CleanupApiKeysInput } from '../gql/graphql';
import { formatRelative } from '../shared/format';
import { toFormErrors } from '../shared/forms';
import { focusFirst } from '../shared/ui/FormField';
import { Modal } from '../shared/ui/Modal';
import { maskedKey, type ApiKey } from './keyUtils';
import { ModeBadge } from './ApiKeyDialogs';

interface Props {
  entityId: string;
  onCleaned: (revoked: ApiKey[]) => void;
  onClose: () => void;
}

type Preview = { keys: ApiKey[]; input: CleanupApiKeysInput } | null;

/**
 * `cleanupApiKeys`: first a dry run lists the keys it would revoke; only then can they be revoked,
 * with the same options.
 */
export function CleanupDialog({ entityId, onCleaned, onClose }: Props) {
  const uid = useId();
  const [throwaway, setThrowaway] = useState(true);
  const [unused, setUnused] = useState(false);
  const [unusedDays, setUnusedDays] = useState('90');
  const [preview, setPreview] = useState<Preview>(null);
  const [busy, setBusy] = useState<'preview' | 'revoke' | null>(null);
  const [error, setError] = useState<string | null>(null);

  function changed() {
    setPreview(null);
    setError(null);
  }

  function options(): CleanupApiKeysInput | string {
    if (!throwaway && !unused) return 'Pick at least one kind of key to clean up.';
    let unusedForDays: number | null = null;
    if (unused) {
      const n = Number(unusedDays);
      if (!Number.isInteger(n) || n < 1) return 'Days unused must be a whole number, at least 1.';
      unusedForDays = n;
    }
    return { entityId, throwawayTestKeys: throwaway, unusedForDays, dryRun: true };
  }

  async function findKeys() {
    const input = options();
    if (typeof input === 'string') {
      setError(input);
      focusFirst([`${uid}-alert`]);
      return;
    }
    setBusy('preview');
    setError(null);
    try {
      const data = await gqlRequest(CleanupApiKeysDocument, { input });
      setPreview({ keys: data.cleanupApiKeys.apiKeys, input });
    } catch (err) {
      setError(toFormErrors(err, {}).general ?? 'Could not list the keys.');
      focusFirst([`${uid}-alert`]);
    } finally {
      setBusy(null);
    }
  }

  async function revoke() {
    if (!preview) return;
    setBusy('revoke');
    setError(null);
    try {
      const data = await gqlRequest(CleanupApiKeysDocument, { input: { ...preview.input, dryRun: false } });
      onCleaned(data.cleanupApiKeys.apiKeys);
    } catch (err) {
      setBusy(null);
      setError(toFormErrors(err, {}).general ?? 'Could not revoke the keys.');
      focusFirst([`${uid}-alert`]);
    }
  }

  return (
    <Modal title="Clean up API keys" onClose={busy ? undefined : onClose} className="modal-wide">
      {error && (
        <div role="alert" className="alert" id={`${uid}-alert`} tabIndex={-1}>
          {error}
        </div>
      )}
      <p>Revoke active keys nobody needs any more, in both modes. You see the list before anything is revoked.</p>
      <div className="cleanup-options">
        <label className="check">
          <input
            type="checkbox"
            checked={throwaway}
            onChange={(e) => {
              setThrowaway(e.target.checked);
              changed();
            }}
          />
          <span>
            Throwaway test keys <span className="muted">(test mode, named like smoke, debug, test, tmp, temp or scratch)</span>
          </span>
        </label>
        <div className="check">
          <input
            type="checkbox"
            id={`${uid}-unused`}
            checked={unused}
            onChange={(e) => {
              setUnused(e.target.checked);
              changed();
            }}
          />
          <label htmlFor={`${uid}-unused`}>Keys not used for</label>
          <input
            type="number"
            min={1}
            className="small-input"
            aria-label="Days unused"
            value={unusedDays}
            disabled={!unused}
            onChange={(e) => {
              setUnusedDays(e.target.value);
              changed();
            }}
          />
          <span>days (never used: since creation)</span>
        </div>
      </div>

      {preview && (
        <section aria-label="Keys to revoke" data-testid="cleanup-preview">
          {preview.keys.length === 0 ? (
            <p className="muted" role="status">
              Nothing to clean up: no active key matches.
            </p>
          ) : (
            <>
              <p role="status">
                <strong>
                  {preview.keys.length} key{preview.keys.length === 1 ? '' : 's'} would be revoked:
                </strong>
              </p>
              <ul className="cleanup-list">
                {preview.keys.map((key) => (
                  <li key={key.id} data-key-id={key.id}>
                    <strong>{key.name}</strong> <ModeBadge mode={key.mode} />{' '}
                    <span className="mono small-text">{maskedKey(key)}</span>{' '}
                    <span className="muted small-text">
                      {key.lastUsedAt ? `last used ${formatRelative(key.lastUsedAt)}` : 'never used'}
                    </span>
                  </li>
                ))}
              </ul>
              <p className="hint">Requests with these keys will be refused right away. This can&apos;t be undone.</p>
            </>
          )}
        </section>
      )}

      <div className="form-actions">
        <button type="button" className="button" onClick={onClose} disabled={busy !== null}>
          Cancel
        </button>
        {preview && preview.keys.length > 0 ? (
          <button type="button" className="button danger" onClick={() => void revoke()} disabled={busy !== null}>
            {busy === 'revoke' ? 'Revoking…' : `Revoke ${preview.keys.length} key${preview.keys.length === 1 ? '' : 's'}`}
          </button>
        ) : (
          <button type="button" className="button primary" onClick={() => void findKeys()} disabled={busy !== null}>
            {busy === 'preview' ? 'Looking…' : 'Find keys'}
          </button>
        )}
      </div>
    </Modal>
  );
}
