// The portal's end-to-end suite, in the system Chromium (Debian's `chromium`; nothing is downloaded).
// tests/e2e/test_server.py starts a real `portal serve` with demo data and runs it with:
//   E2E_BASE_URL   the server, e.g. http://127.0.0.1:8123
//   E2E_EMAIL, E2E_PASSWORD, E2E_ENTITY   a demo owner and the name of one of their entities
//   CHROMIUM_PATH  (default /usr/bin/chromium)
import { defineConfig } from '@playwright/test';

const outputDir = process.env.E2E_OUTPUT_DIR || 'test-results';

export default defineConfig({
  testDir: 'e2e',
  // One server holds the state the specs create (keys, logs): run them one after the other.
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: true,
  timeout: 120_000,
  expect: { timeout: 10_000 },
  outputDir,
  reporter: [['list'], ['json', { outputFile: `${outputDir}/report.json` }]],
  use: {
    baseURL: process.env.E2E_BASE_URL,
    viewport: { width: 1280, height: 900 },
    actionTimeout: 10_000,
    navigationTimeout: 10_000,
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
        '--disable-sync',
        // The suite serves pages through route.fulfill (to add a Content-Security-Policy, see
        // e2e/support.ts); Chromium then no longer knows they came from 127.0.0.1 and would block
        // their WebSocket to it as a "local network" request.
        '--disable-features=LocalNetworkAccessChecks',
      ],
    },
  },
  projects: [{ name: 'chromium', use: { browserName: 'chromium' } }],
});
