import { useMemo, useState } from 'react';
import { formatDate } from '../shared/format';
import { FieldError, FieldHint, fieldAria } from '../shared/ui/FormField';
import {
  CUSTOM_EXPIRY,
  DAY_MS,
  DEFAULT_POLICY,
  dateInput,
  expiryChoice,
  expiryDate,
  expiryOptions,
  maxExpiryDate,
  policyText,
  untilText,
  type ExpiryChoice,
  type KeyPolicy,
} from './keyUtils';

/** The edit dialog's "leave the expiry as it is". */
export const KEEP_EXPIRY = 'keep';

export interface ExpiryFieldState {
  /** The deployment's policy the choices come from. */
  policy: KeyPolicy;
  value: string;
  setValue: (value: string) => void;
  date: string;
  setDate: (date: string) => void;
  choice: ExpiryChoice;
  /** A preset's suggested lifetime, taken while the user has not picked one. */
  suggest: (days: number) => void;
  /** For createApiKey: `expiresInDays` for a preset, `expiresAt` for a date, nothing for never. */
  input: () => { expiresInDays?: number; expiresAt?: string };
  /** The element to focus for an error. */
  focusId: (baseId: string) => string;
}

export function useExpiryField(initial: string, policy: KeyPolicy = DEFAULT_POLICY): ExpiryFieldState {
  const [value, setValueState] = useState(initial);
  const [date, setDate] = useState('');
  const [touched, setTouched] = useState(false);
  const choice = useMemo(
    () => (value === KEEP_EXPIRY ? ({ kind: 'never' } as const) : expiryChoice(value, date, Date.now(), policy)),
    [value, date, policy],
  );
  return {
    policy,
    value,
    setValue: (next) => {
      setTouched(true);
      setValueState(next);
      if (next === CUSTOM_EXPIRY && !date) setDate(dateInput(Date.now() + 30 * DAY_MS));
    },
    date,
    setDate,
    choice,
    suggest: (days) => {
      const option = expiryOptions(policy).find((o) => o.days === days);
      if (!touched && option) setValueState(option.value);
    },
    input: () => (choice.kind === 'days' ? { expiresInDays: choice.days } : choice.kind === 'at' ? { expiresAt: choice.expiresAt } : {}),
    focusId: (baseId) => (value === CUSTOM_EXPIRY ? `${baseId}-date` : baseId),
  };
}

function inDays(iso: string): string {
  return untilText(Date.parse(iso));
}

interface Props {
  id: string;
  field: ExpiryFieldState;
  error: string | undefined;
  onChange: () => void;
  label?: string;
  suggestion?: string | null;
  /** The edit dialog: offer "keep" (described by `current`) as the first option. */
  keep?: { current: string };
}

/** Expiry presets (30/90/180/365 days), never, or a custom date. */
export function ExpiryField({ id, field, error, onChange, label = 'Expiry', suggestion, keep }: Props) {
  const custom = field.value === CUSTOM_EXPIRY;
  const options = expiryOptions(field.policy);
  const rules = policyText(field.policy);
  const max = maxExpiryDate(field.policy);
  const at = expiryDate(field.choice);
  const hint =
    field.value === KEEP_EXPIRY && keep
      ? `Currently: ${keep.current}.`
      : at
        ? `Expires on ${formatDate(at)} (${inDays(at)}).`
        : field.choice.kind === 'never'
          ? `The key never expires. Rotate it regularly (every ${field.policy.rotationAdvisedDays} days is advised).`
          : '';
  return (
    <div className="field expiry-field">
      <label htmlFor={id}>{label}</label>
      <div className="expiry-row">
        <select
          {...fieldAria(id, true, custom ? undefined : error)}
          name="expiry"
          value={field.value}
          onChange={(e) => {
            field.setValue(e.target.value);
            onChange();
          }}
        >
          {keep && <option value={KEEP_EXPIRY}>Keep as it is</option>}
          {options.map((o) => (
            <option key={o.value} value={o.value}>
              {o.days === null ? 'Never' : `In ${o.label}`}
            </option>
          ))}
          <option value={CUSTOM_EXPIRY}>On a date…</option>
        </select>
        {custom && (
          <span className="expiry-date">
            <label htmlFor={`${id}-date`} className="visually-hidden">
              Expiry date
            </label>
            <input
              {...fieldAria(`${id}-date`, false, error)}
              type="date"
              name="expiryDate"
              min={dateInput(Date.now() + DAY_MS)}
              max={max ?? undefined}
              value={field.date}
              onChange={(e) => {
                field.setDate(e.target.value);
                onChange();
              }}
            />
          </span>
        )}
      </div>
      <FieldHint id={id}>
        {hint}
        {suggestion ? ` ${suggestion}` : ''}
        {rules ? ` ${rules}` : ''}
      </FieldHint>
      <FieldError id={custom ? `${id}-date` : id} error={error} />
    </div>
  );
}
