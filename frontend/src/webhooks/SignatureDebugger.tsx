// The signature debugger: why a webhook signature does not verify (wrong secret, body changed from
// a given byte, timestamp outside the tolerance, a header missing or malformed, a secret from before
// a rotation), for a delivery attempt (the endpoint's own secrets, or the receiver's) or for a pasted
// payload and headers. Nothing typed here is kept: not in the URL, not in storage.

import { useId, useState, type FormEvent } from 'react';
import { gqlRequest } from '../shared/api/client';
import { DebugWebhookSignatureDocument, type DebugWebhookSignatureMutation } from '../gql/graphql';
import { formatDateTime } from '../shared/format';
import { Modal } from '../shared/ui/Modal';
import { ErrorAlert } from './ErrorAlert';
import '../insight/health.css';

type Result = DebugWebhookSignatureMutation['debugWebhookSignature'];

/** `name: value` lines (blank lines skipped) as headers; a line without a colon is an error. */
export function parseHeaderLines(text: string): {
  headers: { name: string; value: string }[];
  bad: number | null;
} {
  const headers: { name: string; value: string }[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    const colon = line.indexOf(':');
    if (colon <= 0) return { headers, bad: i + 1 };
    headers.push({
      name: line.slice(0, colon).trim(),
      value: line.slice(colon + 1).trim(),
    });
  }
  return { headers, bad: null };
}

const VERDICTS: Record<Result['verdict'], string> = {
  VERIFIED: 'Verifies',
  HEADER_MISSING: 'Header missing',
  HEADER_MALFORMED: 'Header malformed',
  SECRET_MALFORMED: 'Secret malformed',
  WRONG_SECRET: 'Wrong secret',
  BODY_CHANGED: 'Body changed',
  HEADER_CHANGED: 'Header changed',
  TIMESTAMP_OUTSIDE_TOLERANCE: 'Timestamp outside tolerance',
  SECRET_ROTATED: 'Secret from before a rotation',
};

interface Props {
  entityId: string;
  /** Debug this attempt (its stored body and headers are what was sent). */
  attemptId?: string;
  onClose: () => void;
}

export function SignatureDebugger({ entityId, attemptId, onClose }: Props) {
  const uid = useId();
  const [payload, setPayload] = useState('');
  const [headerText, setHeaderText] = useState('');
  const [secret, setSecret] = useState('');
  const [result, setResult] = useState<Result | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setFormError(null);
    setError(null);
    const parsed = parseHeaderLines(headerText);
    if (parsed.bad !== null) {
      setFormError(`Line ${parsed.bad} of the headers is not "name: value".`);
      return;
    }
    if (!attemptId && (!payload || parsed.headers.length === 0 || !secret.trim())) {
      setFormError('Paste the raw body, the headers and the secret.');
      return;
    }
    setBusy(true);
    try {
      const data = await gqlRequest(DebugWebhookSignatureDocument, {
        input: {
          entityId,
          attemptId: attemptId ?? null,
          payload: payload === '' ? null : payload,
          headers: parsed.headers.length > 0 ? parsed.headers : null,
          secret: secret.trim() === '' ? null : secret.trim(),
        },
      });
      setResult(data.debugWebhookSignature);
    } catch (err) {
      setResult(null);
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Modal
      title={attemptId ? 'Debug this attempt’s signature' : 'Debug a webhook signature'}
      onClose={onClose}
      className="modal-wide signature-debugger"
      description={
        attemptId
          ? 'Leave the fields empty to check the attempt as sent with the endpoint’s own secrets; paste what your receiver got, or its secret, to find out why it rejects it.'
          : 'Paste what your receiver got. Nothing you paste is stored or logged.'
      }
    >
      <form onSubmit={(e) => void submit(e)} data-testid="signature-form">
        <div className="field">
          <label htmlFor={`${uid}-payload`}>Raw body{attemptId ? ' (optional)' : ''}</label>
          <textarea
            id={`${uid}-payload`}
            rows={5}
            className="mono"
            value={payload}
            onChange={(e) => setPayload(e.target.value)}
            spellCheck={false}
            autoComplete="off"
          />
        </div>
        <div className="field">
          <label htmlFor={`${uid}-headers`}>Headers, one "name: value" per line{attemptId ? ' (optional)' : ''}</label>
          <textarea
            id={`${uid}-headers`}
            rows={4}
            className="mono"
            value={headerText}
            onChange={(e) => setHeaderText(e.target.value)}
            placeholder={'webhook-id: evt_…\nwebhook-timestamp: 1731705121\nwebhook-signature: v1,…'}
            spellCheck={false}
            autoComplete="off"
          />
        </div>
        <div className="field">
          <label htmlFor={`${uid}-secret`}>
            Receiver&apos;s secret
            {attemptId ? ' (optional: the endpoint’s own otherwise)' : ''}
          </label>
          <input
            id={`${uid}-secret`}
            type="password"
            className="mono"
            value={secret}
            onChange={(e) => setSecret(e.target.value)}
            autoComplete="off"
            placeholder="whsec_…"
          />
        </div>
        {formError && (
          <p className="field-error" role="alert">
            {formError}
          </p>
        )}
        {error !== null && <ErrorAlert error={error} id={`${uid}-error`} />}
        <div className="form-actions">
          <button type="submit" className="button primary" disabled={busy}>
            {busy ? 'Checking…' : 'Check signature'}
          </button>
          <button type="button" className="button" onClick={onClose}>
            Close
          </button>
        </div>
      </form>
      {result && <Diagnosis result={result} />}
    </Modal>
  );
}

function Diagnosis({ result }: { result: Result }) {
  return (
    <section
      className={result.verified ? 'alert-box success' : 'alert-box danger'}
      aria-live="polite"
      data-testid="signature-result"
      data-verdict={result.verdict}
    >
      <p>
        <strong data-testid="signature-verdict">{VERDICTS[result.verdict]}</strong>
      </p>
      <p data-testid="signature-message">{result.message}</p>
      <dl className="detail-grid">
        {result.header && (
          <>
            <dt>Header</dt>
            <dd className="mono">{result.header}</dd>
          </>
        )}
        {result.firstDifferingByte !== null && (
          <>
            <dt>First differing byte</dt>
            <dd data-testid="signature-offset">{result.firstDifferingByte}</dd>
          </>
        )}
        {result.timestampSkewSeconds !== null && (
          <>
            <dt>Timestamp</dt>
            <dd>
              {result.timestampSkewSeconds} s off (tolerance {result.toleranceSeconds} s)
            </dd>
          </>
        )}
        {result.matchedSecret && (
          <>
            <dt>Secret</dt>
            <dd>
              <span className="mono">{result.matchedSecret.id}</span>, created {formatDateTime(result.matchedSecret.createdAt)}
              {result.matchedSecret.expiresAt ? `, expires ${formatDateTime(result.matchedSecret.expiresAt)}` : ''}
            </dd>
          </>
        )}
      </dl>
      <ul className="plain-list" aria-label="Checks">
        {result.checks.map((c, i) => (
          <li key={`${c.name}-${i}`}>
            {c.ok === true ? '✓' : c.ok === false ? '✗' : '–'} {c.name}: {c.detail}
          </li>
        ))}
      </ul>
    </section>
  );
}
