import { useId, useState, type FormEvent } from 'react';
import { gqlRequest } from '../shared/api/client';
import {
  RevokeApiKeyDocument,
  RotateApiKeyDocument,
  UpdateApiKeyDocument,
  type RotateApiKeyMutation,
  type UpdateApiKeyInput,
} from '../gql/graphql';
import { noErrors, toFormErrors, type FormErrors } from '../shared/forms';
import { FieldError, fieldAria, focusFirst } from '../shared/ui/FormField';
import { Modal } from '../shared/ui/Modal';
import { useCopyToClipboard } from '../shared/ui/useCopyToClipboard';
import {
  DEFAULT_GRACE_SECONDS,
  GRACE_OPTIONS,
  expiryDate,
  expiryText,
  maskedKey,
  parseAllowlist,
  parseRateLimit,
  rateLimitText,
  sameScopes,
  type ApiKey,
  type KeyPolicy,
} from './keyUtils';
import { RateLimitFields } from './RateLimitFields';
import { IpAllowlistField } from './IpAllowlistField';
import { ExpiryField, KEEP_EXPIRY, useExpiryField } from './ExpiryField';
import { formatDateTime } from '../shared/format';

function KeySummary({ apiKey }: { apiKey: ApiKey }) {
  return (
    <p className="key-summary">
      <strong>{apiKey.name}</strong> <ModeBadge mode={apiKey.mode} />{' '}
      <span className="mono key-token">{maskedKey(apiKey)}</span>
    </p>
  );
}

export function ModeBadge({ mode }: { mode: ApiKey['mode'] }) {
  return <span className={`pill mode-${mode.toLowerCase()}`}>{mode}</span>;
}

// The secret, shown once ----------------------------------------------------------------------

interface SecretProps {
  secret: string;
  apiKey: ApiKey;
  /** Extra context, e.g. how long the previous key keeps working after a rotation. */
  note?: string;
  onDone: () => void;
}

/**
 * Shows a newly issued secret. It lives only in the parent's React state and disappears for good
 * on "Done"; it is never written to storage. Escape does not dismiss it: losing it means rotating.
 */
export function SecretDialog({ secret, apiKey, note, onDone }: SecretProps) {
  const { status: copy, copy: copySecret, select: selectSecret, ref: codeRef } = useCopyToClipboard(secret);

  function done() {
    window.getSelection()?.removeAllRanges();
    onDone();
  }

  return (
    <Modal title="Copy your API key" className="modal-secret">
      <KeySummary apiKey={apiKey} />
      <div className="warning-box">
        <strong>You won&apos;t be able to see it again.</strong> Copy the key now and store it somewhere safe, such as
        a secrets manager. If you lose it, rotate the key.
      </div>
      <div className="secret-box">
        <code ref={codeRef} data-testid="new-api-key" className="secret" onClick={selectSecret}>
          {secret}
        </code>
        <button type="button" className="button" onClick={() => void copySecret()}>
          {copy === 'copied' ? 'Copied' : 'Copy'}
        </button>
      </div>
      <p className="hint copy-status" aria-live="polite">
        {copy === 'copied' && 'Copied to the clipboard.'}
        {copy === 'failed' && 'Could not copy automatically. The key is selected: press Ctrl+C (⌘C on a Mac).'}
      </p>
      {note && <p className="muted">{note}</p>}
      <div className="form-actions">
        <button type="button" className="button primary" onClick={done}>
          Done
        </button>
      </div>
    </Modal>
  );
}

// Rotate ----------------------------------------------------------------------------------------

interface RotateProps {
  apiKey: ApiKey;
  onRotated: (result: RotateApiKeyMutation['rotateApiKey'], graceSeconds: number) => void;
  onClose: () => void;
}

export function RotateDialog({ apiKey, onRotated, onClose }: RotateProps) {
  const uid = useId();
  const [grace, setGrace] = useState(DEFAULT_GRACE_SECONDS);
  const [errors, setErrors] = useState<FormErrors<'grace'>>(noErrors);
  const [submitting, setSubmitting] = useState(false);

  async function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setSubmitting(true);
    setErrors(noErrors());
    try {
      const data = await gqlRequest(RotateApiKeyDocument, {
        input: { id: apiKey.id, gracePeriodSeconds: grace },
      });
      onRotated(data.rotateApiKey, grace);
    } catch (err) {
      setSubmitting(false);
      const next = toFormErrors(err, { gracePeriodSeconds: 'grace' as const });
      setErrors(next);
      focusFirst([next.fields.grace ? `${uid}-grace-${grace}` : `${uid}-alert`]);
    }
  }

  return (
    <Modal title="Rotate API key" onClose={submitting ? undefined : onClose}>
      <form onSubmit={handleSubmit} noValidate className="form">
        {errors.general && (
          <div role="alert" className="alert" id={`${uid}-alert`} tabIndex={-1}>
            {errors.general}
          </div>
        )}
        <KeySummary apiKey={apiKey} />
        <p>
          Rotating issues a new key with the same scopes and allowlist. Update your integration with the new key
          before the current one stops working.
        </p>
        <fieldset className="fieldset" aria-describedby={errors.fields.grace ? `${uid}-grace-error` : undefined}>
          <legend>Keep the current key working for</legend>
          <div className="radio-list">
            {GRACE_OPTIONS.map((o) => (
              <label key={o.seconds} className={grace === o.seconds ? 'radio-card selected' : 'radio-card'}>
                <input
                  type="radio"
                  id={`${uid}-grace-${o.seconds}`}
                  name="grace"
                  value={o.seconds}
                  checked={grace === o.seconds}
                  aria-labelledby={`${uid}-grace-${o.seconds}-name`}
                  aria-describedby={`${uid}-grace-${o.seconds}-desc`}
                  onChange={() => setGrace(o.seconds)}
                />
                <span>
                  <span id={`${uid}-grace-${o.seconds}-name`} className="radio-card-title">
                    {o.label}
                  </span>
                  <span id={`${uid}-grace-${o.seconds}-desc`} className="radio-card-desc">
                    {o.hint}
                  </span>
                </span>
              </label>
            ))}
          </div>
          <FieldError id={`${uid}-grace`} error={errors.fields.grace} />
        </fieldset>
        <div className="form-actions">
          <button type="button" className="button" onClick={onClose} disabled={submitting}>
            Cancel
          </button>
          <button type="submit" className="button primary" disabled={submitting}>
            {submitting ? 'Rotating…' : 'Rotate key'}
          </button>
        </div>
      </form>
    </Modal>
  );
}

// Revoke ----------------------------------------------------------------------------------------

interface RevokeProps {
  apiKey: ApiKey;
  onRevoked: (key: ApiKey) => void;
  onClose: () => void;
}

export function RevokeDialog({ apiKey, onRevoked, onClose }: RevokeProps) {
  const uid = useId();
  const [error, setError] = useState<string | null>(null);
  const [submitting, setSubmitting] = useState(false);

  async function revoke() {
    setSubmitting(true);
    setError(null);
    try {
      const data = await gqlRequest(RevokeApiKeyDocument, { input: { id: apiKey.id } });
      onRevoked(data.revokeApiKey.apiKey);
    } catch (err) {
      setSubmitting(false);
      setError(toFormErrors(err, {}).general);
      focusFirst([`${uid}-alert`]);
    }
  }

  return (
    <Modal title="Revoke API key" onClose={submitting ? undefined : onClose}>
      {error && (
        <div role="alert" className="alert" id={`${uid}-alert`} tabIndex={-1}>
          {error}
        </div>
      )}
      <KeySummary apiKey={apiKey} />
      <p>
        Requests using this key will be refused right away (<span className="mono">401 api_key_revoked</span>). This
        can&apos;t be undone.
      </p>
      <div className="form-actions">
        <button type="button" className="button" onClick={onClose} disabled={submitting} autoFocus>
          Cancel
        </button>
        <button type="button" className="button danger" onClick={() => void revoke()} disabled={submitting}>
          {submitting ? 'Revoking…' : 'Revoke key'}
        </button>
      </div>
    </Modal>
  );
}

// Edit ------------------------------------------------------------------------------------------

type EditField = 'name' | 'description' | 'ipAllowlist' | 'expiry' | 'rateLimitPerSecond' | 'rateLimitBurst';

interface EditProps {
  apiKey: ApiKey;
  /** The deployment's expiry policy (apiKeyPolicy). */
  policy?: KeyPolicy;
  onSaved: (key: ApiKey) => void;
  onClose: () => void;
}

export function EditApiKeyDialog({ apiKey, policy, onSaved, onClose }: EditProps) {
  const uid = useId();
  const ids = {
    name: `${uid}-name`,
    description: `${uid}-description`,
    ipAllowlist: `${uid}-allowlist`,
    expiry: `${uid}-expiry`,
    rateLimitPerSecond: `${uid}-rate`,
    rateLimitBurst: `${uid}-burst`,
  };
  const expiry = useExpiryField(KEEP_EXPIRY, policy);
  const [ratePerSecond, setRatePerSecond] = useState(apiKey.rateLimitPerSecond != null ? String(apiKey.rateLimitPerSecond) : '');
  const [rateBurst, setRateBurst] = useState(apiKey.rateLimitBurst != null ? String(apiKey.rateLimitBurst) : '');
  // The API changes the expiry of active keys only; a rotated key's can only be brought forward.
  const expiryEditable = apiKey.status === 'ACTIVE';
  const [name, setName] = useState(apiKey.name);
  const [description, setDescription] = useState(apiKey.description);
  const [allowlistText, setAllowlistText] = useState(apiKey.ipAllowlist.join('\n'));
  const [errors, setErrors] = useState<FormErrors<EditField>>(noErrors);
  const [submitting, setSubmitting] = useState(false);

  function clearError(field: EditField) {
    if (errors.fields[field]) setErrors((e) => ({ ...e, fields: { ...e.fields, [field]: undefined } }));
  }

  function showErrors(next: FormErrors<EditField>) {
    setErrors(next);
    const first = (['name', 'description', 'ipAllowlist', 'expiry', 'rateLimitPerSecond', 'rateLimitBurst'] as const).find(
      (f) => next.fields[f],
    );
    focusFirst([first === 'expiry' ? expiry.focusId(ids.expiry) : first ? ids[first] : `${uid}-alert`]);
  }

  async function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!name.trim()) {
      showErrors({ general: null, fields: { name: 'Enter a name for this key.' } });
      return;
    }
    const allowlist = parseAllowlist(allowlistText);
    const input: UpdateApiKeyInput = { id: apiKey.id };
    if (name.trim() !== apiKey.name) input.name = name.trim();
    if (description.trim() !== apiKey.description) input.description = description.trim();
    if (!sameScopes(allowlist, apiKey.ipAllowlist)) input.ipAllowlist = allowlist;
    const limits = parseRateLimit(ratePerSecond, rateBurst);
    if (Object.keys(limits.errors).length > 0) {
      showErrors({ general: null, fields: limits.errors });
      return;
    }
    const { rateLimitPerSecond, rateLimitBurst } = limits.value;
    if (rateLimitPerSecond !== (apiKey.rateLimitPerSecond ?? null) || rateLimitBurst !== (apiKey.rateLimitBurst ?? null)) {
      // Both blank: back to the entity's limit; else the key's own (a blank one of the two is the entity's).
      if (rateLimitPerSecond === null && rateLimitBurst === null) input.clearRateLimit = true;
      else {
        if (rateLimitPerSecond !== null) input.rateLimitPerSecond = rateLimitPerSecond;
        if (rateLimitBurst !== null) input.rateLimitBurst = rateLimitBurst;
      }
    }
    if (expiryEditable && expiry.value !== KEEP_EXPIRY) {
      const choice = expiry.choice;
      if (choice.kind === 'invalid') {
        showErrors({ general: null, fields: { expiry: choice.error } });
        return;
      }
      if (choice.kind === 'never') {
        if (apiKey.expiresAt) input.clearExpiry = true;
      } else {
        input.expiresAt = expiryDate(choice);
      }
    }
    if (Object.keys(input).length === 1) {
      onClose(); // nothing changed
      return;
    }
    setSubmitting(true);
    setErrors(noErrors());
    try {
      const data = await gqlRequest(UpdateApiKeyDocument, { input });
      onSaved(data.updateApiKey.apiKey);
    } catch (err) {
      setSubmitting(false);
      showErrors(
        toFormErrors(err, {
          name: 'name',
          description: 'description',
          ipAllowlist: 'ipAllowlist',
          expiresAt: 'expiry',
          clearExpiry: 'expiry',
          rateLimitPerSecond: 'rateLimitPerSecond',
          rateLimitBurst: 'rateLimitBurst',
          clearRateLimit: 'rateLimitPerSecond',
        }),
      );
    }
  }

  return (
    <Modal title="Edit API key" onClose={submitting ? undefined : onClose}>
      <form onSubmit={handleSubmit} noValidate className="form">
        {errors.general && (
          <div role="alert" className="alert" id={`${uid}-alert`} tabIndex={-1}>
            {errors.general}
          </div>
        )}
        <p className="key-summary">
          <ModeBadge mode={apiKey.mode} /> <span className="mono key-token">{maskedKey(apiKey)}</span>
        </p>
        <div className="field">
          <label htmlFor={ids.name}>Name</label>
          <input
            {...fieldAria(ids.name, false, errors.fields.name)}
            required
            maxLength={100}
            autoComplete="off"
            value={name}
            onChange={(e) => {
              setName(e.target.value);
              clearError('name');
            }}
          />
          <FieldError id={ids.name} error={errors.fields.name} />
        </div>
        <div className="field">
          <label htmlFor={ids.description}>
            Description <span className="optional">(optional)</span>
          </label>
          <textarea
            {...fieldAria(ids.description, false, errors.fields.description)}
            rows={2}
            maxLength={500}
            value={description}
            onChange={(e) => {
              setDescription(e.target.value);
              clearError('description');
            }}
          />
          <FieldError id={ids.description} error={errors.fields.description} />
        </div>
        <IpAllowlistField
          id={ids.ipAllowlist}
          value={allowlistText}
          error={errors.fields.ipAllowlist}
          onChange={(value) => {
            setAllowlistText(value);
            clearError('ipAllowlist');
          }}
        />
        {expiryEditable ? (
          <ExpiryField
            id={ids.expiry}
            field={expiry}
            error={errors.fields.expiry}
            onChange={() => clearError('expiry')}
            keep={{
              current: apiKey.expiresAt
                ? `${expiryText(apiKey)} (${formatDateTime(apiKey.expiresAt)})`
                : 'never expires',
            }}
            suggestion={
              apiKey.rotatedTo ? 'This key was rotated: its expiry (the end of the grace period) can only be brought forward.' : null
            }
          />
        ) : (
          <div className="field">
            <span className="label">Expiry</span>
            <p className="muted">
              {expiryText(apiKey)}. A {apiKey.status === 'REVOKED' ? 'revoked' : 'expired'} key stays dead; create a new key
              instead.
            </p>
          </div>
        )}
        <RateLimitFields
          ids={{ rate: ids.rateLimitPerSecond, burst: ids.rateLimitBurst }}
          rate={ratePerSecond}
          burst={rateBurst}
          current={rateLimitText(apiKey)}
          errors={{ rate: errors.fields.rateLimitPerSecond, burst: errors.fields.rateLimitBurst }}
          onRate={(v) => {
            setRatePerSecond(v);
            clearError('rateLimitPerSecond');
          }}
          onBurst={(v) => {
            setRateBurst(v);
            clearError('rateLimitBurst');
          }}
        />
        {apiKey.justification && (
          <div className="field">
            <span className="label">Justification</span>
            <p data-testid="edit-justification">{apiKey.justification}</p>
          </div>
        )}
        <div className="field">
          <span className="label" id={`${uid}-scopes`}>
            Scopes
          </span>
          {apiKey.scopes.length === 0 ? (
            <p className="muted">No scopes</p>
          ) : (
            <ul className="scope-list" aria-labelledby={`${uid}-scopes`}>
              {apiKey.scopes.map((s) => (
                <li key={s} className="scope-chip">
                  {s}
                </li>
              ))}
            </ul>
          )}
          <p className="hint">Scopes are fixed at creation; rotate or create a new key to change them.</p>
        </div>
        <div className="form-actions">
          <button type="button" className="button" onClick={onClose} disabled={submitting}>
            Cancel
          </button>
          <button type="submit" className="button primary" disabled={submitting}>
            {submitting ? 'Saving…' : 'Save'}
          </button>
        </div>
      </form>
    </Modal>
  );
}
