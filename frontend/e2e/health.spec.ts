// Health views and "Needs attention", against a real server. From Node: a TEST key "health e2e"
// (orders:read) makes 3 GET /orders (200) and 2 POST /orders (403 insufficient_scope); a TEST
// endpoint points to a receiver on 127.0.0.1 that answers 500, and gets a test event. In the browser:
// the key's Health (from its row) shows 5 requests, the 4xx split and the error group, whose link
// opens the Logs tab filtered to it (key, route, status, code in the URL) listing the refused
// requests; "Needs attention" lists the key with its error rate against the previous window; the
// endpoint's health shows the failed attempt and its group opens the deliveries list filtered to
// its event type. The key is revoked and the endpoint deleted at the end.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { apiSession, endSession, env, expect, expectInPanel, gql, openPortal, screenshot, selectEntity, test } from './support';

const KEY_NAME = 'health e2e';
const ORDERS_ROUTE = '/entities/{entity_id}/orders';
const DELIVERY_TIMEOUT = 30_000;

async function failingReceiver(): Promise<{
  server: Server;
  url: string;
  count: () => number;
}> {
  let count = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      count++;
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('down for maintenance');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://127.0.0.1:${port}/health-e2e-${Date.now()}`,
    count: () => count,
  };
}

test('key and endpoint health, error groups opening the logs and deliveries, needs attention', async ({ page }, testInfo) => {
  const { token, entityId } = await apiSession();
  const receiver = await failingReceiver();
  let keyId = '';
  let endpointId = '';
  const refusedIds: string[] = [];
  const panel = page.getByRole('tabpanel');

  try {
    await test.step('GraphQL and /v1: a TEST key with 3 reads and 2 refused writes; a failing endpoint', async () => {
      const data = await gql<{
        createApiKey: { secret: string; apiKey: { id: string } };
      }>(
        `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret apiKey { id } } }`,
        {
          input: {
            entityId,
            name: KEY_NAME,
            mode: 'TEST',
            scopes: ['orders:read'],
          },
        },
        token,
      );
      const secret = data.createApiKey.secret;
      keyId = data.createApiKey.apiKey.id;
      const url = `${env.baseUrl}/v1/entities/${entityId}/orders`;
      for (let i = 0; i < 3; i++) expect((await fetch(url, { headers: { 'X-API-Key': secret } })).status).toBe(200);
      for (let i = 0; i < 2; i++) {
        const refused = await fetch(url, {
          method: 'POST',
          headers: { 'X-API-Key': secret, 'Content-Type': 'application/json' },
          body: '{}',
        });
        expect(refused.status).toBe(403);
        refusedIds.push(refused.headers.get('x-request-id')!);
      }
      const created = await gql<{
        createWebhookEndpoint: { endpoint: { id: string } };
      }>(
        `mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { endpoint { id } } }`,
        {
          input: {
            entityId,
            mode: 'TEST',
            url: receiver.url,
            eventTypes: ['order.*'],
            description: 'health e2e',
          },
        },
        token,
      );
      endpointId = created.createWebhookEndpoint.endpoint.id;
      await gql(
        `mutation($id: ID!) { sendTestEvent(input: {endpointId: $id, eventType: "order.created"}) { delivery { id } } }`,
        { id: endpointId },
        token,
      );
      await expect
        .poll(receiver.count, {
          message: 'the receiver got the test event',
          timeout: DELIVERY_TIMEOUT,
        })
        .toBeGreaterThan(0);
    });

    await test.step('sign in; the key row opens its Health', async () => {
      await openPortal(page);
      await selectEntity(page, env.entity, entityId);
      await page.goto(`/entities/${entityId}/developers/api-keys?mode=test`, {
        waitUntil: 'domcontentloaded',
      });
      const row = panel.locator(`tr[data-key-id="${keyId}"]`);
      await expectInPanel(panel, row, `the row of "${KEY_NAME}"`);
      await row.getByRole('button', { name: `Health of ${KEY_NAME}` }).click();
      const dialog = page.getByRole('dialog', { name: `Health: ${KEY_NAME}` });
      await expect(dialog).toBeVisible();
      const health = dialog.getByTestId('key-health-figures');
      // the log writer flushes within ~100 ms; reopen the window until the figures are there
      await expect(async () => {
        await dialog.getByRole('radio', { name: '7 d' }).click();
        await dialog.getByRole('radio', { name: '24 h' }).click();
        await expect(health.getByText('Requests')).toBeVisible({
          timeout: 1_000,
        });
        await expect(dialog.getByTestId('health-4xx')).toContainText('2', {
          timeout: 1_000,
        });
      }).toPass({ timeout: 15_000 });
      await expect(health).toContainText('5');
      await expect(dialog.getByTestId('health-5xx')).toContainText('0');
      await expect(dialog.getByTestId('key-health-no-429')).toBeVisible();
      const group = dialog.locator('tr[data-error-group="403 insufficient_scope"]');
      await expect(group).toContainText(ORDERS_ROUTE);
      await expect(group).toContainText(refusedIds[1]);
      await screenshot(page, testInfo, 'key-health');
      await group.getByRole('link', { name: /^Logs of 403 insufficient_scope/ }).click();
    });

    await test.step('the group opens the Logs tab filtered to it', async () => {
      await expect(page).toHaveURL(/\/developers\/logs\?/);
      const params = new URL(page.url()).searchParams;
      expect(params.get('key')).toBe(keyId);
      expect(params.get('error')).toBe('insufficient_scope');
      expect(params.get('code')).toBe('403');
      expect(params.get('route')).toBe(ORDERS_ROUTE);
      expect(params.get('mode')).toBe('test');
      const table = panel.getByRole('table', { name: 'Request logs' });
      await expectInPanel(panel, table.getByText(refusedIds[0]), 'the first refused request');
      await expect(table.getByText(refusedIds[1])).toBeVisible();
    });

    await test.step('"Needs attention" lists the key and the endpoint with both rates', async () => {
      await page.getByRole('tab', { name: 'Needs attention', exact: true }).click();
      await expect(page).toHaveURL(/\/developers\/attention\?mode=test/);
      const keyRow = panel.locator(`tr[data-attention-id="${keyId}"]`);
      await expectInPanel(panel, keyRow, 'the key in the list');
      await expect(keyRow.getByTestId('attention-rate')).toContainText('(2 of 5)');
      await expect(keyRow.getByTestId('attention-previous')).toContainText('(0 of 0)');
      const hookRow = panel.locator(`tr[data-attention-id="${endpointId}"]`);
      await expect(hookRow.getByTestId('attention-rate')).toContainText('100');
      await screenshot(page, testInfo, 'needs-attention');
      await hookRow.getByRole('link', { name: receiver.url }).click();
      await expect(page).toHaveURL(new RegExp(`/developers/webhooks/${endpointId}\\?mode=test`));
    });

    await test.step("the endpoint's health shows the failed attempt; its group opens the deliveries list", async () => {
      const health = panel.getByTestId('webhook-health');
      await expectInPanel(panel, health.getByTestId('webhook-health-figures'), 'the endpoint health');
      // the first attempt and any retry since (5 s later) were answered 500
      await expect(health.getByTestId('health-failed-5xx')).toHaveText(/^5xx[1-9]/);
      await expect(health.getByTestId('health-failure-rate')).toContainText('100');
      const group = health.locator('tr[data-failure-group="order.created"]');
      await expect(group).toContainText('HTTP 500');
      await group.getByRole('link', { name: 'Show deliveries' }).click();
      await expect(page).toHaveURL(/[?&]event=order\.created/);
      const deliveries = panel.getByRole('table', { name: 'Deliveries' });
      await expect(deliveries.getByRole('row').filter({ hasText: 'order.created' }).first()).toBeVisible();
      await screenshot(page, testInfo, 'webhook-health');
    });
  } finally {
    receiver.server.close();
    if (endpointId) {
      await gql(`mutation($id: ID!) { deleteWebhookEndpoint(input: {endpointId: $id}) { endpointId } }`, { id: endpointId }, token).catch(
        () => {},
      );
    }
    if (keyId) await gql(`mutation($id: ID!) { revokeApiKey(input: {id: $id}) { apiKey { id } } }`, { id: keyId }, token).catch(() => {});
    await endSession(token);
  }
});
