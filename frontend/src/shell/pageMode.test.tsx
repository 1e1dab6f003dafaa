// @vitest-environment jsdom
import { act, renderHook } from '@testing-library/react';
import type { ReactNode } from 'react';
import { MemoryRouter, useLocation } from 'react-router';
import { describe, expect, it } from 'vitest';
import { text } from '../shared/url/searchState';
import { useSearchState } from '../shared/url/useSearchState';
import { usePageMode } from './pageMode';

// A tab's filters (the tabs do not own `mode`: the page does).
const TAB = { method: text('method') };

function setup(url: string) {
  const [pathname, search = ''] = url.split('?');
  const wrapper = ({ children }: { children: ReactNode }) => (
    <MemoryRouter initialEntries={[{ pathname, search: search ? `?${search}` : '' }]}>{children}</MemoryRouter>
  );
  return renderHook(
    () => {
      const page = usePageMode();
      const [filters, setFilters] = useSearchState(TAB);
      return { page, filters, setFilters, location: useLocation() };
    },
    { wrapper },
  );
}

describe('usePageMode', () => {
  it('reads the mode from the URL, Test when it names none', () => {
    expect(setup('/x').result.current.page).toMatchObject({ mode: 'test', gqlMode: 'TEST', explicit: false });
    expect(setup('/x?mode=live').result.current.page).toMatchObject({ mode: 'live', gqlMode: 'LIVE', explicit: true });
  });

  it('switches the mode keeping the tab parameters', () => {
    const { result } = setup('/logs?mode=test&method=POST');
    act(() => result.current.page.setMode('live'));
    expect(result.current.location.search).toBe('?mode=live&method=POST');
    expect(result.current.page.gqlMode).toBe('LIVE');
    expect(result.current.filters.method).toBe('POST');
  });

  it('drops a sub-view and its parameters when asked to go to another path', () => {
    const { result } = setup('/webhooks/whe_1?mode=test&deliveries=failed');
    act(() => result.current.page.setMode('live', { pathname: '/webhooks' }));
    expect(result.current.location.pathname).toBe('/webhooks');
    expect(result.current.location.search).toBe('?mode=live');
  });

  it('stays in the URL when a tab writes a filter (even if the mode is its default)', () => {
    const { result } = setup('/logs?mode=live');
    act(() => result.current.setFilters({ method: 'GET' }));
    expect(result.current.location.search).toBe('?mode=live&method=GET');
    expect(result.current.page.mode).toBe('live');
  });
});
