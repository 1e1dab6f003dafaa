// Shared set-up of the end-to-end specs: the server and demo account from the environment, a
// diagnostics log attached to failing tests, and the steps several specs take (sign in, pick the
// entity, wait for a tab).
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test as base, expect, type Locator, type Page, type TestInfo } from '@playwright/test';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the suite through tests/e2e/test_server.py (see frontend/README.md)`);
  return value;
}

export const env = {
  get baseUrl() {
    return required('E2E_BASE_URL').replace(/\/+$/, '');
  },
  get email() {
    return required('E2E_EMAIL');
  },
  get password() {
    return required('E2E_PASSWORD');
  },
  get entity() {
    return required('E2E_ENTITY');
  },
};



/**
 * Fixtures: `diagnostics` (console errors, page errors, failed requests and closed sockets,
 * attached when a test fails) and `csp` (every page of the server carries the server's strict
 * script policy, and any violation of the policy fails the test).
 */
export const test = base.extend<{ diagnostics: string[]; csp: string[] }>({
  csp: [
    async ({ context }, use) => {
      const violations: string[] = [];
      await context.exposeBinding('__reportCspViolation', (_source, text: string) => {
        violations.push(text);
      });
      await context.addInitScript(() => {
        document.addEventListener('securitypolicyviolation', (e) => {
          const report = (window as unknown as { __reportCspViolation?: (text: string) => void }).__reportCspViolation;
          report?.(`${e.violatedDirective} ${e.blockedURI} (${e.sourceFile}:${e.lineNumber})`);
        });
      });
      // The server's own policy (app/http_edge.py) is what the pages run under: every document of
      // the portal must carry one that allows same-origin scripts only (no inline script, no eval).
      context.on('response', (response) => {
        const request = response.request();
        const url = new URL(request.url());
        if (request.resourceType() !== 'document' || url.origin !== env.baseUrl) return;
        const policy = response.headers()['content-security-policy'] || '';
        const scripts = policy.split(';').map((d) => d.trim()).find((d) => d.startsWith('script-src')) || '';
        if (scripts !== "script-src 'self'") violations.push(`${url.pathname}: weak or missing CSP (${policy})`);
      });
      await use(violations);
      expect(violations, 'Content-Security-Policy violations').toEqual([]);
    },
    { auto: true },
  ],
  diagnostics: [
    async ({ page }, use, testInfo) => {
      const lines: string[] = [];
      page.on('console', (msg) => {
        if (msg.type() === 'error') lines.push(`console error: ${msg.text()}`);
      });
      page.on('pageerror', (err) => lines.push(`page error: ${err.message}`));
      page.on('requestfailed', (req) =>
        lines.push(`request failed: ${req.method()} ${req.url()} ${req.failure()?.errorText ?? ''}`),
      );
      page.on('websocket', (ws) => {
        ws.on('close', () => lines.push(`websocket closed: ${ws.url()}`));
        ws.on('socketerror', (err) => lines.push(`websocket error: ${err}`));
      });
      await use(lines);
      if (testInfo.status !== testInfo.expectedStatus && lines.length > 0) {
        const body = lines.slice(-40).join('\n');
        await testInfo.attach('diagnostics', { body, contentType: 'text/plain' });
        console.log(`diagnostics:\n${body}`);
      }
    },
    { auto: true },
  ],
});

export { expect };

/** Waits for `target` in a tab panel, failing at once if the panel shows the forbidden notice or an error. */
export async function expectInPanel(panel: Locator, target: Locator, what: string, timeout?: number): Promise<void> {
  const forbidden = panel.getByText("You don't have access to this section");
  const alert = panel.getByRole('alert');
  await expect(target.or(forbidden).or(alert).first(), `waiting for ${what}`).toBeVisible({ timeout });
  expect(await forbidden.isVisible(), `the tab says "You don't have access to this section" instead of ${what}`).toBe(false);
  if (await alert.first().isVisible()) {
    throw new Error(`the tab shows an error instead of ${what}: ${(await alert.first().innerText()).trim()}`);
  }
  await expect(target.first()).toBeVisible();
}

/** A radio of the Developers page's one Test/Live switch (in the page header, not in a tab). */
export function pageModeRadio(page: Page, name: 'Test' | 'Live'): Locator {
  return page.getByTestId('mode-switch').getByRole('radiogroup', { name: 'Mode' }).getByRole('radio', { name, exact: true });
}

/** Switches the page's mode (a click on an already checked radio changes nothing) and waits for it. */
export async function switchMode(page: Page, name: 'Test' | 'Live'): Promise<void> {
  const radio = pageModeRadio(page, name);
  if ((await radio.getAttribute('aria-checked')) !== 'true') await radio.click();
  await expect(radio).toHaveAttribute('aria-checked', 'true');
  await expect(page).toHaveURL(new RegExp(`[?&]mode=${name.toLowerCase()}(&|$)`));
}

/** Fills the sign-in form (at the current URL) and waits for the portal, failing fast on an alert. */
export async function signIn(page: Page, email = env.email, password = env.password): Promise<void> {
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  const signOut = page.getByRole('button', { name: 'Sign out', exact: true });
  const alert = page.getByRole('alert');
  await expect(signOut.or(alert).first()).toBeVisible();
  if (!(await signOut.isVisible())) throw new Error(`sign-in failed: ${(await alert.first().innerText()).trim()}`);
}

/** Opens `/` and signs in. */
export async function openPortal(page: Page): Promise<void> {
  const response = await page.goto('/', { waitUntil: 'domcontentloaded' });
  expect(response?.ok(), `GET / returned HTTP ${response?.status()}`).toBe(true);
  await signIn(page);
}

/** Chooses the entity whose id or name matches in the header's switcher. */
export async function selectEntity(page: Page, name: string, id?: string): Promise<void> {
  const switcher = page.getByLabel('Entity', { exact: true });
  await expect(switcher).toBeVisible();
  const options = await switcher
    .locator('option')
    .evaluateAll((els) => els.map((el) => ({ value: (el as HTMLOptionElement).value, label: (el.textContent || '').trim() })));
  const match =
    options.find((o) => id !== undefined && o.value === id) ||
    options.find((o) => o.label === name) ||
    options.find((o) => o.label.startsWith(`${name} —`)) ||
    options.find((o) => o.label.includes(name));
  expect(match, `no switcher option for "${name}"; options: ${JSON.stringify(options.map((o) => o.label))}`).toBeTruthy();
  await switcher.selectOption(match!.value);
  await expect(switcher).toHaveValue(match!.value);
}

/**
 * A full-page screenshot, `<name>.png`, in E2E_SCREENSHOT_DIR (tests/e2e/test_server.py points it at
 * artifacts/e2e/ of the repository, which CI keeps) or else the test's output folder; attached to
 * the report too. Fails if it is (nearly) empty.
 */
export async function screenshot(page: Page, testInfo: TestInfo, name: string): Promise<string> {
  const dir = process.env.E2E_SCREENSHOT_DIR;
  let path = testInfo.outputPath(`${name}.png`);
  if (dir) {
    mkdirSync(dir, { recursive: true });
    path = join(dir, `${name}.png`);
  }
  await page.screenshot({ path, fullPage: true });
  expect(statSync(path).size, `screenshot ${path} is nearly empty`).toBeGreaterThan(1000);
  await testInfo.attach(name, { path, contentType: 'image/png' });
  return path;
}

/** POST /graphql from Node (not the browser); throws on GraphQL errors. */
export async function gql<T = Record<string, unknown>>(
  query: string,
  variables: Record<string, unknown> = {},
  token: string | null = null,
): Promise<T> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json', Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(`${env.baseUrl}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  const text = await response.text();
  let body: { data?: T; errors?: { message: string; extensions?: { code?: string } }[] };
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`GraphQL answered HTTP ${response.status} with non-JSON: ${text.slice(0, 200)}`);
  }
  if (body.errors?.length) {
    const e = body.errors[0];
    throw new Error(`GraphQL error ${e.extensions?.code ?? ''}: ${e.message}`);
  }
  return body.data as T;
}

/** Signs in through GraphQL (a bearer session) and finds the entity named `name`. */
export async function apiSession(name = env.entity): Promise<{ token: string; entityId: string }> {
  const login = await gql<{ login: { token: string } }>(
    'mutation Login($email: String!, $password: String!) { login(email: $email, password: $password) { token } }',
    { email: env.email, password: env.password },
  );
  const token = login.login.token;
  expect(token, 'login returned no token').toBeTruthy();
  const viewer = await gql<{ viewer: { memberships: { entity: { id: string; name: string } }[] } }>(
    '{ viewer { memberships { entity { id name } } } }',
    {},
    token,
  );
  const entities = viewer.viewer.memberships.map((m) => m.entity);
  const match = entities.find((e) => e.name === name) || entities.find((e) => e.name.includes(name));
  expect(match, `no membership in "${name}"; entities: ${JSON.stringify(entities.map((e) => e.name))}`).toBeTruthy();
  return { token, entityId: match!.id };
}

export async function endSession(token: string): Promise<void> {
  await gql('mutation { logout }', {}, token).catch(() => {});
}
