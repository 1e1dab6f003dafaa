// @vitest-environment jsdom
import { act, render, screen } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { useCopyToClipboard } from './useCopyToClipboard';

function Secret({ text }: { text: string }) {
  const { status, copy, ref } = useCopyToClipboard(text);
  return (
    <div>
      <code ref={ref}>{text}</code>
      <button type="button" onClick={() => void copy()}>
        Copy
      </button>
      <span data-testid="status">{status}</span>
    </div>
  );
}

describe('useCopyToClipboard', () => {
  it('writes the text to the clipboard in a secure context', async () => {
    const writeText = vi.fn(async () => {});
    vi.stubGlobal('isSecureContext', true);
    vi.stubGlobal('navigator', { ...navigator, clipboard: { writeText } });
    render(<Secret text="pk_test_secret" />);
    await act(async () => screen.getByRole('button', { name: 'Copy' }).click());
    expect(writeText).toHaveBeenCalledExactlyOnceWith('pk_test_secret');
    expect(screen.getByTestId('status').textContent).toBe('copied');
  });

  it('selects the text when the clipboard is unavailable', async () => {
    vi.stubGlobal('isSecureContext', false);
    render(<Secret text="curl -H $API_KEY" />);
    await act(async () => screen.getByRole('button', { name: 'Copy' }).click());
    expect(screen.getByTestId('status').textContent).toBe('failed');
    expect(window.getSelection()?.toString()).toBe('curl -H $API_KEY');
  });

  it('reports a refused write as failed', async () => {
    vi.stubGlobal('isSecureContext', true);
    vi.stubGlobal('navigator', { ...navigator, clipboard: { writeText: vi.fn(async () => Promise.reject(new Error('denied'))) } });
    render(<Secret text="x" />);
    await act(async () => screen.getByRole('button', { name: 'Copy' }).click());
    expect(screen.getByTestId('status').textContent).toBe('failed');
  });
});
