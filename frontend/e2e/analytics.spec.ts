// Settings › Developers › Analytics drill-down. From Node: a TEST key "analytics e2e" (orders:read)
// makes 3 GET /orders (200) and 1 POST /orders (403 insufficient_scope). In the browser: the chart
// (uPlot) shows a tooltip for the bucket under the cursor and a click opens the Logs tab for that
// bucket; the endpoint row, the key row, the error code and the 4xx count each open the Logs tab
// filtered to them;
// "Trend" narrows the tab to one key (in the URL). The key is revoked at the end.
import { apiSession, endSession, env, expect, expectInPanel, gql, openPortal, screenshot, selectEntity, test } from './support';

const KEY_NAME = 'analytics e2e';
const ORDERS_ROUTE = '/entities/{entity_id}/orders';

test('every chart point, endpoint, key and error code opens the Logs tab filtered to it', async ({ page }, testInfo) => {
  const { token, entityId } = await apiSession();
  let secret = '';
  let keyId = '';
  const okIds: string[] = [];
  let forbiddenId = '';
  const panel = page.getByRole('tabpanel');
  const logsTable = panel.getByRole('table', { name: 'Request logs' });
  const analyticsPath = `/entities/${entityId}/developers/analytics?mode=test`;

  try {
    await test.step(`GraphQL: a TEST key "${KEY_NAME}" (orders:read); 3 reads and 1 refused write`, async () => {
      const data = await gql<{ createApiKey: { secret: string; apiKey: { id: string } } }>(
        `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret apiKey { id } } }`,
        { input: { entityId, name: KEY_NAME, mode: 'TEST', scopes: ['orders:read'] } },
        token,
      );
      secret = data.createApiKey.secret;
      keyId = data.createApiKey.apiKey.id;
      const url = `${env.baseUrl}/v1/entities/${entityId}/orders`;
      for (let i = 0; i < 3; i++) {
        const r = await fetch(url, { headers: { 'X-API-Key': secret } });
        expect(r.status).toBe(200);
        okIds.push(r.headers.get('x-request-id')!);
      }
      const refused = await fetch(url, {
        method: 'POST',
        headers: { 'X-API-Key': secret, 'Content-Type': 'application/json' },
        body: '{}',
      });
      expect(refused.status).toBe(403);
      forbiddenId = refused.headers.get('x-request-id')!;
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('insufficient_scope');
    });

    await test.step(`sign in and open Analytics (test mode)`, async () => {
      await openPortal(page);
      await selectEntity(page, env.entity, entityId);
      await page.goto(analyticsPath, { waitUntil: 'domcontentloaded' });
      const card = panel.getByTestId('stat-requests');
      await expectInPanel(panel, card, 'the Requests card');
      // Rollups are written within about a second: refresh until the 4 requests are counted.
      await expect(async () => {
        await panel.getByRole('button', { name: 'Refresh', exact: true }).click();
        const value = Number((await card.innerText()).replace(/[^\d]/g, ''));
        expect(value).toBeGreaterThanOrEqual(4);
      }).toPass({ timeout: 15_000 });
    });

    const keyRow = panel.getByRole('table', { name: 'Usage by key' }).locator(`tr[data-group="${keyId}"]`);

    await test.step('Trend narrows the tab to the key (in the URL)', async () => {
      await expect(keyRow).toBeVisible();
      await keyRow.getByRole('button', { name: new RegExp(`^Trend of key ${KEY_NAME}`) }).click();
      await expect(page).toHaveURL(new RegExp(`[?&]key=${keyId}(&|$)`));
      // The figures shown are the key's once the tab has reloaded them.
      await expect(panel.locator(`.analytics[data-loaded="TEST|24h||${keyId}"]`)).toBeVisible();
      await expect(panel.getByRole('heading', { name: new RegExp(`Requests over time: key ${KEY_NAME}`) })).toBeVisible();
      await expect(panel.getByTestId('stat-requests')).toHaveText('4');
      await expect(panel.getByLabel('API key', { exact: true })).toHaveValue(keyId);
    });

    await test.step('the chart has a tooltip; clicking a bucket opens its requests in Logs', async () => {
      const chart = panel.getByRole('img', { name: /Requests and errors over time/ });
      await expect(chart.locator('canvas')).toBeVisible();
      expect(Number(await chart.getAttribute('data-total'))).toBe(4);
      const over = chart.locator('.u-over');
      const box = (await over.boundingBox())!;
      // The newest bucket is the right-most one.
      await page.mouse.move(box.x + 5, box.y + box.height / 2);
      await page.mouse.move(box.x + box.width - 3, box.y + box.height / 2);
      const tooltip = chart.getByTestId('chart-tooltip');
      await expect(tooltip).toBeVisible();
      await expect(tooltip).toContainText('Requests: 4');
      await expect(tooltip).toContainText('Errors: 1');
      await page.mouse.click(box.x + box.width - 3, box.y + box.height / 2);
      await expect(page).toHaveURL(/\/developers\/logs\?mode=test&range=custom&from=[^&]+&to=[^&]+/);
      await expect(page).toHaveURL(new RegExp(`key=${keyId}`));
      for (const id of [...okIds, forbiddenId]) await expect(logsTable.locator(`tr[data-request-id="${id}"]`)).toBeVisible();
      await expect(panel.getByLabel('Time range', { exact: true })).toHaveValue('custom');
      await page.goBack();
    });

    await test.step('the error code opens the Logs tab filtered to it', async () => {
      const codes = panel.getByRole('table', { name: 'Top error codes' });
      await codes.getByRole('link', { name: 'Logs with error insufficient_scope', exact: true }).click();
      await expect(page).toHaveURL(/\/developers\/logs\?/);
      await expect(page).toHaveURL(/error=insufficient_scope/);
      await expect(logsTable.locator(`tr[data-request-id="${forbiddenId}"]`)).toBeVisible();
      for (const id of okIds) await expect(logsTable.locator(`tr[data-request-id="${id}"]`)).toHaveCount(0);
      await page.goBack();
    });

    await test.step('the 4xx count opens the Logs tab filtered to the status class', async () => {
      await panel.getByRole('link', { name: 'Logs of the 1 4xx responses', exact: true }).click();
      await expect(page).toHaveURL(/status=4xx/);
      await expect(logsTable.locator(`tr[data-request-id="${forbiddenId}"]`)).toBeVisible();
      for (const id of okIds) await expect(logsTable.locator(`tr[data-request-id="${id}"]`)).toHaveCount(0);
      await page.goBack();
    });

    await test.step('the endpoint row opens the Logs tab filtered to the route', async () => {
      const endpoints = panel.getByRole('table', { name: 'Top endpoints' });
      await endpoints.getByRole('link', { name: `Logs of ${ORDERS_ROUTE}`, exact: true }).click();
      await expect(page).toHaveURL(/route=%2Fentities%2F%7Bentity_id%7D%2Forders/);
      await expect(panel.getByLabel('Endpoint', { exact: true })).toHaveValue(ORDERS_ROUTE);
      for (const id of [...okIds, forbiddenId]) await expect(logsTable.locator(`tr[data-request-id="${id}"]`)).toBeVisible();
      await page.goBack();
    });

    await test.step('the key row opens the Logs tab filtered to the key', async () => {
      await keyRow.getByRole('link', { name: new RegExp(`^Logs of key ${KEY_NAME}`) }).click();
      // (The tab's default range, 24 hours, is left out of the URL.)
      await expect(page).toHaveURL(new RegExp(`/developers/logs\\?mode=test&key=${keyId}$`));
      await expect(panel.getByLabel('API key', { exact: true })).toHaveValue(keyId);
      for (const id of [...okIds, forbiddenId]) await expect(logsTable.locator(`tr[data-request-id="${id}"]`)).toBeVisible();
    });

    await test.step('screenshot', async () => {
      await page.goto(analyticsPath, { waitUntil: 'domcontentloaded' });
      await expectInPanel(panel, panel.getByTestId('stat-requests'), 'the Requests card');
      await screenshot(page, testInfo, 'analytics');
    });
  } finally {
    if (keyId) {
      await gql('mutation($input: RevokeApiKeyInput!) { revokeApiKey(input: $input) { apiKey { id } } }', { input: { id: keyId } }, token).catch(
        (e) => console.error(`warning: could not revoke ${keyId}: ${e instanceof Error ? e.message : e}`),
      );
    }
    await endSession(token);
  }
});
