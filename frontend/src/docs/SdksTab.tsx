import { useEffect, useState } from 'react';
import { SdksListingDocument, type SdksListingQuery } from '../gql/graphql';
import { errorMessage, gqlRequest } from '../shared/api/client';
import { useCopyToClipboard } from '../shared/ui/useCopyToClipboard';
import { text } from '../shared/url/searchState';
import { useSearchState } from '../shared/url/useSearchState';
import { oneOf } from '../shared/url/searchState';
import { LANGUAGES, LANGUAGE_LABELS, filterOperations, groupByResource, type SnippetLanguage } from './snippets';
import '../collections/collections.css';
import './docs.css';

const SPEC = { lang: oneOf('lang', LANGUAGES, 'curl'), q: text('q', 100) };

type Operation = SdksListingQuery['apiOperations'][number];
type Sdk = SdksListingQuery['sdks'][number];

function CopyBlock({ value, label }: { value: string; label: string }) {
  const { status, copy, ref } = useCopyToClipboard<HTMLElement>(value);
  return (
    <div className="snippet">
      <pre tabIndex={0}>
        <code ref={ref}>{value}</code>
      </pre>
      <button type="button" className="button small" onClick={() => void copy()} aria-label={label}>
        {status === 'copied' ? 'Copied' : 'Copy'}
      </button>
      {status === 'failed' && <span className="hint"> Press Ctrl+C to copy the selected text.</span>}
      {status === 'copied' && (
        <span className="visually-hidden" role="status">
          Copied
        </span>
      )}
    </div>
  );
}

function SdkCard({ sdk }: { sdk: Sdk }) {
  const available = sdk.status === 'AVAILABLE';
  return (
    <li className="card" data-sdk={sdk.language}>
      <p>
        <strong>{sdk.language}</strong>{' '}
        <span className={available ? 'pill export-completed' : 'pill'}>{available ? 'Available' : 'Coming soon'}</span>
        {sdk.package && <span className="code"> {sdk.package}</span>}
        {sdk.version && <span className="muted"> · version {sdk.version}</span>}
      </p>
      {sdk.notes && <p className="hint">{sdk.notes}</p>}
      {sdk.install && <CopyBlock value={sdk.install} label={`Copy the ${sdk.language} install command`} />}
      {sdk.docsUrl && (
        <a href={sdk.docsUrl} target="_blank" rel="noopener noreferrer">
          {sdk.language} documentation<span className="visually-hidden"> (opens in a new tab)</span>
        </a>
      )}
    </li>
  );
}

function OperationItem({ op, lang }: { op: Operation; lang: SnippetLanguage }) {
  return (
    <details className="operation" data-operation={op.operationId}>
      <summary>
        <span className="code">{op.method}</span> <span className="code">{op.path}</span> — {op.summary}
      </summary>
      <p className="hint">
        {op.public ? 'No key needed.' : op.scope ? `Needs a key with ${op.scope}.` : 'Any key.'}
        {op.idempotent && ' Honours Idempotency-Key.'}
      </p>
      <CopyBlock value={op.snippets[lang]} label={`Copy the ${LANGUAGE_LABELS[lang]} snippet for ${op.operationId}`} />
    </details>
  );
}

/** Settings › Developers › SDKs: the SDK listing and copyable snippets for every operation. */
export function SdksTab({ entityId }: { entityId: string }) {
  const [{ lang, q }, update] = useSearchState(SPEC);
  const [state, setState] = useState<
    { status: 'loading' } | { status: 'error'; message: string } | { status: 'ready'; data: SdksListingQuery }
  >({ status: 'loading' });

  useEffect(() => {
    let cancelled = false;
    gqlRequest(SdksListingDocument, { entityId }).then(
      (data) => !cancelled && setState({ status: 'ready', data }),
      (err) => !cancelled && setState({ status: 'error', message: errorMessage(err) }),
    );
    return () => {
      cancelled = true;
    };
  }, [entityId]);

  if (state.status === 'loading')
    return (
      <p className="muted" role="status">
        Loading SDKs…
      </p>
    );
  if (state.status === 'error')
    return (
      <p role="alert" className="alert">
        Could not load the SDK listing: {state.message}
      </p>
    );

  const { sdks, apiOperations } = state.data;
  const shown = filterOperations(apiOperations, q);
  return (
    <div className="sdks-tab">
      <h2>SDKs</h2>
      <ul className="sdk-list">
        {sdks.map((s) => (
          <SdkCard key={s.language} sdk={s} />
        ))}
      </ul>
      <h2>Snippets</h2>
      <p className="hint">
        Every snippet reads the key from the <span className="code">API_KEY</span> environment variable: export it from
        your secret manager, never paste it into code.
      </p>
      <div className="snippet-tabs" role="radiogroup" aria-label="Snippet language">
        {LANGUAGES.map((l) => (
          <button
            key={l}
            type="button"
            role="radio"
            aria-checked={l === lang}
            className={l === lang ? 'button small primary' : 'button small'}
            onClick={() => update({ lang: l })}
          >
            {LANGUAGE_LABELS[l]}
          </button>
        ))}
      </div>
      <label className="field">
        <span className="label">Find an operation</span>
        <input
          className="input"
          type="search"
          value={q}
          onChange={(e) => update({ q: e.target.value }, { coalesce: 'q' })}
          placeholder="orders, POST, /whoami…"
        />
      </label>
      {shown.length === 0 && (
        <p className="muted" role="status">
          No operation matches.
        </p>
      )}
      {groupByResource(shown).map(([tag, ops]) => (
        <section key={tag} aria-label={`${tag} operations`}>
          <h3>{tag}</h3>
          {ops.map((op) => (
            <OperationItem key={op.operationId} op={op} lang={lang} />
          ))}
        </section>
      ))}
    </div>
  );
}
