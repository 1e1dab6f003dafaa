import { GraphQLRequestError, errorMessage } from '../shared/api/client';
import { useCopyToClipboard } from '../shared/ui/useCopyToClipboard';

/** The text copied from an error: its code, field and message. */
export function errorDetails(err: unknown): { code: string | null; field: string | null; message: string } {
  if (err instanceof GraphQLRequestError) return { code: err.code, field: err.field ?? null, message: err.message };
  return { code: null, field: null, message: errorMessage(err) };
}

/** An error with its GraphQL code (and field), and a button copying both for a support ticket. */
export function ErrorAlert({ error, id, prefix }: { error: unknown; id?: string; prefix?: string }) {
  const { code, field, message } = errorDetails(error);
  const text = [code, field ? `field ${field}` : null, message].filter(Boolean).join(' · ');
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
      </span>{' '}
      <button type="button" className="button small" onClick={() => void copy()}>
        {status === 'copied' ? 'Copied' : 'Copy error'}
      </button>
    </div>
  );
}
