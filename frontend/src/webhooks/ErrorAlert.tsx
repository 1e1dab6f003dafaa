import { GraphQLRequestError, errorMessage } from '../shared/api/client';
import { useCopyToClipboard } from '../shared/ui/useCopyToClipboard';

/** The text copied from an error: its code, field and message. */
export function errorDetails(err: unknown): { code: string | null; field: string | null; message: string; extra: string[] } {
  if (err instanceof GraphQLRequestError) {
    // Other extensions the server adds (e.g. a reason such as endpoint_not_active), as `key: value`.
    const extensions = (err.errors[0]?.extensions ?? {}) as Record<string, unknown>;
    const extra = Object.entries(extensions)
      .filter(([key, value]) => key !== 'code' && key !== 'field' && (typeof value === 'string' || typeof value === 'number'))
      .map(([key, value]) => `${key}: ${String(value)}`);
    return { code: err.code, field: err.field ?? null, message: err.message, extra };
  }
  return { code: null, field: null, message: errorMessage(err), extra: [] };
}

/** An error with its GraphQL code (and field), and a button copying both for a support ticket. */
export function ErrorAlert({ error, id, prefix }: { error: unknown; id?: string; prefix?: string }) {
  const { code, field, message, extra } = errorDetails(error);
  const text = [code, field ? `field ${field}` : null, ...extra, message].filter(Boolean).join(' · ');
  const { status, copy, ref } = useCopyToClipboard<HTMLSpanElement>(text);
  return (
    <div role="alert" className="alert webhook-error" id={id} tabIndex={-1}>
      <span ref={ref}>
        {prefix ? `${prefix}: ` : ''}
        {message}
        {code && (
          <>
            {' '}
            <span className="mono" data-testid="error-code">
              {code}
            </span>
          </>
        )}
        {field && (
          <>
            {' '}
            (field <span className="mono">{field}</span>)
          </>
        )}
        {extra.length > 0 && <span className="mono"> ({extra.join(', ')})</span>}
      </span>{' '}
      <button type="button" className="button small" onClick={() => void copy()}>
        {status === 'copied' ? 'Copied' : 'Copy error'}
      </button>
    </div>
  );
}
