import { useState } from 'react';
import { CreateCollectionDownloadDocument, type CollectionFormat } from '../gql/graphql';
import { errorMessage, gqlRequest } from '../shared/api/client';
import { useCopyToClipboard } from '../shared/ui/useCopyToClipboard';
import { usePageMode } from '../shell/pageMode';
import { DOWNLOADS, runCommands } from './formats';
import './collections.css';

/** Follows a signed link as a download (the server answers with Content-Disposition: attachment). */
function startDownload(url: string, filename: string): void {
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.rel = 'noopener';
  document.body.appendChild(a);
  a.click();
  a.remove();
}

function CommandLine({ tool, command }: { tool: string; command: string }) {
  const { status, copy, ref } = useCopyToClipboard<HTMLElement>(command);
  return (
    <div className="command-line">
      <p className="label">{tool}</p>
      <pre tabIndex={0}>
        <code ref={ref}>{command}</code>
      </pre>
      <button type="button" className="button small" onClick={() => void copy()} aria-label={`Copy the ${tool} command`}>
        {status === 'copied' ? 'Copied' : 'Copy'}
      </button>
      {status === 'failed' && <span className="hint"> Press Ctrl+C to copy the selected command.</span>}
    </div>
  );
}

/** Settings › Developers › Postman: REST client collections and environments for this entity and mode. */
export function PostmanTab({ entityId, entityCode }: { entityId: string; entityCode: string }) {
  const { mode, gqlMode } = usePageMode();
  const [busy, setBusy] = useState<CollectionFormat | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [last, setLast] = useState<string | null>(null);

  async function download(format: CollectionFormat) {
    setBusy(format);
    setError(null);
    try {
      const data = await gqlRequest(CreateCollectionDownloadDocument, { input: { entityId, mode: gqlMode, format } });
      const { url, filename } = data.createCollectionDownload;
      startDownload(url, filename);
      setLast(filename);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(null);
    }
  }

  return (
    <div className="postman-tab">
      <h2>Postman, Bruno and Insomnia</h2>
      <p className="muted" role="status">
        Collections for this entity in {mode} mode: every request targets {mode} mode and needs a {mode} key.
      </p>
      <div className="warning-box" role="note" data-testid="key-advice">
        The files hold no API key: the environment's <span className="code">api_key</span> is empty. Paste the API key
        separately from a secure source (your secret manager) into the tool's secret store, or pass it on the command
        line. Treat downloaded environments like security material all the same.
      </div>
      <ul className="download-list">
        {DOWNLOADS.map((d) => (
          <li key={d.format} className="card download-card">
            <div>
              <p className="radio-card-title">{d.title}</p>
              <p className="hint">{d.description}</p>
            </div>
            <button
              type="button"
              className="button"
              disabled={busy !== null}
              onClick={() => void download(d.format)}
              data-format={d.format}
            >
              {busy === d.format ? 'Preparing…' : `Download ${d.title}`}
            </button>
          </li>
        ))}
      </ul>
      {error && (
        <p role="alert" className="alert">
          Could not prepare the download: {error}
        </p>
      )}
      {last && (
        <p className="hint" role="status" data-testid="download-started">
          Downloading {last}. The link was valid for 15 minutes and is not reusable outside your session.
        </p>
      )}
      <h3>Run a collection</h3>
      <p className="hint">
        Export the key into <span className="code">API_KEY</span> from your secret manager first; the commands read it
        from there.
      </p>
      {runCommands(entityCode, mode).map((c) => (
        <CommandLine key={c.tool} tool={c.tool} command={c.command} />
      ))}
      <p className="hint">
        Insomnia: import the YAML file (Application › Import), then set <span className="code">api_key</span> in the
        environment's private values. Each collection also carries a "Webhook receiver" note on verifying signatures.
      </p>
    </div>
  );
}
