import { useEffect, useRef } from 'react';
import { errorCopyText, errorInfo } from './errorNotice';
import { useCopyToClipboard } from './useCopyToClipboard';

interface Props {
  error: unknown;
  /** e.g. "Could not remove the member". */
  prefix?: string;
  /**
   * Called once per error that means the view is stale (CONFLICT, NOT_FOUND): reload the list so
   * what is shown matches the server again.
   */
  onStale?: () => void;
  onDismiss?: () => void;
  id?: string;
}

/**
 * An API error as the user needs it for themselves and for support: the message, the GraphQL
 * `extensions.code` and field, and the request ID, with a button copying all of it.
 */
export function ErrorNotice({ error, prefix, onStale, onDismiss, id }: Props) {
  const info = errorInfo(error);
  const { status, copy, ref } = useCopyToClipboard<HTMLSpanElement>(errorCopyText(info, prefix));
  const reported = useRef<unknown>(null);
  const onStaleRef = useRef(onStale);
  onStaleRef.current = onStale;

  useEffect(() => {
    if (info.stale && reported.current !== error) {
      reported.current = error;
      onStaleRef.current?.();
    }
  }, [error, info.stale]);

  return (
    <div role="alert" className="alert error-notice" id={id} tabIndex={-1} data-testid="error-notice">
      <span ref={ref}>
        {prefix ? `${prefix}: ` : ''}
        {info.message}
        {info.code && (
          <>
            {' '}
            <span className="mono" data-testid="error-code">
              {info.code}
            </span>
          </>
        )}
        {info.field && (
          <>
            {' '}
            (field <span className="mono" data-testid="error-field">{info.field}</span>)
          </>
        )}
        {info.extra.length > 0 && <span className="mono"> ({info.extra.join(', ')})</span>}
        {info.requestId && (
          <>
            {' '}
            · Request ID{' '}
            <span className="mono" data-testid="error-request-id">
              {info.requestId}
            </span>
          </>
        )}
        {info.stale && <span className="muted"> · The list was reloaded.</span>}
      </span>{' '}
      <span className="error-actions">
        <button type="button" className="button small" onClick={() => void copy()}>
          {status === 'copied' ? 'Copied' : status === 'failed' ? 'Press Ctrl+C' : 'Copy details'}
        </button>
        {onDismiss && (
          <button type="button" className="button small" onClick={onDismiss}>
            Dismiss
          </button>
        )}
      </span>
    </div>
  );
}
