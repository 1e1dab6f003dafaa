import type { ReactNode } from 'react';

/** ids for a field's hint and error, and the aria attributes that point at them. */
export function fieldAria(id: string, hint: boolean, error: string | undefined) {
  const ids = [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean);
  return {
    id,
    'aria-invalid': error ? (true as const) : undefined,
    'aria-describedby': ids.length > 0 ? ids.join(' ') : undefined,
  };
}

export function FieldHint({ id, children }: { id: string; children: ReactNode }) {
  return (
    <p id={`${id}-hint`} className="hint">
      {children}
    </p>
  );
}

export function FieldError({ id, error }: { id: string; error: string | undefined }) {
  if (!error) return null;
  return (
    <p id={`${id}-error`} className="field-error" data-field-error={id}>
      {error}
    </p>
  );
}

/** Moves focus to the first element (by id) that exists, after React has rendered the errors. */
export function focusFirst(ids: string[]): void {
  window.requestAnimationFrame(() => {
    for (const id of ids) {
      const el = document.getElementById(id);
      if (el) {
        el.focus();
        // Bring the message under the field into view too (not only the field itself).
        document.getElementById(`${id}-error`)?.scrollIntoView({ block: 'nearest' });
        return;
      }
    }
  });
}
