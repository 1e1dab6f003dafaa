// Settings › Developers › Webhooks, against a real server and a real receiver: a TEST endpoint
// pointing to a small HTTP server on 127.0.0.1 (started here, recording every request) is created in
// the UI and shows its signing secret once; a test event arrives signed with that secret (Standard
// Webhooks) and the UI shows the delivered attempt; after rotating the secret (immediately) the next
// test event is signed with the new secret only; pause refuses test events, resume re-enables them.
//
// The server must run its delivery job and allow private targets:
//   PORTAL_ALLOW_PRIVATE_WEBHOOK_TARGETS=true (the receiver is on 127.0.0.1; refused in production).
// Each run leaves one endpoint (with a unique URL) behind.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { env, expect, expectInPanel, openPortal, screenshot, selectEntity, test, pageModeRadio } from './support';

const SECRET_PATTERN = /^whsec_[A-Za-z0-9+/]{43}=$/;
/** A delivery can wait for the job's next claim and its retry backoff; generous but bounded. */
const DELIVERY_TIMEOUT = 30_000;

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A receiver on 127.0.0.1 that answers 200 and records what it got. */
async function startReceiver(): Promise<{ server: Server; url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200, { 'content-type': 'application/json', 'x-receiver': 'e2e' });
      res.end('{"received":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}/hooks/e2e-${Date.now()}`, received };
}

/** True if `webhook-signature` holds a v1 entry made with `secret` (Standard Webhooks). */
function signedWith(secret: string, request: Received): boolean {
  const id = String(request.headers['webhook-id'] ?? '');
  const timestamp = String(request.headers['webhook-timestamp'] ?? '');
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${request.body}`).digest();
  return String(request.headers['webhook-signature'] ?? '')
    .split(' ')
    .filter((entry) => entry.startsWith('v1,'))
    .some((entry) => {
      const got = Buffer.from(entry.slice(3), 'base64');
      return got.length === expected.length && timingSafeEqual(got, expected);
    });
}

test('creates a webhook, receives a signed test event, rotates the secret, pauses and resumes', async ({ page }, testInfo) => {
  const receiver = await startReceiver();
  const secrets: string[] = [];
  // Never print a secret in a failure message.
  const redact = (text: string) => secrets.reduce((t, s) => t.split(s).join('<secret>'), text);
  const panel = page.getByRole('tabpanel');
  const createButton = panel.getByRole('button', { name: 'Create webhook', exact: true });
  const createDialog = page.getByRole('dialog', { name: 'Create webhook' });
  const testDialog = page.getByRole('dialog', { name: 'Send test event' });
  const rotateDialog = page.getByRole('dialog', { name: 'Rotate signing secret' });
  const deliveriesTable = panel.getByRole('table', { name: 'Deliveries' });

  const seenEvents = new Set<string>();
  /** Waits for a request carrying an event not seen before (deliveries are at least once). */
  async function nextEvent(): Promise<Received> {
    const fresh = () => receiver.received.find((r) => !seenEvents.has(String(r.headers['webhook-id'])));
    await expect
      .poll(() => fresh() !== undefined, { message: 'the receiver got the test event', timeout: DELIVERY_TIMEOUT })
      .toBe(true);
    const request = fresh()!;
    seenEvents.add(String(request.headers['webhook-id']));
    return request;
  }

  /** Sends a test event from the dialog (default type, the example payload). */
  async function sendTestEvent(): Promise<void> {
    await panel.getByRole('button', { name: 'Send test event', exact: true }).click();
    await expect(testDialog).toBeVisible();
    await expect(testDialog.getByLabel('Event type')).toBeFocused();
    const payload = testDialog.getByLabel('Payload (data)');
    await expect(payload).not.toHaveValue('');
    JSON.parse(await payload.inputValue()); // prefilled with the catalog example
    await testDialog.getByRole('button', { name: 'Send test event', exact: true }).click();
    const alert = testDialog.getByRole('alert');
    await expect(testDialog)
      .toBeHidden()
      .catch(async () => {
        throw new Error(`send test event failed: ${await alert.allInnerTexts()}`);
      });
    await expect(panel.getByText(/^Test event .* queued/)).toBeVisible();
  }

  try {
    await test.step(`sign in and select "${env.entity}"`, async () => {
      await openPortal(page);
      await selectEntity(page, env.entity);
    });

    await test.step('open the Webhooks tab in Test mode', async () => {
      await page.getByRole('tab', { name: 'Webhooks', exact: true }).click();
      await expect(page).toHaveURL(/\/developers\/webhooks(\?|$)/);
      await expectInPanel(panel, createButton, 'the "Create webhook" button');
      await expect(panel.getByText('Coming soon')).toBeHidden();
      await pageModeRadio(page, 'Test').click();
      await expect(pageModeRadio(page, 'Test')).toHaveAttribute('aria-checked', 'true');
    });

    await test.step('create an endpoint for the local receiver; the secret is shown once', async () => {
      await createButton.click();
      await expect(createDialog).toBeVisible();
      const url = createDialog.getByLabel('Endpoint URL');
      await expect(url).toBeFocused();
      await url.fill(receiver.url);
      await createDialog.getByLabel('Description').fill('e2e receiver (portal suite)');
      await createDialog.getByRole('checkbox', { name: /^All events/ }).check();
      await createDialog.getByRole('button', { name: 'Create webhook', exact: true }).click();
      const secretDialog = page.getByRole('dialog', { name: 'Copy the signing secret' });
      const alert = createDialog.getByRole('alert');
      await expect(secretDialog.or(alert).first()).toBeVisible();
      expect(await alert.count(), `create failed: ${await alert.allInnerTexts()}`).toBe(0);
      const secret = (await page.getByTestId('webhook-secret').innerText()).trim();
      secrets.push(secret);
      expect(SECRET_PATTERN.test(secret), `the secret ${secret.slice(0, 8)}… does not match ${SECRET_PATTERN}`).toBe(true);
      expect(page.url().includes(secret), 'the secret is in the URL').toBe(false);
      await secretDialog.getByRole('button', { name: 'Done', exact: true }).click();
      await expect(secretDialog).toBeHidden();
      expect((await page.content()).includes(secret), 'the secret is still in the DOM after "Done"').toBe(false);
    });

    await test.step('the list shows it Active; open its page', async () => {
      const row = panel.getByRole('table', { name: 'Webhook endpoints' }).getByRole('row').filter({ hasText: receiver.url });
      await expect(row).toBeVisible();
      await expect(row.getByTestId('webhook-status')).toHaveText('Active');
      await row.getByRole('link', { name: receiver.url }).click();
      await expect(page).toHaveURL(/\/developers\/webhooks\/whe_[^/?]+\?mode=test$/);
      await expect(panel.getByTestId('webhook-url')).toHaveText(receiver.url);
    });

    await test.step('send a test event; the receiver gets it signed with the secret', async () => {
      await sendTestEvent();
      const request = await nextEvent();
      expect(request.path).toBe(new URL(receiver.url).pathname);
      expect(request.headers['webhook-id']).toMatch(/^evt_/);
      expect(request.headers['content-type']).toMatch(/^application\/json/);
      const envelope = JSON.parse(request.body) as { id: string; type: string; mode: string; data: unknown };
      expect(envelope.id).toBe(request.headers['webhook-id']);
      expect(envelope.mode).toBe('test');
      expect(signedWith(secrets[0], request), redact(`signature ${request.headers['webhook-signature']}`)).toBe(true);
    });

    await test.step('the delivery shows as Succeeded with the attempt', async () => {
      const row = deliveriesTable.getByRole('row').filter({ hasText: [...seenEvents][0] });
      await expect(async () => {
        await panel.getByRole('button', { name: 'Refresh', exact: true }).click();
        await expect(row.getByTestId('delivery-status')).toHaveText('Succeeded', { timeout: 1_000 });
      }).toPass({ timeout: DELIVERY_TIMEOUT });
      await row.getByRole('button', { name: 'Inspect', exact: true }).click();
      const inspector = page.getByRole('dialog', { name: 'Delivery' });
      await expect(inspector).toBeVisible();
      await expect(inspector.getByTestId('attempt-status')).toHaveText('HTTP 200');
      await expect(inspector.getByRole('rowheader', { name: 'webhook-id' })).toBeVisible();
      await expect(inspector.getByRole('region', { name: 'Response body' })).toContainText('"received": true');
      await page.keyboard.press('Escape');
      await expect(inspector).toBeHidden();
      await expect(row.getByRole('button', { name: 'Inspect', exact: true }), 'focus did not return to "Inspect"').toBeFocused();
    });

    await test.step('rotate the secret immediately; the next test event is signed with the new one only', async () => {
      await panel.getByRole('button', { name: 'Rotate secret', exact: true }).click();
      await expect(rotateDialog).toBeVisible();
      await expect(rotateDialog.getByTestId('rotate-warning')).toContainText('the receiving system must be updated');
      await rotateDialog.getByRole('radio', { name: 'Immediately' }).check();
      await rotateDialog.getByRole('button', { name: 'Rotate secret', exact: true }).click();
      const secretDialog = page.getByRole('dialog', { name: 'Copy the new signing secret' });
      const alert = rotateDialog.getByRole('alert');
      await expect(secretDialog.or(alert).first()).toBeVisible();
      expect(await alert.count(), `rotate failed: ${await alert.allInnerTexts()}`).toBe(0);
      const secret = (await page.getByTestId('webhook-secret').innerText()).trim();
      secrets.push(secret);
      expect(SECRET_PATTERN.test(secret)).toBe(true);
      expect(secret === secrets[0], 'rotation returned the same secret').toBe(false);
      await secretDialog.getByRole('button', { name: 'Done', exact: true }).click();
      await expect(secretDialog).toBeHidden();

      await sendTestEvent();
      const request = await nextEvent();
      expect(signedWith(secrets[1], request), 'not signed with the new secret').toBe(true);
      expect(signedWith(secrets[0], request), 'still signed with the previous secret after an immediate rotation').toBe(false);
    });

    await test.step('pause: the badge says Paused and a test event is refused', async () => {
      await panel.getByRole('button', { name: 'Pause', exact: true }).click();
      await expect(panel.getByTestId('webhook-status').first()).toHaveText('Paused');
      await expect(panel.getByTestId('webhook-paused')).toBeVisible();
      await panel.getByRole('button', { name: 'Send test event', exact: true }).click();
      await expect(testDialog).toBeVisible();
      await testDialog.getByRole('button', { name: 'Send test event', exact: true }).click();
      const alert = testDialog.getByRole('alert');
      await expect(alert).toContainText(/paused/i);
      // A refusal of the input (the contract: BadInput `endpoint_not_active`), shown with its code.
      await expect(alert.getByTestId('error-code')).toHaveText(/^(BAD_USER_INPUT|CONFLICT)$/);
      await page.keyboard.press('Escape');
      await expect(testDialog).toBeHidden();
    });

    await test.step('resume: Active again, and test events are accepted', async () => {
      await panel.getByRole('button', { name: 'Resume', exact: true }).click();
      await expect(panel.getByTestId('webhook-status').first()).toHaveText('Active');
      await expect(panel.getByTestId('webhook-paused')).toBeHidden();
      await sendTestEvent();
      const request = await nextEvent();
      expect(signedWith(secrets[1], request)).toBe(true);
    });

    await test.step('screenshot', async () => {
      await screenshot(page, testInfo, 'webhooks');
    });
  } finally {
    await new Promise<void>((resolve) => receiver.server.close(() => resolve()));
  }
});
