#!/usr/bin/env node
// End-to-end check of Settings > Developers > API keys, using playwright-core + a system Chromium.
//
//   node frontend/e2e/api_keys.mjs <baseUrl> <email> <password> <entityName> <screenshotPath>
//
// Signs in, creates a TEST key "e2e key" with the Read-only preset, reads the one-time secret,
// calls GET /v1/whoami with it from Node, revokes the key in the UI and checks the data plane
// refuses it. Each run creates (and revokes) one key; rows are told apart by the key's last 4.
//
// Exits 0 and prints "E2E PASSED" on success; prints "E2E FAILED: ..." and exits 1 on failure.
// Chromium path: $CHROMIUM_PATH, else /usr/bin/chromium. Per-step timeout: $E2E_STEP_TIMEOUT_MS, else 10000.

import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

const STEP_TIMEOUT = Number(process.env.E2E_STEP_TIMEOUT_MS) || 10_000;
const OVERALL_TIMEOUT = 120_000;
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
const KEY_NAME = 'e2e key';
const SECRET_PATTERN = /^pk_test_[a-z0-9]+_[0-9A-Za-z]{36}$/;

function fail(message) {
  console.error(`E2E FAILED: ${message}`);
  process.exit(1);
}

const [baseArg, email, password, entityName, screenshotArg] = process.argv.slice(2);
if (!baseArg || !email || !password || !entityName || !screenshotArg) {
  fail('usage: node api_keys.mjs <baseUrl> <email> <password> <entityName> <screenshotPath>');
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

/** GET /v1/whoami with the key, from Node (not the browser). */
async function whoami(secret) {
  const response = await fetch(`${baseUrl}/v1/whoami`, { headers: { 'X-API-Key': secret } });
  const text = await response.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: response.status, json, text };
}

/** Waits for `locator`, failing fast if the panel shows an alert or the forbidden notice instead. */
async function waitInPanel(panel, locator, what) {
  const forbidden = panel.getByText("You don't have access to this section");
  const alert = panel.getByRole('alert');
  await Promise.race([
    locator.waitFor({ state: 'visible' }),
    forbidden.waitFor({ state: 'visible' }).then(() => {
      throw new Error(`API keys tab says "You don't have access to this section" while waiting for ${what}`);
    }),
    alert.first().waitFor({ state: 'visible' }).then(async () => {
      throw new Error(`API keys tab shows an error while waiting for ${what}: ${(await alert.first().innerText()).trim()}`);
    }),
  ]);
}

let browser;
let page;
let secret = null;
try {
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

  const signOutButton = page.getByRole('button', { name: 'Sign out', exact: true });
  const switcher = page.getByLabel('Entity', { exact: true });
  const panel = page.getByRole('tabpanel');
  const createButton = panel.getByRole('button', { name: 'Create API key', exact: true });
  const createDialog = page.getByRole('dialog', { name: 'Create API key' });
  const secretDialog = page.getByRole('dialog', { name: 'Copy your API key' });
  const revokeDialog = page.getByRole('dialog', { name: 'Revoke API key' });
  const keysTable = panel.getByRole('table', { name: 'API keys' });

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
      options.find((o) => o.label === entityName) ||
      options.find((o) => o.label.startsWith(`${entityName} —`)) ||
      options.find((o) => o.label.includes(entityName));
    assert(match, `no switcher option contains "${entityName}"; options: ${JSON.stringify(options.map((o) => o.label))}`);
    await switcher.selectOption(match.value);
  });

  await step('open the API keys tab', async () => {
    await page.getByRole('tab', { name: 'API keys', exact: true }).click();
    await waitInPanel(panel, createButton, 'the "Create API key" button');
    assert(!(await panel.getByText('Coming soon').isVisible()), 'the API keys tab still shows "Coming soon"');
  });

  await step('a bad IP allowlist shows an error next to the field', async () => {
    await createButton.click();
    await createDialog.waitFor({ state: 'visible' });
    await createDialog.getByLabel('Name', { exact: true }).fill(`${KEY_NAME} (invalid allowlist)`);
    await createDialog.getByRole('radio', { name: 'Read-only', exact: true }).check();
    const allowlist = createDialog.getByLabel('IP allowlist');
    await allowlist.fill('10.0.0.1/8');
    await createDialog.getByRole('button', { name: 'Create key', exact: true }).click();
    // The server answers BAD_USER_INPUT with extensions.field = "ipAllowlist".
    await Promise.race([
      allowlist.and(page.locator('[aria-invalid="true"]')).waitFor({ state: 'visible' }),
      createDialog.getByRole('alert').waitFor({ state: 'visible' }).then(async () => {
        throw new Error(`expected a field error, got a general alert: ${(await createDialog.getByRole('alert').innerText()).trim()}`);
      }),
    ]);
    const describedBy = (await allowlist.getAttribute('aria-describedby')) || '';
    const errorId = describedBy.split(' ').find((id) => id.endsWith('-error'));
    assert(errorId, `the allowlist field has no error (aria-describedby="${describedBy}")`);
    const errorText = (await page.locator(`[id="${errorId}"]`).innerText()).trim();
    assert(/10\.0\.0\.1\/8/.test(errorText), `unexpected allowlist error: ${JSON.stringify(errorText)}`);
    console.log(`     field error: ${JSON.stringify(errorText)}`);
    await createDialog.getByRole('button', { name: 'Cancel', exact: true }).click();
    await createDialog.waitFor({ state: 'hidden' });
  });

  await step(`create a TEST key "${KEY_NAME}" with the Read-only preset`, async () => {
    await createButton.click();
    await createDialog.waitFor({ state: 'visible' });
    await createDialog.getByLabel('Name', { exact: true }).fill(KEY_NAME);
    const test = createDialog.getByRole('radio', { name: 'Test', exact: true });
    assert(await test.isChecked(), 'Mode does not default to Test');
    await createDialog.getByRole('radio', { name: 'Read-only', exact: true }).check();
    const ordersRead = createDialog.getByRole('checkbox', { name: 'orders:read', exact: true });
    const ordersWrite = createDialog.getByRole('checkbox', { name: 'orders:write', exact: true });
    assert(await ordersRead.isChecked(), 'the Read-only preset did not check orders:read');
    assert(!(await ordersWrite.isChecked()), 'the Read-only preset checked orders:write');
    await createDialog.getByRole('button', { name: 'Create key', exact: true }).click();
    await Promise.race([
      secretDialog.waitFor({ state: 'visible' }),
      createDialog.getByRole('alert').waitFor({ state: 'visible' }).then(async () => {
        throw new Error(`create failed: ${(await createDialog.getByRole('alert').innerText()).trim()}`);
      }),
    ]);
  });

  await step('the secret is shown once and has the right shape', async () => {
    await secretDialog.getByText("You won't be able to see it again").waitFor({ state: 'visible' });
    await secretDialog.getByRole('button', { name: 'Copy', exact: true }).waitFor({ state: 'visible' });
    secret = (await page.getByTestId('new-api-key').innerText()).trim();
    assert(SECRET_PATTERN.test(secret), `secret ${JSON.stringify(secret.replace(/.{8}$/, '********'))} does not match ${SECRET_PATTERN}`);
    const stored = await page.evaluate((s) => {
      const dump = (storage) => Object.keys(storage).map((k) => `${k}=${storage.getItem(k)}`).join('\n');
      return dump(window.localStorage).includes(s) || dump(window.sessionStorage).includes(s);
    }, secret);
    assert(!stored, 'the secret was written to localStorage/sessionStorage');
    console.log(`     secret: ${secret.slice(0, 17)}…${secret.slice(-4)}`);
  });

  const last4 = () => secret.slice(-4);
  const keyRow = () => keysTable.getByRole('row').filter({ hasText: KEY_NAME }).filter({ hasText: `…${last4()}` });

  await step('"Done" clears the secret and the row shows the key as ACTIVE', async () => {
    await secretDialog.getByRole('button', { name: 'Done', exact: true }).click();
    await secretDialog.waitFor({ state: 'hidden' });
    assert((await page.getByTestId('new-api-key').count()) === 0, 'the secret is still in the page after "Done"');
    const row = keyRow();
    await row.waitFor({ state: 'visible' });
    await row.getByText('ACTIVE', { exact: true }).waitFor({ state: 'visible' });
    await row.getByText('TEST', { exact: true }).waitFor({ state: 'visible' });
    const html = await page.content();
    assert(!html.includes(secret), 'the secret is still in the DOM after "Done"');
  });

  await step('GET /v1/whoami with the key answers 200, mode "test"', async () => {
    const res = await whoami(secret);
    assert(res.status === 200, `whoami answered HTTP ${res.status}: ${res.text.slice(0, 300)}`);
    assert(res.json && res.json.mode === 'test', `whoami mode is ${JSON.stringify(res.json?.mode)}: ${res.text.slice(0, 300)}`);
  });

  await step('revoke the key in the UI; the row shows REVOKED', async () => {
    const row = keyRow();
    await row.getByRole('button', { name: `Actions for ${KEY_NAME}`, exact: true }).click();
    await page.getByRole('menuitem', { name: 'Revoke', exact: true }).click();
    await revokeDialog.waitFor({ state: 'visible' });
    await revokeDialog.getByRole('button', { name: 'Revoke key', exact: true }).click();
    await Promise.race([
      revokeDialog.waitFor({ state: 'hidden' }),
      revokeDialog.getByRole('alert').waitFor({ state: 'visible' }).then(async () => {
        throw new Error(`revoke failed: ${(await revokeDialog.getByRole('alert').innerText()).trim()}`);
      }),
    ]);
    await row.getByText('REVOKED', { exact: true }).waitFor({ state: 'visible' });
    assert(!(await row.getByText('ACTIVE', { exact: true }).isVisible()), 'the row still says ACTIVE');
  });

  await step('GET /v1/whoami with the revoked key answers 401 api_key_revoked', async () => {
    // Revocation invalidates the verifier's cache; allow a moment in case it is eventually consistent.
    const deadline = Date.now() + 5_000;
    let res = await whoami(secret);
    while (res.status === 200 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      res = await whoami(secret);
    }
    assert(res.status === 401, `whoami answered HTTP ${res.status}: ${res.text.slice(0, 300)}`);
    assert(
      res.json?.error?.code === 'api_key_revoked',
      `whoami error code is ${JSON.stringify(res.json?.error?.code)}: ${res.text.slice(0, 300)}`,
    );
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
  clearTimeout(overallTimer);
}
process.exit(process.exitCode ?? 0);
