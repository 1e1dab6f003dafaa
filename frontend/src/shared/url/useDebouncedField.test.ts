// @vitest-environment jsdom
import { act, renderHook } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useDebouncedField } from './useDebouncedField';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('useDebouncedField', () => {
  it('commits the text once typing pauses', () => {
    const commit = vi.fn();
    const { result } = renderHook(({ value }) => useDebouncedField(value, commit, 300), { initialProps: { value: '' } });
    act(() => result.current[1]('o'));
    act(() => vi.advanceTimersByTime(200));
    act(() => result.current[1]('orders'));
    expect(result.current[0]).toBe('orders');
    act(() => vi.advanceTimersByTime(299));
    expect(commit).not.toHaveBeenCalled();
    act(() => vi.advanceTimersByTime(1));
    expect(commit).toHaveBeenCalledExactlyOnceWith('orders');
  });

  it('follows the value when it changes from outside, without committing it back', () => {
    const commit = vi.fn();
    const { result, rerender } = renderHook(({ value }) => useDebouncedField(value, commit, 300), {
      initialProps: { value: 'orders' },
    });
    rerender({ value: 'products' });
    expect(result.current[0]).toBe('products');
    act(() => vi.advanceTimersByTime(1000));
    expect(commit).not.toHaveBeenCalled();
  });

  it('does not commit the value its commit produced', () => {
    const commit = vi.fn();
    const { result, rerender } = renderHook(({ value }) => useDebouncedField(value, commit, 300), {
      initialProps: { value: '' },
    });
    act(() => result.current[1]('a'));
    act(() => vi.advanceTimersByTime(300));
    rerender({ value: 'a' });
    act(() => vi.advanceTimersByTime(1000));
    expect(commit).toHaveBeenCalledTimes(1);
    expect(result.current[0]).toBe('a');
  });
});
