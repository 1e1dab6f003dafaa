#!/usr/bin/env node
// End-to-end sign-in check for the Portico portal, using playwright-core + a system Chromium.
//
//   node frontend/e2e/login.mjs <baseUrl> <email> <password> <expectedEntityName> <screenshotPath>
//
// Exits 0 on success; prints "E2E FAILED: ..." and exits 1 on failure.
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

function fail(message) {
  console.error(`E2E FAILED: ${message}`);
  process.exit(1);
}

const [baseUrl, email, password, expectedEntityName, screenshotArg] = process.argv.slice(2);
if (!baseUrl || !email || !password || !expectedEntityName || !screenshotArg) {
  fail('usage: node login.mjs <baseUrl> <email> <password> <expectedEntityName> <screenshotPath>');
}
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

let browser;
let page;
try {
  browser = await chromium.launch({ executablePath: EXECUTABLE, args: CHROMIUM_ARGS, headless: true });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  context.setDefaultTimeout(STEP_TIMEOUT);
  context.setDefaultNavigationTimeout(STEP_TIMEOUT);
  page = await context.newPage();
  page.on('console', (msg) => {
    if (msg.type() === 'error') diagnostics.push(`console error: ${msg.text()}`);
  });
  page.on('pageerror', (err) => diagnostics.push(`page error: ${err.message}`));
  page.on('requestfailed', (req) => diagnostics.push(`request failed: ${req.method()} ${req.url()} ${req.failure()?.errorText ?? ''}`));

  const emailInput = page.getByLabel('Email', { exact: true });
  const passwordInput = page.getByLabel('Password', { exact: true });
  const signInButton = page.getByRole('button', { name: 'Sign in', exact: true });
  const signOutButton = page.getByRole('button', { name: 'Sign out', exact: true });
  const header = page.locator('header');
  const switcher = page.getByLabel('Entity', { exact: true });

  await step(`open ${baseUrl} and see the sign-in form`, async () => {
    const response = await page.goto(baseUrl, { waitUntil: 'domcontentloaded' });
    assert(response && response.ok(), `GET ${baseUrl} returned HTTP ${response?.status()}`);
    await emailInput.waitFor({ state: 'visible' });
    await passwordInput.waitFor({ state: 'visible' });
    await signInButton.waitFor({ state: 'visible' });
  });

  await step('wrong password shows an alert', async () => {
    await emailInput.fill(email);
    await passwordInput.fill(`${password}-definitely-wrong`);
    await signInButton.click();
    const alert = page.getByRole('alert');
    await alert.first().waitFor({ state: 'visible' });
    const text = (await alert.first().innerText()).trim();
    assert(text.length > 0, 'the alert is empty');
    console.log(`     alert text: ${JSON.stringify(text)}`);
    assert(!(await signOutButton.isVisible()), 'signed in with a wrong password');
  });

  await step('sign in with the right password', async () => {
    await emailInput.fill(email);
    await passwordInput.fill(password);
    await signInButton.click();
    await signOutButton.waitFor({ state: 'visible' });
  });

  await step(`header shows ${email}`, async () => {
    await header.getByText(email, { exact: true }).first().waitFor({ state: 'visible' });
  });

  await step('session survives a reload (HttpOnly cookie)', async () => {
    await page.reload({ waitUntil: 'domcontentloaded' });
    await signOutButton.waitFor({ state: 'visible' });
    await header.getByText(email, { exact: true }).first().waitFor({ state: 'visible' });
  });

  await step(`entity switcher lists "${expectedEntityName}"`, async () => {
    await switcher.waitFor({ state: 'visible' });
    const options = await switcher.locator('option').evaluateAll((els) =>
      els.map((el) => ({ value: el.value, label: (el.textContent || '').trim() })),
    );
    const match =
      options.find((o) => o.label === expectedEntityName) ||
      options.find((o) => o.label.startsWith(`${expectedEntityName} —`)) ||
      options.find((o) => o.label.includes(expectedEntityName));
    assert(match, `no switcher option contains "${expectedEntityName}"; options: ${JSON.stringify(options.map((o) => o.label))}`);
    await switcher.selectOption(match.value);
    const selectedLabel = await switcher.evaluate((el) => el.options[el.selectedIndex]?.textContent?.trim() ?? '');
    assert(selectedLabel.includes(expectedEntityName), `selected entity is "${selectedLabel}"`);
  });

  await step(`Team tab lists ${email}`, async () => {
    await page.getByRole('tab', { name: 'Team', exact: true }).click();
    const panel = page.getByRole('tabpanel');
    const cell = panel.getByRole('table').getByRole('cell', { name: email, exact: true });
    const forbidden = panel.getByText("You don't have access to this section");
    const alert = panel.getByRole('alert');
    await Promise.race([
      cell.first().waitFor({ state: 'visible' }),
      forbidden.waitFor({ state: 'visible' }).then(() => {
        throw new Error('Team tab says "You don\'t have access to this section" (members query returned FORBIDDEN)');
      }),
      alert.first().waitFor({ state: 'visible' }).then(async () => {
        throw new Error(`Team tab shows an error: ${(await alert.first().innerText()).trim()}`);
      }),
    ]);
  });

  await step(`screenshot to ${screenshotPath}`, async () => {
    mkdirSync(dirname(screenshotPath), { recursive: true });
    await page.screenshot({ path: screenshotPath, fullPage: true });
  });

  await step('sign out returns to the sign-in form', async () => {
    await signOutButton.click();
    await emailInput.waitFor({ state: 'visible' });
    await passwordInput.waitFor({ state: 'visible' });
    await signInButton.waitFor({ state: 'visible' });
  });

  await step('still signed out after a reload', async () => {
    await page.reload({ waitUntil: 'domcontentloaded' });
    await emailInput.waitFor({ state: 'visible' });
    assert(!(await signOutButton.isVisible()), 'still signed in after signing out and reloading');
  });

  console.log('E2E PASSED');
} catch (err) {
  const raw = err instanceof Error ? err.message : String(err);
  const message = raw.replace(/\u001b\[[0-9;]*m/g, '').split('\n').slice(0, 6).join('\n');
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
