// The Docs tab's links (from deployment configuration) sorted into what the tab shows, and the
// portal URLs of the built-in guides (`?guide=<slug>` on the Docs tab).

import type { DocLinkKind } from '../gql/graphql';

export interface Link {
  title: string;
  url: string;
  kind: DocLinkKind;
  description: string;
}

/** The server's path of a built-in guide; the portal renders it in the Docs tab. */
export const GUIDE_PATH = '/docs/guides/';

/** The slug of a built-in guide's URL (`/docs/guides/errors` or `#guide-errors`), else null. */
export function guideSlug(url: string): string | null {
  const path = url.startsWith(GUIDE_PATH) ? url.slice(GUIDE_PATH.length) : null;
  const slug = path?.split(/[?#]/)[0] ?? null;
  return slug && /^[a-z0-9-]+$/.test(slug) ? slug : null;
}

/** The links to open in a new tab (reference, OpenAPI, external docs): the guides are rendered in place. */
export function outsideLinks(links: readonly Link[]): Link[] {
  const order: Record<DocLinkKind, number> = { REFERENCE: 0, OPENAPI: 1, EXTERNAL: 2, GUIDE: 3 };
  return links.filter((l) => l.kind !== 'GUIDE' || guideSlug(l.url) === null).sort((a, b) => order[a.kind] - order[b.kind]);
}

/** True for links leaving the portal (absolute http(s) URLs to another origin). */
export function isExternal(url: string, origin: string): boolean {
  try {
    const parsed = new URL(url, origin);
    return parsed.origin !== origin;
  } catch {
    return false;
  }
}

/** Only http(s), mailto and same-origin paths may be followed from a guide; anything else is dropped. */
export function safeHref(url: string): string | null {
  const trimmed = url.trim();
  if (trimmed.startsWith('#') || (trimmed.startsWith('/') && !trimmed.startsWith('//'))) return trimmed;
  return /^(https?:|mailto:)/i.test(trimmed) ? trimmed : null;
}
