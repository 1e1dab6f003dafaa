// The webhook signature debugger, against a real server and a real receiver. A TEST endpoint points
// to a receiver on 127.0.0.1 (answering 200, recording every request) and gets a test event. In the
// browser: from the delivery's attempt, "Debug signature" with the fields left empty checks the
// attempt as sent with the endpoint's own secrets (Verifies); the receiver's body with one byte
// changed is "Body changed" at that offset. From the Webhooks tab, the paste form with what the
// receiver got: a wrong secret is "Wrong secret", the endpoint's secret "Verifies", and a missing
// webhook-signature header is named. Nothing pasted reaches the URL.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { apiSession, endSession, expect, expectInPanel, gql, openPortal, screenshot, selectEntity, test, env } from './support';

const DELIVERY_TIMEOUT = 30_000;

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

async function receiver(): Promise<{
  server: Server;
  url: string;
  received: Received[];
}> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://127.0.0.1:${port}/sig-e2e-${Date.now()}`,
    received,
  };
}

test('debugs an attempt and a pasted message: verifies, body changed, wrong secret, missing header', async ({ page }, testInfo) => {
  const { token, entityId } = await apiSession();
  const hook = await receiver();
  let endpointId = '';
  let secret = '';
  const panel = page.getByRole('tabpanel');
  const redact = (text: string) => (secret ? text.split(secret).join('<secret>') : text);

  try {
    await test.step('GraphQL: a TEST endpoint for the receiver; a test event arrives', async () => {
      const created = await gql<{
        createWebhookEndpoint: { secret: string; endpoint: { id: string } };
      }>(
        `mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { secret endpoint { id } } }`,
        {
          input: {
            entityId,
            mode: 'TEST',
            url: hook.url,
            eventTypes: ['*'],
            description: 'signature e2e',
          },
        },
        token,
      );
      endpointId = created.createWebhookEndpoint.endpoint.id;
      secret = created.createWebhookEndpoint.secret;
      await gql(
        `mutation($id: ID!) { sendTestEvent(input: {endpointId: $id, eventType: "order.created"}) { delivery { id } } }`,
        { id: endpointId },
        token,
      );
      await expect
        .poll(() => hook.received.length, {
          message: 'the receiver got the test event',
          timeout: DELIVERY_TIMEOUT,
        })
        .toBeGreaterThan(0);
    });

    await test.step('from the attempt: the endpoint secrets verify it; a changed body is named', async () => {
      await openPortal(page);
      await selectEntity(page, env.entity, entityId);
      await page.goto(`/entities/${entityId}/developers/webhooks/${endpointId}?mode=test`, { waitUntil: 'domcontentloaded' });
      const deliveries = panel.getByRole('table', { name: 'Deliveries' });
      const row = deliveries.getByRole('row').filter({ hasText: 'order.created' }).first();
      await expectInPanel(panel, row, 'the delivery');
      await expect(async () => {
        await panel.getByRole('button', { name: 'Refresh', exact: true }).click();
        await expect(row.getByTestId('delivery-status')).toHaveText('Succeeded', { timeout: 1_000 });
      }).toPass({ timeout: DELIVERY_TIMEOUT });
      await row.getByRole('button', { name: 'Inspect', exact: true }).click();
      await page.getByRole('dialog', { name: 'Delivery' }).getByRole('button', { name: 'Debug signature' }).click();
      const dialog = page.getByRole('dialog', {
        name: 'Debug this attempt’s signature',
      });
      await expect(dialog).toBeVisible();
      await dialog.getByRole('button', { name: 'Check signature' }).click();
      const result = dialog.getByTestId('signature-result');
      await expect(result).toHaveAttribute('data-verdict', 'VERIFIED');
      await expect(dialog.getByTestId('signature-verdict')).toHaveText('Verifies');

      const body = hook.received[0].body;
      const offset = body.indexOf('order.created');
      const changed = `${body.slice(0, offset)}Order${body.slice(offset + 5)}`;
      await dialog.getByLabel('Raw body (optional)').fill(changed);
      await dialog.getByRole('button', { name: 'Check signature' }).click();
      await expect(result).toHaveAttribute('data-verdict', 'BODY_CHANGED');
      await expect(dialog.getByTestId('signature-offset')).toHaveText(String(offset));
      await screenshot(page, testInfo, 'signature-attempt');
      await page.keyboard.press('Escape');
      await expect(dialog).toBeHidden();
    });

    await test.step('the paste form: wrong secret, the right one, a missing header', async () => {
      await page.goto(`/entities/${entityId}/developers/webhooks?mode=test`, {
        waitUntil: 'domcontentloaded',
      });
      const open = panel.getByRole('button', { name: 'Debug a signature' });
      await expectInPanel(panel, open, 'the "Debug a signature" button');
      await open.click();
      const dialog = page.getByRole('dialog', {
        name: 'Debug a webhook signature',
      });
      await expect(dialog).toBeVisible();
      const got = hook.received[0];
      const headerLines = ['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((n) => `${n}: ${String(got.headers[n])}`);
      await dialog.getByLabel('Raw body').fill(got.body);
      await dialog.getByLabel(/^Headers/).fill(headerLines.join('\n'));
      await dialog.getByLabel(/^Receiver's secret/).fill('whsec_' + Buffer.alloc(32, 7).toString('base64'));
      await dialog.getByRole('button', { name: 'Check signature' }).click();
      const result = dialog.getByTestId('signature-result');
      await expect(result).toHaveAttribute('data-verdict', 'WRONG_SECRET');

      await dialog.getByLabel(/^Receiver's secret/).fill(secret);
      await dialog.getByRole('button', { name: 'Check signature' }).click();
      await expect(result, redact('the right secret verifies')).toHaveAttribute('data-verdict', 'VERIFIED');

      await dialog.getByLabel(/^Headers/).fill(headerLines.slice(0, 2).join('\n'));
      await dialog.getByRole('button', { name: 'Check signature' }).click();
      await expect(result).toHaveAttribute('data-verdict', 'HEADER_MISSING');
      await expect(dialog.getByTestId('signature-message')).toContainText('webhook-signature');
      expect(page.url().includes(secret), 'the secret is in the URL').toBe(false);
      await screenshot(page, testInfo, 'signature-paste');
      await page.keyboard.press('Escape');
    });
  } finally {
    hook.server.close();
    if (endpointId) {
      await gql(`mutation($id: ID!) { deleteWebhookEndpoint(input: {endpointId: $id}) { endpointId } }`, { id: endpointId }, token).catch(
        () => {},
      );
    }
    await endSession(token);
  }
});
