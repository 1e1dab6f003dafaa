#!/usr/bin/env node
// End-to-end check of Settings > Developers > Logs and Analytics, using playwright-core + a system Chromium.
//
//   node frontend/e2e/logs.mjs <baseUrl> <email> <password> <entityName> <screenshotPath>
//
// From Node, signs in through GraphQL (bearer token) and creates a LIVE key "logs e2e" (orders:read).
// In the browser: signs in, opens the Logs tab and switches on Live; Node then makes 3 data-plane
// requests and the script checks their request IDs (X-Request-Id) reach the table within 5 s through
// the live tail. Opens one row and checks the curl command uses $API_KEY and not the key; exports CSV
// and checks the signed download link returns a CSV holding one of the request IDs; opens Analytics
// and checks the Requests card shows at least 3. The key is revoked at the end.
//
// Exits 0 and prints "E2E PASSED" on success; prints "E2E FAILED: ..." and exits 1 on failure.
// Chromium path: $CHROMIUM_PATH, else /usr/bin/chromium. Per-step timeout: $E2E_STEP_TIMEOUT_MS, else 10000.

import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

const STEP_TIMEOUT = Number(process.env.E2E_STEP_TIMEOUT_MS) || 10_000;
const OVERALL_TIMEOUT = 120_000;
const LIVE_DEADLINE_MS = 5_000;
const EXPORT_TIMEOUT_MS = 30_000;
const EXECUTABLE = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
];
const KEY_NAME = 'logs e2e';
const REQUEST_COUNT = 3;

function fail(message) {
  console.error(`E2E FAILED: ${message}`);
  process.exit(1);
}

const [baseArg, email, password, entityName, screenshotArg] = process.argv.slice(2);
if (!baseArg || !email || !password || !entityName || !screenshotArg) {
  fail('usage: node logs.mjs <baseUrl> <email> <password> <entityName> <screenshotPath>');
}
const baseUrl = baseArg.replace(/\/+$/, '');
const screenshotPath = resolve(screenshotArg);

const overallTimer = setTimeout(() => fail(`overall timeout of ${OVERALL_TIMEOUT / 1000}s exceeded`), OVERALL_TIMEOUT);

const diagnostics = [];
let currentStep = '(start)';

async function step(name, fn) {
  currentStep = name;
  const started = Date.now();
  await fn();
  console.log(`ok   ${name} (${Date.now() - started} ms)`);
}

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

/** POST /graphql from Node; throws on GraphQL errors. */
async function gql(query, variables = {}, token = null) {
  const headers = { 'Content-Type': 'application/json', Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(`${baseUrl}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  const text = await response.text();
  let body = null;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`GraphQL answered HTTP ${response.status} with non-JSON: ${text.slice(0, 200)}`);
  }
  if (body.errors?.length) {
    const e = body.errors[0];
    throw new Error(`GraphQL error ${e.extensions?.code ?? ''}: ${e.message}`);
  }
  return body.data;
}

/** Waits for `locator`, failing fast if the panel shows an alert or the forbidden notice instead. */
async function waitInPanel(panel, locator, what, timeout = STEP_TIMEOUT) {
  const forbidden = panel.getByText("You don't have access to this section");
  const alert = panel.getByRole('alert');
  await Promise.race([
    locator.waitFor({ state: 'visible', timeout }),
    forbidden.waitFor({ state: 'visible', timeout }).then(() => {
      throw new Error(`the tab says "You don't have access to this section" while waiting for ${what}`);
    }),
    alert.first().waitFor({ state: 'visible', timeout }).then(async () => {
      throw new Error(`the tab shows an error while waiting for ${what}: ${(await alert.first().innerText()).trim()}`);
    }),
  ]);
}

let browser;
let page;
let token = null;
let secret = null;
let keyId = null;
try {
  let entityId = null;

  await step(`GraphQL: log in as ${email} and find entity "${entityName}"`, async () => {
    const data = await gql(
      'mutation Login($email: String!, $password: String!) { login(email: $email, password: $password) { token } }',
      { email, password },
    );
    token = data.login.token;
    assert(token, 'login returned no token');
    const viewer = await gql('query { viewer { memberships { entity { id name } } } }', {}, token);
    const entities = (viewer.viewer?.memberships ?? []).map((m) => m.entity);
    const match = entities.find((e) => e.name === entityName) || entities.find((e) => e.name.includes(entityName));
    assert(match, `no membership in "${entityName}"; entities: ${JSON.stringify(entities.map((e) => e.name))}`);
    entityId = match.id;
    console.log(`     entity: ${entityId}`);
  });

  await step(`GraphQL: create a LIVE key "${KEY_NAME}" (orders:read)`, async () => {
    const data = await gql(
      `mutation CreateApiKey($input: CreateApiKeyInput!) {
        createApiKey(input: $input) { secret apiKey { id start last4 } }
      }`,
      { input: { entityId, name: KEY_NAME, mode: 'LIVE', scopes: ['orders:read'] } },
      token,
    );
    secret = data.createApiKey.secret;
    keyId = data.createApiKey.apiKey.id;
    assert(secret && keyId, 'createApiKey returned no secret or id');
    console.log(`     key: ${keyId} (${data.createApiKey.apiKey.start}…${data.createApiKey.apiKey.last4})`);
  });

  browser = await chromium.launch({ executablePath: EXECUTABLE, args: CHROMIUM_ARGS, headless: true });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  context.setDefaultTimeout(STEP_TIMEOUT);
  context.setDefaultNavigationTimeout(STEP_TIMEOUT);
  page = await context.newPage();
  page.on('console', (msg) => {
    if (msg.type() === 'error') diagnostics.push(`console error: ${msg.text()}`);
  });
  page.on('pageerror', (err) => diagnostics.push(`page error: ${err.message}`));
  page.on('requestfailed', (req) => diagnostics.push(`request failed: ${req.method()} ${req.url()} ${req.failure()?.errorText ?? ''}`));
  page.on('websocket', (ws) => {
    ws.on('close', () => diagnostics.push(`websocket closed: ${ws.url()}`));
    ws.on('socketerror', (err) => diagnostics.push(`websocket error: ${err}`));
  });

  const signOutButton = page.getByRole('button', { name: 'Sign out', exact: true });
  const switcher = page.getByLabel('Entity', { exact: true });
  const panel = page.getByRole('tabpanel');
  const logsTable = panel.getByRole('table', { name: 'Request logs' });
  const liveSwitch = panel.getByRole('switch', { name: 'Live', exact: true });
  const liveStatus = panel.getByTestId('live-status');
  const detailDialog = page.getByRole('dialog', { name: 'Request details' });
  const exportDialog = page.getByRole('dialog', { name: 'Export logs' });

  await step(`open ${baseUrl} and sign in as ${email}`, async () => {
    const response = await page.goto(`${baseUrl}/`, { waitUntil: 'domcontentloaded' });
    assert(response && response.ok(), `GET ${baseUrl}/ returned HTTP ${response?.status()}`);
    await page.getByLabel('Email', { exact: true }).fill(email);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    const alert = page.getByRole('alert');
    await Promise.race([
      signOutButton.waitFor({ state: 'visible' }),
      alert.first().waitFor({ state: 'visible' }).then(async () => {
        throw new Error(`sign-in failed: ${(await alert.first().innerText()).trim()}`);
      }),
    ]);
  });

  await step(`select entity "${entityName}"`, async () => {
    await switcher.waitFor({ state: 'visible' });
    const options = await switcher.locator('option').evaluateAll((els) =>
      els.map((el) => ({ value: el.value, label: (el.textContent || '').trim() })),
    );
    const match =
      options.find((o) => o.value === entityId) ||
      options.find((o) => o.label === entityName) ||
      options.find((o) => o.label.startsWith(`${entityName} —`));
    assert(match, `no switcher option for "${entityName}"; options: ${JSON.stringify(options.map((o) => o.label))}`);
    await switcher.selectOption(match.value);
  });

  await step('open the Logs tab (Live mode)', async () => {
    await page.getByRole('tab', { name: 'Logs', exact: true }).click();
    await waitInPanel(panel, liveSwitch, 'the Live switch');
    assert(!(await panel.getByText('Coming soon').isVisible()), 'the Logs tab still shows "Coming soon"');
    const liveMode = panel.getByRole('radiogroup', { name: 'Mode' }).getByRole('radio', { name: 'Live', exact: true });
    if ((await liveMode.getAttribute('aria-checked')) !== 'true') await liveMode.click();
    await panel.getByRole('status').filter({ hasText: 'live mode' }).waitFor({ state: 'visible' });
  });

  await step('switch on Live; the tail connects', async () => {
    await liveSwitch.click();
    assert((await liveSwitch.getAttribute('aria-checked')) === 'true', 'the Live switch is not on');
    await Promise.race([
      panel.locator('[data-testid="live-status"][data-status="live"]').waitFor({ state: 'visible' }),
      panel.getByRole('alert').first().waitFor({ state: 'visible' }).then(async () => {
        throw new Error(`live tail failed: ${(await panel.getByRole('alert').first().innerText()).trim()}`);
      }),
    ]);
    console.log(`     live status: ${JSON.stringify((await liveStatus.innerText()).trim())}`);
  });

  const requestIds = [];
  await step(`make ${REQUEST_COUNT} data-plane requests; their IDs appear within ${LIVE_DEADLINE_MS / 1000} s`, async () => {
    const started = Date.now();
    for (let i = 0; i < REQUEST_COUNT; i++) {
      const response = await fetch(`${baseUrl}/v1/entities/${entityId}/orders`, { headers: { 'X-API-Key': secret } });
      const body = await response.text();
      assert(response.status === 200, `GET /v1/entities/${entityId}/orders answered HTTP ${response.status}: ${body.slice(0, 200)}`);
      const id = response.headers.get('x-request-id');
      assert(id, 'no X-Request-Id response header');
      requestIds.push(id);
    }
    console.log(`     request IDs: ${requestIds.join(', ')}`);
    const remaining = () => Math.max(1, LIVE_DEADLINE_MS - (Date.now() - started));
    for (const id of requestIds) {
      const row = logsTable.locator(`tr[data-request-id="${id}"]`);
      try {
        await row.getByText(id, { exact: true }).waitFor({ state: 'visible', timeout: remaining() });
      } catch {
        const shown = await panel
          .locator('tr[data-request-id]')
          .evaluateAll((rows) => rows.slice(0, 8).map((r) => r.getAttribute('data-request-id')));
        throw new Error(`request ${id} did not appear within ${LIVE_DEADLINE_MS / 1000} s; first rows: ${JSON.stringify(shown)}`);
      }
    }
    console.log(`     all ${REQUEST_COUNT} rows shown after ${Date.now() - started} ms`);
    // Rows delivered by the subscription are marked "fresh" (a page reload would not mark them).
    for (const id of requestIds) {
      const cls = (await logsTable.locator(`tr[data-request-id="${id}"]`).getAttribute('class')) || '';
      assert(cls.split(/\s+/).includes('fresh'), `row ${id} did not come through the live tail (class "${cls}")`);
    }
  });

  await step('open a row: the curl command uses $API_KEY, not the key', async () => {
    const id = requestIds[0];
    await logsTable.locator(`tr[data-request-id="${id}"]`).getByText(id, { exact: true }).click();
    await detailDialog.waitFor({ state: 'visible' });
    await detailDialog.getByText(id, { exact: true }).first().waitFor({ state: 'visible' });
    const curl = detailDialog.getByTestId('curl-command');
    await Promise.race([
      curl.waitFor({ state: 'visible' }),
      detailDialog.getByRole('alert').waitFor({ state: 'visible' }).then(async () => {
        throw new Error(`details failed: ${(await detailDialog.getByRole('alert').innerText()).trim()}`);
      }),
    ]);
    const command = (await curl.innerText()).trim();
    console.log(`     curl: ${command}`);
    assert(command.includes('$API_KEY'), 'the curl command does not contain "$API_KEY"');
    assert(!command.includes(secret), 'the curl command contains the API key');
    assert(!(await page.content()).includes(secret), 'the page contains the API key');
    await detailDialog.getByRole('button', { name: 'Copy', exact: true }).waitFor({ state: 'visible' });
    await detailDialog.getByRole('button', { name: 'Close', exact: true }).first().click();
    await detailDialog.waitFor({ state: 'hidden' });
  });

  let downloadUrl = null;
  await step('export CSV: the download link appears and the file holds a request ID', async () => {
    await panel.getByRole('button', { name: 'Export', exact: true }).click();
    await exportDialog.waitFor({ state: 'visible' });
    await exportDialog.getByRole('radio', { name: /^CSV/ }).check();
    const created = page.waitForResponse(
      (r) => r.url().endsWith('/graphql') && (r.request().postData() || '').includes('createLogExport'),
    );
    await exportDialog.getByRole('button', { name: 'Start export', exact: true }).click();
    const body = await (await created).json();
    assert(!body.errors?.length, `createLogExport failed: ${JSON.stringify(body.errors)}`);
    const exportId = body.data.createLogExport.logExport.id;
    await exportDialog.waitFor({ state: 'hidden' });
    console.log(`     export: ${exportId}`);
    const link = panel.locator(`tr[data-export-id="${exportId}"]`).getByRole('link', { name: 'Download CSV' });
    await link.waitFor({ state: 'visible', timeout: EXPORT_TIMEOUT_MS });
    downloadUrl = await link.getAttribute('href');
    assert(downloadUrl, 'the download link has no href');
    const response = await fetch(downloadUrl);
    const text = await response.text();
    assert(response.status === 200, `download answered HTTP ${response.status}: ${text.slice(0, 200)}`);
    assert(/text\/csv/.test(response.headers.get('content-type') || ''), `content-type ${response.headers.get('content-type')}`);
    assert(text.split('\n')[0].startsWith('id,'), `not the expected CSV header: ${text.slice(0, 120)}`);
    const found = requestIds.filter((id) => text.includes(id));
    assert(found.length > 0, `the CSV holds none of ${requestIds.join(', ')} (${text.split('\n').length - 1} lines)`);
    assert(!text.includes(secret), 'the CSV contains the API key');
    console.log(`     CSV: ${text.length} bytes, holds ${found.length}/${requestIds.length} request IDs`);
  });

  await step('Analytics tab: the Requests card shows at least 3', async () => {
    await page.getByRole('tab', { name: 'Analytics', exact: true }).click();
    const card = panel.getByTestId('stat-requests');
    await waitInPanel(panel, card, 'the Requests card');
    const text = (await card.innerText()).trim();
    const value = Number(text.replace(/[^\d]/g, ''));
    console.log(`     requests card: ${JSON.stringify(text)}`);
    assert(Number.isFinite(value) && value >= REQUEST_COUNT, `the Requests card shows ${JSON.stringify(text)}`);
    await panel.getByRole('img', { name: /Requests and errors over time/ }).waitFor({ state: 'visible' });
  });

  await step(`screenshot to ${screenshotPath}`, async () => {
    mkdirSync(dirname(screenshotPath), { recursive: true });
    await page.screenshot({ path: screenshotPath, fullPage: true });
  });

  console.log('E2E PASSED');
} catch (err) {
  const raw = err instanceof Error ? err.message : String(err);
  let message = raw.replace(/\u001b\[[0-9;]*m/g, '').split('\n').slice(0, 6).join('\n');
  if (secret) message = message.split(secret).join('<secret>');
  console.error(`E2E FAILED at step "${currentStep}": ${message}`);
  if (page) {
    const failShot = screenshotPath.replace(/(\.png)?$/i, '.failure.png');
    try {
      mkdirSync(dirname(failShot), { recursive: true });
      await page.screenshot({ path: failShot, fullPage: true });
      console.error(`failure screenshot: ${failShot}`);
    } catch {
      /* ignore */
    }
  }
  for (const line of diagnostics.slice(-20)) console.error(`  ${line}`);
  process.exitCode = 1;
} finally {
  if (browser) await browser.close().catch(() => {});
  // Leave no live key behind, and end the bearer session.
  if (token && keyId) {
    await gql('mutation Revoke($input: RevokeApiKeyInput!) { revokeApiKey(input: $input) { apiKey { id status } } }', { input: { id: keyId } }, token).catch(
      (e) => console.error(`warning: could not revoke ${keyId}: ${e instanceof Error ? e.message : e}`),
    );
  }
  if (token) await gql('mutation { logout }', {}, token).catch(() => {});
  clearTimeout(overallTimer);
}
process.exit(process.exitCode ?? 0);
