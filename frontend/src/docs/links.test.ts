import { describe, expect, it } from 'vitest';
import { guideSlug, isExternal, outsideLinks, safeHref, type Link } from './links';

const link = (kind: Link['kind'], url: string): Link => ({ title: url, url, kind, description: '' });

describe('doc links', () => {
  it('reads a guide slug from its server path only', () => {
    expect(guideSlug('/docs/guides/rate-limits')).toBe('rate-limits');
    expect(guideSlug('/docs/guides/errors#table')).toBe('errors');
    expect(guideSlug('/docs/guides/../etc')).toBeNull();
    expect(guideSlug('https://example.com/docs/guides/x')).toBeNull();
  });

  it('lists the reference first and leaves out the built-in guides', () => {
    const links = [
      link('GUIDE', '/docs/guides/errors'),
      link('EXTERNAL', 'https://docs.example.com'),
      link('OPENAPI', '/v1/openapi.json'),
      link('REFERENCE', '/docs/reference'),
      link('GUIDE', 'https://docs.example.com/guide'),
    ];
    expect(outsideLinks(links).map((l) => l.url)).toEqual([
      '/docs/reference',
      '/v1/openapi.json',
      'https://docs.example.com',
      'https://docs.example.com/guide',
    ]);
  });

  it('tells links leaving the portal', () => {
    expect(isExternal('https://docs.example.com/x', 'http://127.0.0.1:8000')).toBe(true);
    expect(isExternal('/docs/reference', 'http://127.0.0.1:8000')).toBe(false);
  });

  it('drops script and data links from guides', () => {
    expect(safeHref('javascript:alert(1)')).toBeNull();
    expect(safeHref(' data:text/html,x')).toBeNull();
    expect(safeHref('//evil.example')).toBeNull();
    expect(safeHref('https://standardwebhooks.com')).toBe('https://standardwebhooks.com');
    expect(safeHref('/docs/guides/errors')).toBe('/docs/guides/errors');
    expect(safeHref('#retries')).toBe('#retries');
  });
});
