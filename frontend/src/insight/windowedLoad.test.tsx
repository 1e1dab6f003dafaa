// @vitest-environment jsdom
import { act, renderHook, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { HealthWindow } from '../gql/graphql';
import { useWindowedLoad } from './windowedLoad';

function deferred<T>() {
  let resolve: (value: T) => void = () => {};
  let reject: (reason: unknown) => void = () => {};
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('useWindowedLoad', () => {
  it("drops an earlier window's answer arriving after the newer one", async () => {
    const day = deferred<string>();
    const week = deferred<string>();
    const fetch = (window: HealthWindow) => (window === 'DAY' ? day.promise : week.promise);
    const { result } = renderHook(() => useWindowedLoad(fetch));
    act(() => result.current.setWindow('WEEK'));
    week.resolve('week');
    await waitFor(() => expect(result.current.state).toEqual({ status: 'ready', value: 'week', window: 'WEEK' }));
    await act(async () => day.resolve('day'));
    expect(result.current.state).toEqual({ status: 'ready', value: 'week', window: 'WEEK' });
  });

  it('keeps the value shown while reloading when asked to, then shows the failure', async () => {
    let next = deferred<string>();
    const fetch = () => next.promise;
    const { result } = renderHook(() => useWindowedLoad(fetch, { keepShownWhileLoading: true }));
    next.resolve('first');
    await waitFor(() => expect(result.current.state.status).toBe('ready'));
    next = deferred<string>();
    act(() => result.current.reload());
    expect(result.current.state).toEqual({ status: 'ready', value: 'first', window: 'DAY' });
    next.reject(new Error('down'));
    await waitFor(() => expect(result.current.state).toEqual({ status: 'error', message: 'down' }));
  });
});
