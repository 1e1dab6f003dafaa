import { useId, useMemo, useState, type FormEvent } from 'react';
import { gqlRequest } from '../shared/api/client';
import { CreateApiKeyDocument, type CreateApiKeyInput, type Mode } from '../gql/graphql';
import { noErrors, toFormErrors, type FormErrors } from '../shared/forms';
import { FieldError, FieldHint, fieldAria, focusFirst } from '../shared/ui/FormField';
import { Modal } from '../shared/ui/Modal';
import {
  parseAllowlist,
  sameScopes,
  type ApiKey,
  type ScopePreset,
  type ScopeResource,
  canGrant,
  defaultExpiryValue,
  isElevated,
  justificationError,
  MAX_JUSTIFICATION,
  parseRateLimit,
  scopeLines,
  ungrantable,
  type KeyPolicy,
} from './keyUtils';
import { RateLimitFields } from './RateLimitFields';
import { LIVE_MODE_DISABLED } from '../shared/liveMode';
import { IpAllowlistField } from './IpAllowlistField';
import { ExpiryField, useExpiryField } from './ExpiryField';
import './keys.css';

export type CatalogState =
  | { status: 'loading' }
  | { status: 'error'; message: string }
  | { status: 'ready'; resources: ScopeResource[]; presets: ScopePreset[]; policy: KeyPolicy };

type Field =
  | 'name'
  | 'description'
  | 'mode'
  | 'scopes'
  | 'justification'
  | 'expiry'
  | 'rateLimitPerSecond'
  | 'rateLimitBurst'
  | 'ipAllowlist';



/** Server `extensions.field` → form field. */
const FIELD_MAP: Record<string, Field> = {
  name: 'name',
  description: 'description',
  mode: 'mode',
  scopes: 'scopes',
  preset: 'scopes',
  expiresInDays: 'expiry',
  expiresAt: 'expiry',
  justification: 'justification',
  rateLimitPerSecond: 'rateLimitPerSecond',
  rateLimitBurst: 'rateLimitBurst',
  ipAllowlist: 'ipAllowlist',
};

const CUSTOM = 'custom';

/** Why a scope cannot be ticked. */
export const NOT_GRANTABLE = "Your role can't grant this scope";

interface Props {
  entityId: string;
  /** The page's mode: the new key's mode unless changed. */
  defaultMode: Mode;
  /** Live keys can be made (`Entity.liveModeEnabled`). */
  liveModeEnabled: boolean;
  /** Scopes the viewer may grant here (`viewerGrantableScopes`); null: every scope. */
  grantable: ReadonlySet<string> | null;
  catalog: CatalogState;
  onRetryCatalog: () => void;
  onCreated: (secret: string, key: ApiKey) => void;
  onClose: () => void;
}

export function CreateApiKeyDialog(props: Props) {
  // The expiry field starts from the deployment's policy: wait for it.
  if (props.catalog.status !== 'ready') return <CreateApiKeyForm key="loading" {...props} policy={null} />;
  return <CreateApiKeyForm key="ready" {...props} policy={props.catalog.policy} />;
}

function CreateApiKeyForm({
  entityId,
  defaultMode,
  liveModeEnabled,
  grantable,
  catalog,
  onRetryCatalog,
  onCreated,
  onClose,
  policy,
}: Props & { policy: KeyPolicy | null }) {
  const uid = useId();
  const ids = {
    name: `${uid}-name`,
    description: `${uid}-description`,
    mode: `${uid}-mode`,
    scopes: `${uid}-scopes`,
    justification: `${uid}-justification`,
    expiry: `${uid}-expiry`,
    rateLimitPerSecond: `${uid}-rate`,
    rateLimitBurst: `${uid}-burst`,
    ipAllowlist: `${uid}-allowlist`,
  } satisfies Record<Field, string>;

  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [mode, setMode] = useState<Mode>(defaultMode);
  /** A preset id, CUSTOM, or null before anything is chosen. */
  const [choice, setChoice] = useState<string | null>(null);
  const [scopes, setScopes] = useState<ReadonlySet<string>>(() => new Set());
  const expiry = useExpiryField(policy ? defaultExpiryValue(policy) : 'never', policy ?? undefined);
  const [justification, setJustification] = useState('');
  const [ratePerSecond, setRatePerSecond] = useState('');
  const [rateBurst, setRateBurst] = useState('');
  const [allowlistText, setAllowlistText] = useState('');
  const [errors, setErrors] = useState<FormErrors<Field>>(noErrors);
  const [submitting, setSubmitting] = useState(false);

  const resources = catalog.status === 'ready' ? catalog.resources : [];
  const presets = catalog.status === 'ready' ? catalog.presets : [];
  const allScopeNames = useMemo(() => resources.flatMap((r) => r.scopes.map((s) => s.name)), [resources]);
  const elevatedNames = useMemo(
    () => new Set(resources.flatMap((r) => r.scopes.filter(isElevated).map((s) => s.name))),
    [resources],
  );
  const grantableCount = allScopeNames.filter((s) => canGrant(s, grantable)).length;
  const accessColumns = useMemo(() => {
    const columns: string[] = [];
    for (const r of resources) for (const s of r.scopes) if (!columns.includes(s.access)) columns.push(s.access);
    return columns;
  }, [resources]);
  const selectedPreset = presets.find((p) => p.id === choice) ?? null;
  const selectedElevated = allScopeNames.filter((s) => scopes.has(s) && elevatedNames.has(s));

  function clearError(field: Field) {
    if (errors.fields[field]) setErrors((e) => ({ ...e, fields: { ...e.fields, [field]: undefined } }));
  }

  function choosePreset(id: string) {
    clearError('scopes');
    if (id === CUSTOM) {
      setChoice(CUSTOM);
      return;
    }
    const preset = presets.find((p) => p.id === id);
    if (!preset || ungrantable(preset.scopes, grantable).length > 0) return;
    setChoice(preset.id);
    setScopes(new Set(preset.scopes));
    if (preset.suggestedExpiryDays) expiry.suggest(preset.suggestedExpiryDays);
  }

  function updateScopes(next: Set<string>) {
    clearError('scopes');
    setScopes(next);
    // A preset stays selected only while the grid still matches it exactly.
    if (!selectedPreset || !sameScopes(selectedPreset.scopes, [...next])) setChoice(CUSTOM);
  }

  function toggleScope(scope: string, checked: boolean) {
    const next = new Set(scopes);
    if (checked) next.add(scope);
    else next.delete(scope);
    updateScopes(next);
  }

  function toggleColumn(access: string, checked: boolean) {
    const next = new Set(scopes);
    for (const r of resources)
      for (const s of r.scopes)
        if (s.access === access && canGrant(s.name, grantable)) {
          if (checked) next.add(s.name);
          else next.delete(s.name);
        }
    updateScopes(next);
  }

  function validate(): FormErrors<Field> {
    const fields: Partial<Record<Field, string>> = {};
    if (!name.trim()) fields.name = 'Enter a name for this key.';
    else if (name.trim().length > 100) fields.name = 'Name must be at most 100 characters.';
    if (description.length > 500) fields.description = 'Description must be at most 500 characters.';
    if (catalog.status === 'ready' && scopes.size === 0) fields.scopes = 'Choose a preset or select at least one scope.';
    const refused = ungrantable([...scopes], grantable);
    if (refused.length > 0) fields.scopes = `Your role can't grant ${refused.join(', ')}.`;
    if (selectedElevated.length > 0) {
      const why = justificationError(justification);
      if (why) fields.justification = why;
    }
    if (mode === 'LIVE' && !liveModeEnabled) fields.mode = LIVE_MODE_DISABLED;
    if (expiry.choice.kind === 'invalid') fields.expiry = expiry.choice.error;
    const limits = parseRateLimit(ratePerSecond, rateBurst);
    Object.assign(fields, limits.errors);
    return { general: catalog.status === 'ready' ? null : 'Scopes are not loaded yet.', fields };
  }

  function showErrors(next: FormErrors<Field>) {
    setErrors(next);
    const order: Field[] = [
      'name',
      'description',
      'mode',
      'scopes',
      'justification',
      'expiry',
      'rateLimitPerSecond',
      'rateLimitBurst',
      'ipAllowlist',
    ];
    const firstField = order.find((f) => next.fields[f]);
    if (firstField) {
      const target =
        firstField === 'scopes'
          ? `${ids.scopes}-first`
          : firstField === 'mode'
            ? `${ids.mode}-TEST`
            : firstField === 'expiry'
              ? expiry.focusId(ids.expiry)
              : ids[firstField];
      focusFirst([target]);
    } else if (next.general) {
      focusFirst([`${uid}-alert`]);
    }
  }

  async function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const local = validate();
    if (local.general || Object.values(local.fields).some(Boolean)) {
      showErrors(local);
      return;
    }
    setErrors(noErrors());
    setSubmitting(true);
    const ordered = allScopeNames.filter((s) => scopes.has(s));
    const usePreset = selectedPreset !== null && sameScopes(selectedPreset.scopes, ordered);
    const input: CreateApiKeyInput = {
      entityId,
      name: name.trim(),
      mode,
      description: description.trim(),
      ipAllowlist: parseAllowlist(allowlistText),
      ...expiry.input(),
      ...parseRateLimit(ratePerSecond, rateBurst).value,
      ...(selectedElevated.length > 0 ? { justification: justification.trim() } : {}),
      ...(usePreset ? { preset: selectedPreset.id } : { scopes: ordered }),
    };
    try {
      const data = await gqlRequest(CreateApiKeyDocument, { input });
      onCreated(data.createApiKey.secret, data.createApiKey.apiKey);
    } catch (err) {
      setSubmitting(false);
      showErrors(toFormErrors(err, FIELD_MAP));
    }
  }


  return (
    <Modal title="Create API key" onClose={submitting ? undefined : onClose} className="modal-wide">
      <form onSubmit={handleSubmit} noValidate className="form">
        {errors.general && (
          <div role="alert" className="alert" id={`${uid}-alert`} tabIndex={-1}>
            {errors.general}
          </div>
        )}

        <div className="field">
          <label htmlFor={ids.name}>Name</label>
          <input
            {...fieldAria(ids.name, true, errors.fields.name)}
            name="name"
            required
            maxLength={100}
            autoComplete="off"
            autoFocus
            value={name}
            onChange={(e) => {
              setName(e.target.value);
              clearError('name');
            }}
          />
          <FieldHint id={ids.name}>Something that tells you where the key is used, e.g. “Warehouse sync”.</FieldHint>
          <FieldError id={ids.name} error={errors.fields.name} />
        </div>

        <div className="field">
          <label htmlFor={ids.description}>
            Description <span className="optional">(optional)</span>
          </label>
          <textarea
            {...fieldAria(ids.description, false, errors.fields.description)}
            name="description"
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

        <fieldset className="fieldset" aria-describedby={errors.fields.mode ? `${ids.mode}-error` : undefined}>
          <legend>Mode</legend>
          <div className="radio-row">
            {(['TEST', 'LIVE'] as const).map((m) => (
              <label key={m} className={mode === m ? 'radio-card selected' : 'radio-card'}>
                <input
                  type="radio"
                  id={`${ids.mode}-${m}`}
                  name="mode"
                  value={m}
                  checked={mode === m}
                  onChange={() => {
                    setMode(m);
                    clearError('mode');
                  }}
                />
                <span className="radio-card-title">{m === 'TEST' ? 'Test' : 'Live'}</span>
              </label>
            ))}
          </div>
          <p className="hint">
            {mode === 'TEST'
              ? 'Test keys are for building and trying out an integration.'
              : 'Live keys are for production traffic. Treat them like a password.'}
          </p>
          {mode === 'LIVE' && !liveModeEnabled && !errors.fields.mode && (
            <p className="warning-box" data-testid="live-mode-disabled">
              {LIVE_MODE_DISABLED}
            </p>
          )}
          <FieldError id={ids.mode} error={errors.fields.mode} />
        </fieldset>

        <fieldset
          className="fieldset"
          aria-describedby={errors.fields.scopes ? `${ids.scopes}-error` : undefined}
          aria-invalid={errors.fields.scopes ? true : undefined}
        >
          <legend>Scopes</legend>
          <FieldError id={ids.scopes} error={errors.fields.scopes} />
          {catalog.status === 'loading' && (
            <p className="muted" role="status">
              Loading scopes…
            </p>
          )}
          {catalog.status === 'error' && (
            <div className="inline-error">
              <p className="field-error">Could not load scopes: {catalog.message}</p>
              <button type="button" className="button small" onClick={onRetryCatalog}>
                Retry
              </button>
            </div>
          )}
          {catalog.status === 'ready' && (
            <>
              <div className="preset-grid" role="radiogroup" aria-label="Scope preset">
                {[...presets, null].map((preset, index) => {
                  const value = preset?.id ?? CUSTOM;
                  const checked = choice === value;
                  const optionId = index === 0 ? `${ids.scopes}-first` : `${ids.scopes}-${value}`;
                  const refused = preset ? ungrantable(preset.scopes, grantable) : [];
                  const classes = ['radio-card', checked ? 'selected' : '', refused.length ? 'disabled' : ''].filter(Boolean);
                  return (
                    <label key={value} className={classes.join(' ')} data-preset={value}>
                      <input
                        type="radio"
                        id={optionId}
                        name="preset"
                        value={value}
                        checked={checked}
                        disabled={refused.length > 0}
                        aria-labelledby={`${optionId}-name`}
                        aria-describedby={preset ? `${optionId}-desc ${optionId}-scopes` : `${optionId}-desc`}
                        onChange={() => choosePreset(value)}
                      />
                      <span>
                        <span id={`${optionId}-name`} className="radio-card-title">
                          {preset ? preset.name : 'Custom'}
                        </span>
                        <span id={`${optionId}-desc`} className="radio-card-desc">
                          {preset
                            ? `${preset.description}${preset.suggestedExpiryDays ? ` · expires in ${preset.suggestedExpiryDays} days` : ''}`
                            : 'Pick scopes below'}
                        </span>
                        {preset && (
                          <span
                            id={`${optionId}-scopes`}
                            className="preset-scopes"
                            data-testid={`preset-scopes-${value}`}
                            title={preset.scopes.join(', ')}
                          >
                            {scopeLines(preset.scopes, elevatedNames).map((line) => (
                              <span key={line.access} className={line.elevated ? 'preset-scope-line elevated' : 'preset-scope-line'}>
                                <span className="preset-scope-access">
                                  {line.access}
                                  {line.elevated ? ' (elevated)' : ''}:
                                </span>{' '}
                                {line.resources.join(', ')}
                              </span>
                            ))}
                          </span>
                        )}
                        {refused.length > 0 && (
                          <span className="radio-card-desc refused">Your role can&apos;t grant {refused.join(', ')}.</span>
                        )}
                      </span>
                    </label>
                  );
                })}
              </div>

              <table className="scope-grid" aria-label="Scopes by resource">
                <thead>
                  <tr>
                    <th scope="col">Resource</th>
                    {accessColumns.map((access) => {
                      const inColumn = resources.flatMap((r) =>
                        r.scopes.filter((s) => s.access === access && canGrant(s.name, grantable)),
                      );
                      const count = inColumn.filter((s) => scopes.has(s.name)).length;
                      return (
                        <th scope="col" key={access}>
                          <label className="check">
                            <input
                              type="checkbox"
                              checked={count > 0 && count === inColumn.length}
                              disabled={inColumn.length === 0}
                              ref={(el) => {
                                if (el) el.indeterminate = count > 0 && count < inColumn.length;
                              }}
                              aria-label={`All ${access}`}
                              onChange={(e) => toggleColumn(access, e.target.checked)}
                            />
                            <span aria-hidden="true">{access}</span>
                          </label>
                        </th>
                      );
                    })}
                  </tr>
                </thead>
                <tbody>
                  {resources.map((resource) => (
                    <tr key={resource.resource}>
                      <th scope="row">{resource.resource}</th>
                      {accessColumns.map((access) => {
                        const scope = resource.scopes.find((s) => s.access === access);
                        if (!scope) return <td key={access} />;
                        const allowed = canGrant(scope.name, grantable);
                        const elevated = isElevated(scope);
                        const descId = `${uid}-scope-${scope.name}`;
                        return (
                          <td key={access} className={allowed ? undefined : 'not-grantable'} data-scope={scope.name}>
                            <label className="check" title={allowed ? scope.description : `${NOT_GRANTABLE}: ${scope.name}`}>
                              <input
                                type="checkbox"
                                name="scopes"
                                value={scope.name}
                                aria-label={scope.name}
                                aria-describedby={allowed ? descId : `${descId} ${descId}-why`}
                                checked={scopes.has(scope.name)}
                                disabled={!allowed}
                                onChange={(e) => toggleScope(scope.name, e.target.checked)}
                              />
                              <span className="scope-desc" id={descId}>
                                {scope.description}
                                {elevated && (
                                  <span className="pill elevated" title="Write access: changes data">
                                    Elevated
                                  </span>
                                )}
                              </span>
                            </label>
                            {!allowed && (
                              <span className="scope-why" id={`${descId}-why`}>
                                {NOT_GRANTABLE}
                              </span>
                            )}
                          </td>
                        );
                      })}
                    </tr>
                  ))}
                </tbody>
              </table>
              <p className="hint" aria-live="polite">
                {scopes.size} of {allScopeNames.length} scopes selected
                {selectedPreset ? ` · preset: ${selectedPreset.name}` : choice === CUSTOM ? ' · custom' : ''}
                {grantableCount < allScopeNames.length
                  ? ` · your role can grant ${grantableCount} of ${allScopeNames.length}`
                  : ''}
              </p>
              {selectedElevated.length > 0 && (
                <div className="elevated-note" data-testid="elevated-note">
                  <strong>Elevated scopes:</strong> {selectedElevated.join(', ')}. They let the key change data: grant
                  them only when the integration&apos;s owner can explain why.
                </div>
              )}
              {selectedElevated.length > 0 && (
                <div className="field">
                  <label htmlFor={ids.justification}>Justification</label>
                  <input
                    {...fieldAria(ids.justification, true, errors.fields.justification)}
                    name="justification"
                    required
                    maxLength={MAX_JUSTIFICATION}
                    autoComplete="off"
                    value={justification}
                    onChange={(e) => {
                      setJustification(e.target.value.replace(/[\r\n]+/g, ' '));
                      clearError('justification');
                    }}
                  />
                  <FieldHint id={ids.justification}>
                    One line: why this key needs elevated scopes (kept with the key and in the audit log).
                  </FieldHint>
                  <FieldError id={ids.justification} error={errors.fields.justification} />
                </div>
              )}
            </>
          )}
        </fieldset>

        <ExpiryField
          id={ids.expiry}
          field={expiry}
          error={errors.fields.expiry}
          onChange={() => clearError('expiry')}
          suggestion={
            selectedPreset?.suggestedExpiryDays ? `Suggested for this preset: ${selectedPreset.suggestedExpiryDays} days.` : null
          }
        />

        <RateLimitFields
          ids={{ rate: ids.rateLimitPerSecond, burst: ids.rateLimitBurst }}
          rate={ratePerSecond}
          burst={rateBurst}
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

        <IpAllowlistField
          id={ids.ipAllowlist}
          value={allowlistText}
          error={errors.fields.ipAllowlist}
          onChange={(value) => {
            setAllowlistText(value);
            clearError('ipAllowlist');
          }}
        />

        <div className="form-actions">
          <button type="button" className="button" onClick={onClose} disabled={submitting}>
            Cancel
          </button>
          <button type="submit" className="button primary" disabled={submitting || catalog.status !== 'ready'}>
            {submitting ? 'Creating…' : 'Create key'}
          </button>
        </div>
      </form>
    </Modal>
  );
}
