import { useEffect, useState } from 'react';
import { Link, useLocation } from 'react-router';
import { DocGuideDocument, DocsIndexDocument, type DocGuideQuery, type DocsIndexQuery } from '../gql/graphql';
import { errorMessage, gqlRequest } from '../shared/api/client';
import { text } from '../shared/url/searchState';
import { useSearchState } from '../shared/url/useSearchState';
import { GuideMarkdown } from './GuideMarkdown';
import { isExternal, outsideLinks } from './links';
import './docs.css';

const SPEC = { guide: text('guide', 60) };

type Load<T> = { status: 'loading' } | { status: 'error'; message: string } | { status: 'ready'; data: T };

function useQuery<T>(run: () => Promise<T>, deps: unknown[]): Load<T> {
  const [state, setState] = useState<Load<T>>({ status: 'loading' });
  useEffect(() => {
    let cancelled = false;
    setState({ status: 'loading' });
    run().then(
      (data) => !cancelled && setState({ status: 'ready', data }),
      (err) => !cancelled && setState({ status: 'error', message: errorMessage(err) }),
    );
    return () => {
      cancelled = true;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
  return state;
}

/** Settings › Developers › Docs: the API reference and doc links (new tab) and the concept guides. */
export function DocsTab() {
  const location = useLocation();
  const [{ guide }] = useSearchState(SPEC);
  const index = useQuery<DocsIndexQuery>(() => gqlRequest(DocsIndexDocument, {}), []);

  const guideHref = (slug: string) => {
    const params = new URLSearchParams(location.search);
    params.set('guide', slug);
    return `${location.pathname}?${params}`;
  };
  const indexHref = () => {
    const params = new URLSearchParams(location.search);
    params.delete('guide');
    return `${location.pathname}?${params}`;
  };

  if (index.status === 'loading')
    return (
      <p className="muted" role="status">
        Loading the docs…
      </p>
    );
  if (index.status === 'error')
    return (
      <p role="alert" className="alert">
        Could not load the docs: {index.message}
      </p>
    );

  const { docLinks, docGuides } = index.data;
  return (
    <div className="docs-tab">
      <nav className="docs-nav" aria-label="Docs">
        <h2>API docs</h2>
        <ul className="doc-links">
          {outsideLinks(docLinks).map((l) => (
            <li key={l.url + l.title}>
              <a href={l.url} target="_blank" rel={isExternal(l.url, window.location.origin) ? 'noopener noreferrer' : 'noopener'}>
                {l.title}
              </a>
              <span className="visually-hidden"> (opens in a new tab)</span>
              {l.description && <p className="hint">{l.description}</p>}
            </li>
          ))}
        </ul>
        <h3>Guides</h3>
        <ul className="guide-links">
          {docGuides.map((g) => (
            <li key={g.slug}>
              <Link to={guideHref(g.slug)} aria-current={g.slug === guide ? 'page' : undefined}>
                {g.title}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <div className="docs-body">
        {guide ? (
          <GuideView slug={guide} guideHref={guideHref} indexHref={indexHref()} />
        ) : (
          <ul className="guide-cards">
            {docGuides.map((g) => (
              <li key={g.slug} className="card">
                <Link to={guideHref(g.slug)}>{g.title}</Link>
                <p className="hint">{g.summary}</p>
              </li>
            ))}
          </ul>
        )}
      </div>
    </div>
  );
}

function GuideView({ slug, guideHref, indexHref }: { slug: string; guideHref: (s: string) => string; indexHref: string }) {
  const state = useQuery<DocGuideQuery>(() => gqlRequest(DocGuideDocument, { slug }), [slug]);
  if (state.status === 'loading')
    return (
      <p className="muted" role="status">
        Loading the guide…
      </p>
    );
  if (state.status === 'error')
    return (
      <div>
        <p role="alert" className="alert">
          Could not load the guide: {state.message}
        </p>
        <Link to={indexHref}>All guides</Link>
      </div>
    );
  return (
    <article className="guide" aria-label={state.data.docGuide.title} data-guide={slug}>
      <p>
        <Link to={indexHref}>All guides</Link>
      </p>
      <GuideMarkdown markdown={state.data.docGuide.markdown} guideHref={guideHref} />
    </article>
  );
}
