// Mapping server errors onto forms.

import { GraphQLRequestError } from './api/client';

export interface FormErrors<F extends string> {
  general: string | null;
  fields: Partial<Record<F, string>>;
}

export function noErrors<F extends string>(): FormErrors<F> {
  return { general: null, fields: {} };
}

/**
 * Maps a failed mutation onto a form: errors whose `extensions.field` names a form field go next to
 * it; everything else goes into the form's general alert.
 */
export function toFormErrors<F extends string>(err: unknown, fieldMap: Record<string, F>): FormErrors<F> {
  if (err instanceof GraphQLRequestError) {
    const mapped = err.field ? fieldMap[err.field] : undefined;
    if (mapped && (err.code === 'BAD_USER_INPUT' || err.code === 'FORBIDDEN')) {
      return { general: null, fields: { [mapped]: err.message } as Partial<Record<F, string>> };
    }
    if (err.code === 'FORBIDDEN') {
      return { general: `You don't have permission to do this. ${err.message}`, fields: {} };
    }
    return { general: err.message, fields: {} };
  }
  return { general: err instanceof Error ? err.message : String(err), fields: {} };
}
