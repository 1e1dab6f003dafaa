import { afterEach } from 'vitest';

// Unmount what a DOM test rendered (only files that run in jsdom render anything).
afterEach(async () => {
  if (typeof document === 'undefined') return;
  const { cleanup } = await import('@testing-library/react');
  cleanup();
});
