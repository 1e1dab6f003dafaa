import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

// Unit tests of pure helpers and shared hooks (jsdom). The end-to-end suite is Playwright's (e2e/).
export default defineConfig({
  plugins: [react()],
  test: {
    // Pure helpers run in Node; files that render or use the DOM say `@vitest-environment jsdom`.
    environment: 'node',
    setupFiles: ['src/test/setup.ts'],
    include: ['src/**/*.test.{ts,tsx}'],
    restoreMocks: true,
    unstubGlobals: true,
  },
});
