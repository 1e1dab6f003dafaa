// The API reference at /docs/reference (Swagger UI from the portal's own bundle): with every
// request to anything but 127.0.0.1 blocked it renders /v1/openapi.json under the server's CSP,
// a key pasted into Authorize runs GET /whoami ("Try it out"), and the key is not stored.
import { env, expect, openPortal, test } from './support';

test('the API reference works offline and runs a request with a pasted key', async ({ page, context, csp }) => {
  const outside: string[] = [];
  await context.route('**/*', async (route) => {
    const url = new URL(route.request().url());
    if (url.hostname !== '127.0.0.1') {
      outside.push(url.href);
      await route.abort('internetdisconnected');
      return;
    }
    await route.fallback();
  });

  let key = '';
  let keyId = '';
  const post = async (query: string, variables: Record<string, unknown> = {}) => {
    const response = await page.request.post('/graphql', {
      data: { query, variables },
      headers: { Origin: env.baseUrl },
    });
    const body = await response.json();
    expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
    return body.data;
  };
  await test.step('create a read-only test key through GraphQL (as the portal does)', async () => {
    await openPortal(page);
    const viewer = await post('{ viewer { memberships { entity { id name } } } }');
    const entity = viewer.viewer.memberships.map((m: { entity: { id: string; name: string } }) => m.entity)
      .find((e: { name: string }) => e.name === env.entity);
    expect(entity, `no membership in ${env.entity}`).toBeTruthy();
    const created = await post(
      'mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret apiKey { id } } }',
      { input: { entityId: entity.id, name: 'API reference e2e', mode: 'TEST', scopes: ['orders:read'] } },
    );
    key = created.createApiKey.secret;
    keyId = created.createApiKey.apiKey.id;
    expect(key).toMatch(/_test_/);
  });

  await test.step('open /docs/reference: Swagger UI renders every operation', async () => {
    const response = await page.goto('/docs/reference', { waitUntil: 'domcontentloaded' });
    expect(response?.status()).toBe(200);
    await expect(page.locator('.swagger-ui .opblock').first()).toBeVisible({ timeout: 20_000 });
    await expect(page.locator('.opblock-summary-path', { hasText: '/whoami' })).toBeVisible();
  });

  await test.step('Authorize with the key (bearerAuth) and try GET /whoami', async () => {
    await page.getByRole('button', { name: /Authorize/ }).first().click();
    const dialog = page.locator('.dialog-ux');
    await dialog.getByRole('textbox', { name: 'auth-bearer-value' }).fill(key);
    await dialog.getByRole('button', { name: 'Apply credentials' }).first().click();
    await expect(dialog.getByRole('button', { name: 'Remove authorization' }).first()).toBeVisible();
    await dialog.getByRole('button', { name: 'Close' }).first().click();
    const whoami = page.locator('.opblock', { has: page.locator('.opblock-summary-path', { hasText: '/whoami' }) });
    await whoami.locator('.opblock-summary').click();
    await whoami.getByRole('button', { name: 'Try it out' }).click();
    const answered = page.waitForResponse((r) => r.url() === `${env.baseUrl}/v1/whoami`);
    await whoami.getByRole('button', { name: 'Execute' }).click();
    const response = await answered;
    expect(response.status()).toBe(200);
    expect(response.request().headers()['authorization']).toBe(`Bearer ${key}`);
    const body = await response.json();
    expect(body).toMatchObject({ object: 'api_key', mode: 'test', scopes: ['orders:read'] });
    await expect(whoami.locator('.live-responses-table')).toContainText('"mode": "test"');
  });

  await test.step('the key is not kept in storage, nothing left 127.0.0.1, the CSP held', async () => {
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
    expect(stored.includes(key)).toBe(false);
    expect(outside, 'requests to other hosts').toEqual([]);
    expect(csp, 'Content-Security-Policy violations').toEqual([]);
  });

  await test.step('revoke the key (the other specs see the key list they expect)', async () => {
    await post('mutation($input: RevokeApiKeyInput!) { revokeApiKey(input: $input) { apiKey { id } } }', {
      input: { id: keyId },
    });
  });
});
