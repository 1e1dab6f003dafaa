// Settings › Developers › Logs and Analytics. From Node: a bearer session and a LIVE key "logs e2e"
// (orders:read). In the browser: Logs with Live on; 3 data-plane requests made from Node reach the
// table through the live tail within 5 s; a row's details (in the URL, so a reload reopens them) show
// a curl command with $API_KEY and not the key; a CSV export's signed link downloads a file holding
// one of the request IDs; the filters (endpoint, key by name, exact status, error code, latency,
// IP) narrow the list and live in the URL, and the client IP column shows the caller; Analytics'
// Requests card shows at least 3. The key is revoked at the end.
import { apiSession, endSession, env, expect, expectInPanel, gql, openPortal, pageModeRadio, screenshot, selectEntity, test } from './support';

const KEY_NAME = 'logs e2e';
const REQUEST_COUNT = 3;
const LIVE_DEADLINE_MS = 5_000;
const EXPORT_TIMEOUT_MS = 30_000;

test('shows live requests, their details, a CSV export and analytics', async ({ page }, testInfo) => {
  const { token, entityId } = await apiSession();
  let secret = '';
  let keyId = '';
  const redact = (text: string) => (secret ? text.split(secret).join('<secret>') : text);

  try {
    await test.step(`GraphQL: create a LIVE key "${KEY_NAME}" (orders:read)`, async () => {
      const data = await gql<{ createApiKey: { secret: string; apiKey: { id: string } } }>(
        `mutation CreateApiKey($input: CreateApiKeyInput!) {
          createApiKey(input: $input) { secret apiKey { id start last4 } }
        }`,
        { input: { entityId, name: KEY_NAME, mode: 'LIVE', scopes: ['orders:read'] } },
        token,
      );
      secret = data.createApiKey.secret;
      keyId = data.createApiKey.apiKey.id;
      expect(secret && keyId, 'createApiKey returned no secret or id').toBeTruthy();
    });

    const panel = page.getByRole('tabpanel');
    const logsTable = panel.getByRole('table', { name: 'Request logs' });
    const liveSwitch = panel.getByRole('switch', { name: 'Live', exact: true });
    const detailDialog = page.getByRole('dialog', { name: 'Request details' });
    const exportDialog = page.getByRole('dialog', { name: 'Export logs' });

    await test.step(`sign in and select "${env.entity}"`, async () => {
      await openPortal(page);
      await selectEntity(page, env.entity, entityId);
    });

    await test.step('open the Logs tab (Live mode, from the page header switch)', async () => {
      await page.getByRole('tab', { name: 'Logs', exact: true }).click();
      await expect(page).toHaveURL(new RegExp(`/entities/${entityId}/developers/logs`));
      await expectInPanel(panel, liveSwitch, 'the Live switch');
      await expect(panel.getByText('Coming soon'), 'the Logs tab still shows "Coming soon"').toBeHidden();
      // The page's mode is in the URL; the switch in the page header writes it, the tab reads it.
      await expect(panel.getByRole('status').filter({ hasText: 'test mode' })).toBeVisible();
      await pageModeRadio(page, 'Live').click();
      await expect(pageModeRadio(page, 'Live')).toHaveAttribute('aria-checked', 'true');
      await expect(page).toHaveURL(/[?&]mode=live(&|$)/);
      await expectInPanel(panel, liveSwitch, 'the Live switch');
      await expect(panel.getByRole('status').filter({ hasText: 'live mode' })).toBeVisible();
    });

    await test.step('switch on Live; the tail connects', async () => {
      await liveSwitch.click();
      await expect(liveSwitch, 'the Live switch is not on').toHaveAttribute('aria-checked', 'true');
      await expectInPanel(panel, panel.locator('[data-testid="live-status"][data-status="live"]'), 'the live tail');
    });

    const requestIds: string[] = [];
    await test.step(`make ${REQUEST_COUNT} data-plane requests; their IDs appear within ${LIVE_DEADLINE_MS / 1000} s`, async () => {
      const started = Date.now();
      for (let i = 0; i < REQUEST_COUNT; i++) {
        const response = await fetch(`${env.baseUrl}/v1/entities/${entityId}/orders`, { headers: { 'X-API-Key': secret } });
        const body = await response.text();
        expect(response.status, redact(`GET /v1/entities/${entityId}/orders: ${body.slice(0, 200)}`)).toBe(200);
        const id = response.headers.get('x-request-id');
        expect(id, 'no X-Request-Id response header').toBeTruthy();
        requestIds.push(id!);
      }
      for (const id of requestIds) {
        const remaining = Math.max(1, LIVE_DEADLINE_MS - (Date.now() - started));
        const row = logsTable.locator(`tr[data-request-id="${id}"]`);
        await expect(row.getByText(id, { exact: true }), `request ${id} did not arrive through the tail in time`).toBeVisible({
          timeout: remaining,
        });
      }
      // Rows delivered by the subscription are marked "fresh" (a page reload would not mark them).
      for (const id of requestIds) {
        await expect(logsTable.locator(`tr[data-request-id="${id}"]`), `row ${id} did not come through the live tail`).toHaveClass(
          /(^|\s)fresh(\s|$)/,
          { timeout: 1 },
        );
      }
    });

    await test.step('open a row: the curl command uses $API_KEY, not the key', async () => {
      const id = requestIds[0];
      await logsTable.locator(`tr[data-request-id="${id}"]`).getByText(id, { exact: true }).click();
      await expect(detailDialog).toBeVisible();
      await expect(detailDialog.getByText(id, { exact: true }).first()).toBeVisible();
      const curl = detailDialog.getByTestId('curl-command');
      const alert = detailDialog.getByRole('alert');
      await expect(curl.or(alert).first()).toBeVisible();
      expect(await alert.count(), `details failed: ${await alert.allInnerTexts()}`).toBe(0);
      const command = (await curl.innerText()).trim();
      expect(command).toContain('$API_KEY');
      expect(command.includes(secret), 'the curl command contains the API key').toBe(false);
      expect((await page.content()).includes(secret), 'the page contains the API key').toBe(false);
      await expect(detailDialog.getByRole('button', { name: 'Copy', exact: true })).toBeVisible();
    });

    await test.step('the open request is in the URL: a reload reopens it, Close returns to the list', async () => {
      const id = requestIds[0];
      await expect(page).toHaveURL(new RegExp(`[?&]log=${id}(&|$)`));
      await page.reload({ waitUntil: 'domcontentloaded' });
      await expect(detailDialog).toBeVisible();
      await expect(detailDialog.getByTestId('curl-command')).toContainText('$API_KEY');
      await detailDialog.getByRole('button', { name: 'Close', exact: true }).first().click();
      await expect(detailDialog).toBeHidden();
      await expect(page).not.toHaveURL(/[?&]log=/);
      await expect(logsTable.locator(`tr[data-request-id="${id}"]`)).toBeVisible();
    });

    await test.step('the client IP column shows the caller (the owner holds pii.read)', async () => {
      const row = logsTable.locator(`tr[data-request-id="${requestIds[0]}"]`);
      await expect(logsTable.getByRole('columnheader', { name: 'Client IP' })).toBeVisible();
      await expect(row.getByTestId('client-ip')).toHaveText(/^(127\.0\.0\.1|::1)$/);
    });

    await test.step('filters narrow the list and are kept in the URL', async () => {
      // (The reload above turned the live tail off: these are paged rows.)
      if ((await liveSwitch.getAttribute('aria-checked')) === 'true') await liveSwitch.click();
      const row = (id: string) => logsTable.locator(`tr[data-request-id="${id}"]`);
      await panel.getByLabel('Endpoint', { exact: true }).selectOption('/entities/{entity_id}/orders');
      const keySelect = panel.getByLabel('API key', { exact: true });
      // Keys are picked by name and start, not by their internal ID.
      const option = keySelect.locator(`option[value="${keyId}"]`);
      await expect(option).toHaveCount(1);
      expect(await option.innerText()).toMatch(new RegExp(`^${KEY_NAME} \\(pk_live_[a-z0-9]+_.{4}….{4}\\)$`));
      await keySelect.selectOption(keyId);
      await expect(page).toHaveURL(new RegExp(`route=%2Fentities%2F%7Bentity_id%7D%2Forders.*key=${keyId}`));
      for (const id of requestIds) await expect(row(id)).toBeVisible();
      await panel.getByRole('button', { name: /^More filters/ }).click();
      await panel.getByLabel('Exact status', { exact: true }).fill('200');
      await panel.getByLabel('Max latency (ms)', { exact: true }).fill('60000');
      await panel.getByLabel('Client IP or CIDR', { exact: true }).fill('127.0.0.0/8');
      await expect(page).toHaveURL(/code=200/);
      await expect(page).toHaveURL(/maxms=60000/);
      await expect(page).toHaveURL(/ip=127\.0\.0\.0%2F8/);
      for (const id of requestIds) await expect(row(id)).toBeVisible();
      // The path box is a fragment of the relative path (`path`); the table shows relative paths.
      await panel.getByLabel('Path contains', { exact: true }).fill('/orders');
      await expect(page).toHaveURL(/path=%2Forders/);
      for (const id of requestIds) await expect(row(id)).toBeVisible();
      await expect(row(requestIds[0]).getByTestId('log-path')).toHaveText('/orders');
      await panel.getByLabel('Path contains', { exact: true }).fill('/no-such-resource');
      await expect(panel.getByText('No requests match these filters in this period.')).toBeVisible();
      await panel.getByLabel('Path contains', { exact: true }).fill('');
      await expect(page).not.toHaveURL(/path=/);
      // A reload keeps every filter.
      await page.reload({ waitUntil: 'domcontentloaded' });
      await expect(panel.getByLabel('Exact status', { exact: true })).toHaveValue('200');
      await expect(panel.getByLabel('API key', { exact: true })).toHaveValue(keyId);
      await expect(panel.getByLabel('Endpoint', { exact: true })).toHaveValue('/entities/{entity_id}/orders');
      for (const id of requestIds) await expect(row(id)).toBeVisible();
      // An error code none of them has empties the list.
      await panel.getByLabel('Error code', { exact: true }).fill('rate_limited');
      await expect(page).toHaveURL(/error=rate_limited/);
      await expect(panel.getByText('No requests match these filters in this period.')).toBeVisible();
      await panel.getByRole('button', { name: 'Clear filters', exact: true }).click();
      await expect(page).not.toHaveURL(/error=|code=|key=|route=/);
      await expect(page).toHaveURL(/mode=live/);
      for (const id of requestIds) await expect(row(id)).toBeVisible();
    });

    await test.step('export CSV: the download link appears and the file holds a request ID', async () => {
      await panel.getByRole('button', { name: 'Export', exact: true }).click();
      await expect(exportDialog).toBeVisible();
      await exportDialog.getByRole('radio', { name: /^CSV/ }).check();
      const created = page.waitForResponse(
        (r) => r.url().endsWith('/graphql') && (r.request().postData() || '').includes('createLogExport'),
      );
      await exportDialog.getByRole('button', { name: 'Start export', exact: true }).click();
      const body = await (await created).json();
      expect(body.errors, `createLogExport failed: ${JSON.stringify(body.errors)}`).toBeFalsy();
      const exportId: string = body.data.createLogExport.logExport.id;
      await expect(exportDialog).toBeHidden();
      const link = panel.locator(`tr[data-export-id="${exportId}"]`).getByRole('link', { name: 'Download CSV' });
      await expect(link).toBeVisible({ timeout: EXPORT_TIMEOUT_MS });
      const downloadUrl = await link.getAttribute('href');
      expect(downloadUrl, 'the download link has no href').toBeTruthy();
      // The link is tied to the tenant: it downloads with the browser's session cookie, as a click would,
      // and not without a session.
      const url = new URL(downloadUrl!, env.baseUrl).toString();
      const anonymous = await fetch(url);
      expect(anonymous.status, 'the link downloaded without a session').toBe(401);
      const response = await page.request.get(url);
      const text = await response.text();
      expect(response.status(), `download: ${text.slice(0, 200)}`).toBe(200);
      expect(response.headers()['content-type'] || '').toMatch(/text\/csv/);
      expect(text.split('\n')[0].startsWith('id,'), `not the expected CSV header: ${text.slice(0, 120)}`).toBe(true);
      const found = requestIds.filter((id) => text.includes(id));
      expect(found.length, `the CSV holds none of ${requestIds.join(', ')}`).toBeGreaterThan(0);
      expect(text.includes(secret), 'the CSV contains the API key').toBe(false);
    });

    await test.step(`Analytics tab: the Requests card shows at least ${REQUEST_COUNT}`, async () => {
      await page.getByRole('tab', { name: 'Analytics', exact: true }).click();
      await expect(page).toHaveURL(/\/developers\/analytics/);
      const card = panel.getByTestId('stat-requests');
      await expectInPanel(panel, card, 'the Requests card');
      const text = (await card.innerText()).trim();
      const value = Number(text.replace(/[^\d]/g, ''));
      expect(value, `the Requests card shows ${JSON.stringify(text)}`).toBeGreaterThanOrEqual(REQUEST_COUNT);
      const chart = panel.getByRole('img', { name: /Requests and errors over time/ });
      await expect(chart).toBeVisible();
      // The chart (uPlot) drew the requests: its canvas is there and its data holds them.
      await expect(chart.locator('canvas')).toBeVisible();
      expect(Number(await chart.getAttribute('data-total'))).toBeGreaterThanOrEqual(REQUEST_COUNT);
    });

    await test.step('screenshot', async () => {
      await screenshot(page, testInfo, 'logs');
    });
  } finally {
    // Leave no live key behind, and end the bearer session.
    if (keyId) {
      await gql(
        'mutation Revoke($input: RevokeApiKeyInput!) { revokeApiKey(input: $input) { apiKey { id status } } }',
        { input: { id: keyId } },
        token,
      ).catch((e) => console.error(`warning: could not revoke ${keyId}: ${e instanceof Error ? e.message : e}`));
    }
    await endSession(token);
  }
});
