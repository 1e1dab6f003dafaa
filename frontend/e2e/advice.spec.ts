// Settings › Developers › API keys › Advice: a TEST key with orders:read, orders:write and
// products:read makes a few GET /v1/.../orders requests (from Node, so from 127.0.0.1). Its detail's
// advice panel shows orders:read used and the others unused (orders:write elevated); the source
// address is suggested as an allowlist, previewed (nothing refused) and applied; "Rotate to a narrower
// key" issues a successor that holds only orders:read and keeps the allowlist, its secret shown once
// and working against /v1; the entity-wide Advice view (?view=advice) lists the keys by excess
// privilege, most first.
import { apiSession, endSession, env, expect, expectInPanel, gql, openPortal, screenshot, selectEntity, test } from './support';

const KEY_NAME = `e2e advice ${Date.now().toString(36)}`;

async function orders(secret: string, entityId: string): Promise<number> {
  const response = await fetch(`${env.baseUrl}/v1/entities/${entityId}/orders`, { headers: { 'X-API-Key': secret } });
  await response.text();
  return response.status;
}

test('least-privilege advice and allowlist suggestions from real requests', async ({ page }, testInfo) => {
  const { token, entityId } = await apiSession();
  let keyId = '';
  let secret = '';
  try {
    await test.step(`create the TEST key "${KEY_NAME}" and call GET /v1/.../orders three times`, async () => {
      const created = await gql<{ createApiKey: { secret: string; apiKey: { id: string } } }>(
        `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret apiKey { id } } }`,
        {
          input: {
            entityId,
            name: KEY_NAME,
            mode: 'TEST',
            scopes: ['orders:read', 'orders:write', 'products:read'],
            justification: 'e2e: advice narrows it',
          },
        },
        token,
      );
      keyId = created.createApiKey.apiKey.id;
      secret = created.createApiKey.secret;
      for (let i = 0; i < 3; i++) expect(await orders(secret, entityId)).toBe(200);
      // the log writer flushes about every 100 ms
      await expect
        .poll(async () => {
          const data = await gql<{ entity: { apiKey: { scopeUsage: { requests: number } } } }>(
            'query($id: ID!, $key: ID!) { entity(id: $id) { apiKey(id: $key) { scopeUsage(days: 7) { requests } } } }',
            { id: entityId, key: keyId },
            token,
          );
          return data.entity.apiKey.scopeUsage.requests;
        })
        .toBe(3);
    });

    const panel = page.getByRole('tabpanel');
    const advice = panel.getByTestId('key-advice');

    await test.step('open the key\'s advice from its row', async () => {
      await openPortal(page);
      await selectEntity(page, env.entity);
      await page.getByRole('tab', { name: 'API keys', exact: true }).click();
      const row = panel.locator(`tr[data-key-id="${keyId}"]`);
      await expectInPanel(panel, row, `the row of "${KEY_NAME}"`);
      await row.getByRole('button', { name: `Actions for ${KEY_NAME}` }).click();
      await page.getByRole('menuitem', { name: 'Advice', exact: true }).click();
      await expect(page).toHaveURL(new RegExp(`[?&]key=${keyId}`));
      await expect(advice.getByRole('heading', { name: `Advice for “${KEY_NAME}”` })).toBeVisible();
    });

    await test.step('orders:read is used; orders:write (elevated) and products:read are not', async () => {
      const usage = advice.getByRole('table', { name: 'Scope usage' });
      await expect(usage.locator('tr[data-scope="orders:read"][data-state="used"]')).toContainText('3');
      await expect(usage.locator('tr[data-scope="orders:write"][data-state="unused"]')).toContainText('elevated');
      await expect(usage.locator('tr[data-scope="products:read"][data-state="unused"]')).toContainText('Never used');
    });

    await test.step('the source address is suggested, previewed and applied as the allowlist', async () => {
      const sources = advice.getByRole('table', { name: 'Source addresses' });
      await expect(sources.locator('tr[data-cidr="127.0.0.1/32"]')).toContainText('3');
      await advice.getByRole('button', { name: 'Preview as allowlist', exact: true }).click();
      const preview = advice.getByRole('region', { name: 'Allowlist preview' });
      await expect(preview).toContainText('None of the last 30 days');
      await expect(preview).toContainText('127.0.0.1/32');
      await screenshot(page, testInfo, 'advice-panel');
      await preview.getByRole('button', { name: 'Apply allowlist', exact: true }).click();
      await expect(advice.getByText('Allowlist saved.')).toBeVisible();
      const saved = await gql<{ entity: { apiKey: { ipAllowlist: string[] } } }>(
        'query($id: ID!, $key: ID!) { entity(id: $id) { apiKey(id: $key) { ipAllowlist } } }',
        { id: entityId, key: keyId },
        token,
      );
      expect(saved.entity.apiKey.ipAllowlist).toEqual(['127.0.0.1/32']);
      expect(await orders(secret, entityId), 'the allowlisted key still works from 127.0.0.1').toBe(200);
    });

    await test.step('"Rotate to a narrower key" issues a successor with only orders:read', async () => {
      await advice.getByRole('button', { name: 'Rotate to a narrower key', exact: true }).click();
      const confirm = advice.getByRole('group', { name: 'Rotate to a narrower key' });
      await expect(confirm).toContainText('orders:read');
      await confirm.getByLabel('Keep the current key working for').selectOption('0');
      await confirm.getByRole('button', { name: 'Rotate now', exact: true }).click();
      const secretDialog = page.getByRole('dialog', { name: 'Copy your API key' });
      await expect(secretDialog).toBeVisible();
      await expect(secretDialog).toContainText('removed: orders:write, products:read');
      const narrower = (await page.getByTestId('new-api-key').innerText()).trim();
      await secretDialog.getByRole('button', { name: 'Done', exact: true }).click();
      expect((await page.content()).includes(narrower), 'the secret is still in the DOM after "Done"').toBe(false);
      const whoami = await fetch(`${env.baseUrl}/v1/whoami`, { headers: { 'X-API-Key': narrower } });
      const body = (await whoami.json()) as { scopes: string[]; ip_allowlist: string[] };
      expect(body.scopes).toEqual(['orders:read']);
      expect(body.ip_allowlist).toEqual(['127.0.0.1/32']);
      expect(await orders(narrower, entityId)).toBe(200);
      const old = await fetch(`${env.baseUrl}/v1/whoami`, { headers: { 'X-API-Key': secret } });
      expect(old.status, 'the old key stopped at once (grace 0)').toBe(401);
      // the panel now shows the successor
      await expect(page).not.toHaveURL(new RegExp(`[?&]key=${keyId}`));
      await expect(advice.getByRole('table', { name: 'Scope usage' }).locator('tr[data-scope="orders:write"]')).toHaveCount(0);
    });

    await test.step('the entity-wide Advice view lists keys by excess privilege', async () => {
      await panel.getByRole('radiogroup', { name: 'View' }).getByRole('radio', { name: 'Advice', exact: true }).click();
      await expect(page).toHaveURL(/[?&]view=advice/);
      const table = panel.getByRole('table', { name: 'Keys by excess privilege' });
      await expect(table).toBeVisible();
      const scores = (await table.locator('tbody tr td:nth-child(2)').allInnerTexts()).map((t) => Number(t.trim()));
      expect(scores.length, 'the report lists the active test keys').toBeGreaterThan(0);
      expect(scores, 'sorted by excess privilege, most first').toEqual([...scores].sort((a, b) => b - a));
      await page.reload();
      await expect(panel.getByRole('table', { name: 'Keys by excess privilege' }), 'the view is kept in the URL').toBeVisible();
      await screenshot(page, testInfo, 'advice-view');
    });
  } finally {
    await endSession(token);
  }
});
