// @vitest-environment jsdom
import { act, renderHook } from '@testing-library/react';
import type { ReactNode } from 'react';
import { MemoryRouter, useLocation, useNavigate } from 'react-router';
import { describe, expect, it } from 'vitest';
import { oneOf, text } from './searchState';
import { useSearchDialog, useSearchState } from './useSearchState';

const SPEC = { mode: oneOf('mode', ['LIVE', 'TEST'], 'LIVE'), search: text('q') };

function setup(url: string, state?: unknown) {
  const wrapper = ({ children }: { children: ReactNode }) => (
    <MemoryRouter initialEntries={[{ pathname: url.split('?')[0], search: url.includes('?') ? `?${url.split('?')[1]}` : '', state }]}>
      {children}
    </MemoryRouter>
  );
  return renderHook(
    () => {
      const [values, update] = useSearchState(SPEC);
      const [dialog, open, close] = useSearchDialog('log');
      return { values, update, dialog, open, close, location: useLocation(), navigate: useNavigate() };
    },
    { wrapper },
  );
}

describe('useSearchState', () => {
  it('reads the filters from the URL', () => {
    const { result } = setup('/logs?mode=test&q=orders');
    expect(result.current.values).toEqual({ mode: 'TEST', search: 'orders' });
  });

  it('pushes a history entry per change, so Back restores the previous filters', () => {
    const { result } = setup('/logs');
    act(() => result.current.update({ mode: 'TEST' }));
    expect(result.current.location.search).toBe('?mode=test');
    act(() => result.current.update({ search: 'x' }));
    expect(result.current.location.search).toBe('?mode=test&q=x');
    act(() => result.current.navigate(-1));
    expect(result.current.values).toEqual({ mode: 'TEST', search: '' });
    act(() => result.current.navigate(-1));
    expect(result.current.values).toEqual({ mode: 'LIVE', search: '' });
  });

  it('coalesces successive updates of one text box into one entry', () => {
    const { result } = setup('/logs?mode=test');
    act(() => result.current.update({ search: 'o' }, { coalesce: 'q' }));
    act(() => result.current.update({ search: 'ord' }, { coalesce: 'q' }));
    act(() => result.current.update({ search: 'orders' }, { coalesce: 'q' }));
    expect(result.current.values.search).toBe('orders');
    act(() => result.current.navigate(-1));
    expect(result.current.location.search).toBe('?mode=test');
  });

  it('starts a new entry after Back, instead of overwriting the entry it went back to', () => {
    const { result } = setup('/logs');
    act(() => result.current.update({ search: 'a' }, { coalesce: 'q' }));
    act(() => result.current.navigate(-1));
    act(() => result.current.update({ search: 'b' }, { coalesce: 'q' }));
    act(() => result.current.navigate(-1));
    expect(result.current.location.search).toBe('');
  });

  it('does not navigate when nothing changes', () => {
    const { result } = setup('/logs?mode=test');
    const before = result.current.location.key;
    act(() => result.current.update({ mode: 'TEST' }));
    expect(result.current.location.key).toBe(before);
  });

  it('keeps the same values object while only other parameters change', () => {
    const { result } = setup('/logs?mode=test');
    const values = result.current.values;
    act(() => result.current.open('req_1'));
    expect(result.current.location.search).toBe('?mode=test&log=req_1');
    expect(result.current.values).toBe(values);
  });
});

describe('useSearchDialog', () => {
  it('opens with a history entry and closes back to it', () => {
    const { result } = setup('/logs?mode=test');
    act(() => result.current.open('req_1'));
    expect(result.current.dialog).toBe('req_1');
    act(() => result.current.close());
    expect(result.current.dialog).toBeNull();
    expect(result.current.location.search).toBe('?mode=test');
    act(() => result.current.navigate(1));
    expect(result.current.dialog).toBe('req_1');
  });

  it('opened from a link, closes in place', () => {
    const { result } = setup('/logs?log=req_9&mode=test');
    expect(result.current.dialog).toBe('req_9');
    act(() => result.current.close());
    expect(result.current.dialog).toBeNull();
    expect(result.current.location.search).toBe('?mode=test');
  });
});
