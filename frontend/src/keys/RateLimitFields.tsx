import { FieldError, FieldHint, fieldAria } from '../shared/ui/FormField';

interface Props {
  ids: { rate: string; burst: string };
  rate: string;
  burst: string;
  errors: { rate?: string; burst?: string };
  onRate: (value: string) => void;
  onBurst: (value: string) => void;
  /** Shown above the fields (e.g. the key's current limit in the edit dialog). */
  current?: string;
}

/** The key's own rate limit (blank: the entity's). */
export function RateLimitFields({ ids, rate, burst, errors, onRate, onBurst, current }: Props) {
  return (
    <fieldset className="fieldset rate-limit-fields">
      <legend>
        Rate limit <span className="optional">(optional)</span>
      </legend>
      <div className="radio-row">
        <div className="field">
          <label htmlFor={ids.rate}>Requests per second</label>
          <input
            {...fieldAria(ids.rate, false, errors.rate)}
            name="rateLimitPerSecond"
            inputMode="decimal"
            autoComplete="off"
            placeholder="entity's"
            value={rate}
            onChange={(e) => onRate(e.target.value)}
          />
          <FieldError id={ids.rate} error={errors.rate} />
        </div>
        <div className="field">
          <label htmlFor={ids.burst}>Burst</label>
          <input
            {...fieldAria(ids.burst, false, errors.burst)}
            name="rateLimitBurst"
            inputMode="numeric"
            autoComplete="off"
            placeholder="entity's"
            value={burst}
            onChange={(e) => onBurst(e.target.value)}
          />
          <FieldError id={ids.burst} error={errors.burst} />
        </div>
      </div>
      <FieldHint id={ids.rate}>
        {current ? `Currently: ${current}. ` : ''}Leave blank to use the entity&apos;s rate limit.
      </FieldHint>
    </fieldset>
  );
}
