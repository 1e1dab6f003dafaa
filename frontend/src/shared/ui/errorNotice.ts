// What an error notice shows and copies: the GraphQL code, the field, other extensions, the request
// ID (X-Request-Id of the response), and whether the error means the data on screen is stale.

import { GraphQLRequestError, errorMessage } from '../api/client';

export interface ErrorInfo {
  message: string;
  code: string | null;
  field: string | null;
  /** Other string/number extensions, as `key: value`. */
  extra: string[];
  requestId: string | null;
  /** CONFLICT or NOT_FOUND: someone else changed or removed what the view shows. */
  stale: boolean;
}

export function errorInfo(err: unknown): ErrorInfo {
  if (err instanceof GraphQLRequestError) {
    const extensions = (err.errors[0]?.extensions ?? {}) as Record<string, unknown>;
    const extra = Object.entries(extensions)
      .filter(([key, value]) => key !== 'code' && key !== 'field' && (typeof value === 'string' || typeof value === 'number'))
      .map(([key, value]) => `${key}: ${String(value)}`);
    return {
      message: err.message,
      code: err.code,
      field: err.field ?? null,
      extra,
      requestId: err.requestId,
      stale: err.has('CONFLICT') || err.has('NOT_FOUND'),
    };
  }
  return { message: errorMessage(err), code: null, field: null, extra: [], requestId: null, stale: false };
}

/** The one line copied for a support ticket. */
export function errorCopyText(info: ErrorInfo, prefix?: string): string {
  return [
    prefix ? `${prefix}: ${info.message}` : info.message,
    info.code,
    info.field ? `field ${info.field}` : null,
    ...info.extra,
    info.requestId ? `request ${info.requestId}` : null,
  ]
    .filter(Boolean)
    .join(' · ');
}
