import { FieldError, FieldHint, fieldAria } from '../shared/ui/FormField';

/** The IP allowlist textarea of the create and edit dialogs: one address or CIDR per line. */
export function IpAllowlistField({
  id,
  value,
  error,
  onChange,
}: {
  id: string;
  value: string;
  error: string | undefined;
  onChange: (value: string) => void;
}) {
  return (
    <div className="field">
      <label htmlFor={id}>
        IP allowlist <span className="optional">(optional)</span>
      </label>
      <textarea
        {...fieldAria(id, true, error)}
        name="ipAllowlist"
        rows={3}
        spellCheck={false}
        className="mono"
        placeholder={'203.0.113.7\n198.51.100.0/24'}
        value={value}
        onChange={(e) => onChange(e.target.value)}
      />
      <FieldHint id={id}>One IPv4/IPv6 address or CIDR per line. Leave empty to allow requests from any address.</FieldHint>
      <FieldError id={id} error={error} />
    </div>
  );
}
