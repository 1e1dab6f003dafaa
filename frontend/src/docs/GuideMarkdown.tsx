import Markdown, { type Components } from 'react-markdown';
import remarkGfm from 'remark-gfm';
import { Link } from 'react-router';
import { guideSlug, safeHref } from './links';

/**
 * A guide's Markdown, rendered without raw HTML (HTML in the source is dropped, not interpreted);
 * links are limited to http(s), mailto and same-origin paths, other guides open in the Docs tab
 * (`guideHref(slug)`) and outside links in a new tab.
 */
export function GuideMarkdown({ markdown, guideHref }: { markdown: string; guideHref: (slug: string) => string }) {
  const components: Components = {
    a: ({ href, children }) => {
      const safe = href ? safeHref(href) : null;
      if (!safe) return <span>{children}</span>;
      const slug = guideSlug(safe);
      if (slug) return <Link to={guideHref(slug)}>{children}</Link>;
      if (safe.startsWith('#')) return <a href={safe}>{children}</a>;
      return (
        <a href={safe} target="_blank" rel="noopener noreferrer">
          {children}
        </a>
      );
    },
    img: ({ alt }) => <span>{alt}</span>,
    // Code blocks scroll sideways: focusable, so the keyboard can scroll them too.
    pre: ({ children }) => <pre tabIndex={0}>{children}</pre>,
  };
  return (
    <div className="markdown">
      <Markdown remarkPlugins={[remarkGfm]} skipHtml urlTransform={(url) => safeHref(url) ?? ''} components={components}>
        {markdown}
      </Markdown>
    </div>
  );
}
