// @vitest-environment jsdom
import { render, screen } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { describe, expect, it } from 'vitest';
import { GuideMarkdown } from './GuideMarkdown';

function renderGuide(markdown: string) {
  return render(
    <MemoryRouter>
      <GuideMarkdown markdown={markdown} guideHref={(slug) => `/docs?guide=${slug}`} />
    </MemoryRouter>,
  );
}

describe('GuideMarkdown', () => {
  it('renders headings, code and GFM tables', () => {
    const { container } = renderGuide('# Errors\n\n| code | status |\n| --- | --- |\n| `rate_limited` | 429 |\n');
    expect(screen.getByRole('heading', { name: 'Errors', level: 1 })).toBeTruthy();
    expect(screen.getByRole('table')).toBeTruthy();
    expect(container.querySelector('code')?.textContent).toBe('rate_limited');
  });

  it('renders no raw HTML and follows no script links', () => {
    const { container } = renderGuide(
      'Hi <img src=x onerror="alert(1)"> <script>alert(2)</script>\n\n[bad](javascript:alert(3)) [ok](https://standardwebhooks.com)',
    );
    expect(container.querySelector('img')).toBeNull();
    expect(container.querySelector('script')).toBeNull();
    const links = [...container.querySelectorAll('a')];
    expect(links.map((a) => a.getAttribute('href'))).toEqual(['https://standardwebhooks.com']);
    expect(links[0].getAttribute('rel')).toBe('noopener noreferrer');
    expect(links[0].getAttribute('target')).toBe('_blank');
  });

  it('opens another guide in the portal', () => {
    renderGuide('See [errors](/docs/guides/errors).');
    expect(screen.getByRole('link', { name: 'errors' }).getAttribute('href')).toBe('/docs?guide=errors');
  });
});
