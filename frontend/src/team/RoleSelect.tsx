import { roleOptions, type CustomRole } from './teamUtils';

interface Props {
  id: string;
  value: string;
  onChange: (value: string) => void;
  customRoles: readonly CustomRole[];
  autoFocus?: boolean;
  describedBy?: string;
  invalid?: boolean;
}

/** Built-in roles and the entity's custom roles, in one select. */
export function RoleSelect({ id, value, onChange, customRoles, autoFocus, describedBy, invalid }: Props) {
  const options = roleOptions(customRoles);
  return (
    <select
      id={id}
      value={value}
      onChange={(e) => onChange(e.target.value)}
      data-autofocus={autoFocus ? '' : undefined}
      aria-describedby={describedBy}
      aria-invalid={invalid ? true : undefined}
    >
      <optgroup label="Roles">
        {options
          .filter((o) => o.group === 'built-in')
          .map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
      </optgroup>
      {customRoles.length > 0 && (
        <optgroup label="Custom roles">
          {options
            .filter((o) => o.group === 'custom')
            .map((o) => (
              <option key={o.value} value={o.value}>
                {o.label}
              </option>
            ))}
        </optgroup>
      )}
    </select>
  );
}
