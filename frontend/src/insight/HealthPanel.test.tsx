// @vitest-environment jsdom
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import type { HealthWindow } from '../gql/graphql';
import { HealthPanel } from './HealthPanel';

function panel(fetchHealth: (window: HealthWindow) => Promise<{ n: number } | null>, keepShownWhileLoading = false) {
  return render(
    <HealthPanel
      label="Health of k"
      testId="thing-health"
      fetchHealth={fetchHealth}
      missingText="Gone."
      loadingText="Loading…"
      keepShownWhileLoading={keepShownWhileLoading}
    >
      {(health, window) => <p>{`${window}: ${health.n}`}</p>}
    </HealthPanel>,
  );
}

function deferred<T>() {
  let resolve: (value: T) => void = () => {};
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('HealthPanel', () => {
  it("loads the window's figures and reloads them, showing the loading state, on a window change", async () => {
    const week = deferred<{ n: number }>();
    const fetchHealth = vi.fn((window: HealthWindow) => (window === 'DAY' ? Promise.resolve({ n: 1 }) : week.promise));
    panel(fetchHealth);
    expect(await screen.findByText('DAY: 1')).toBeTruthy();
    fireEvent.click(screen.getByRole('radio', { name: '7 d' }));
    expect(await screen.findByText('Loading…')).toBeTruthy();
    week.resolve({ n: 7 });
    expect(await screen.findByText('WEEK: 7')).toBeTruthy();
    expect(fetchHealth.mock.calls.map((c) => c[0])).toEqual(['DAY', 'WEEK']);
  });

  it('keeps the figures shown while the next window loads when asked to', async () => {
    const week = deferred<{ n: number }>();
    panel((window) => (window === 'DAY' ? Promise.resolve({ n: 1 }) : week.promise), true);
    expect(await screen.findByText('DAY: 1')).toBeTruthy();
    fireEvent.click(screen.getByRole('radio', { name: '7 d' }));
    expect(screen.getByText('DAY: 1')).toBeTruthy(); // the figures of the window they are of
    week.resolve({ n: 7 });
    await waitFor(() => expect(screen.getByText('WEEK: 7')).toBeTruthy());
  });

  it('says when the subject no longer exists', async () => {
    panel(() => Promise.resolve(null));
    expect(await screen.findByText('Gone.')).toBeTruthy();
    expect(screen.getByTestId('thing-health').getAttribute('aria-label')).toBe('Health of k');
  });
});
