// Leaked-key intake, seen from the portal: a secret scanner (this spec, signing like GitHub with the
// key pair the server was configured with) reports a TEST key found in a public file; the key is
// revoked at once and its row says "Leaked" with a link to where it was found. The owner switches
// Entity settings › Leaked keys to "Flag"; a second reported key keeps working, is marked leaked and
// offers "Rotate now". The raw key never appears in the scanner's answer.
import { createHash, createSign } from 'node:crypto';
import { apiSession, endSession, env, expect, expectInPanel, gql, openPortal, screenshot, selectEntity, test } from './support';

const REPORT_URL = 'https://github.com/octo/shop/blob/4f2a9c1/config/.env';

function scanner() {
  const keyId = process.env.E2E_SCANNER_KEY_ID;
  const privateKey = process.env.E2E_SCANNER_PRIVATE_KEY;
  if (!keyId || !privateKey) throw new Error('E2E_SCANNER_KEY_ID / E2E_SCANNER_PRIVATE_KEY are not set (tests/e2e/test_server.py sets them)');
  return { keyId, privateKey };
}

/** POST /secret-scanning/reports, signed with ECDSA P-256 / SHA-256 over the raw body. */
async function report(token: string, source: string) {
  const { keyId, privateKey } = scanner();
  const body = JSON.stringify([{ token, type: 'portico_api_key', url: REPORT_URL, source }]);
  const signature = createSign('SHA256').update(body).sign(privateKey, 'base64');
  const response = await fetch(`${env.baseUrl}/secret-scanning/reports`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'Github-Public-Key-Identifier': keyId, 'Github-Public-Key-Signature': signature },
    body,
  });
  const text = await response.text();
  expect(response.status, text).toBe(200);
  expect(text).not.toContain(token);
  const [item] = JSON.parse(text) as { token_hash: string; label: string }[];
  expect(item).toEqual({ token_hash: createHash('sha256').update(token).digest('hex'), token_type: 'portico_api_key', label: 'true_positive' });
}

async function createKey(token: string, entityId: string, name: string): Promise<{ id: string; secret: string }> {
  const data = await gql<{ createApiKey: { secret: string; apiKey: { id: string } } }>(
    `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret apiKey { id } } }`,
    { input: { entityId, name, mode: 'TEST', scopes: ['orders:read'] } },
    token,
  );
  return { id: data.createApiKey.apiKey.id, secret: data.createApiKey.secret };
}

async function setAction(token: string, entityId: string, action: 'REVOKE' | 'FLAG') {
  await gql(
    'mutation($input: UpdateEntityApiSettingsInput!) { updateEntityApiSettings(input: $input) { settings { leakedKeyAction } } }',
    { input: { entityId, leakedKeyAction: action } },
    token,
  );
}

test('a reported key is revoked, or flagged when the entity says so, and the portal shows where it leaked', async ({ page }, testInfo) => {
  const { token, entityId } = await apiSession();
  const panel = page.getByRole('tabpanel');
  const suffix = Date.now().toString(36);
  try {
    const revoked = await createKey(token, entityId, `leaked ${suffix}`);
    const flagged = await createKey(token, entityId, `flagged ${suffix}`);

    await test.step('the scanner reports the first key: it is revoked', async () => {
      await report(revoked.secret, 'content');
      const whoami = await fetch(`${env.baseUrl}/v1/whoami`, { headers: { 'X-API-Key': revoked.secret } });
      expect(whoami.status).toBe(401);
      expect(((await whoami.json()) as { error: { code: string } }).error.code).toBe('api_key_revoked');
    });

    await test.step('the keys list shows it as leaked, with where it was found', async () => {
      await openPortal(page);
      await selectEntity(page, env.entity);
      await page.getByRole('tab', { name: 'API keys', exact: true }).click();
      await expectInPanel(panel, panel.getByRole('button', { name: 'Create API key', exact: true }), 'the keys list');
      // The filter lives in the URL: the checkbox follows once the router has moved.
      const activeOnly = panel.getByLabel('Active only');
      await expect(async () => {
        if (await activeOnly.isChecked()) await activeOnly.click();
        await expect(activeOnly).not.toBeChecked({ timeout: 2000 });
      }).toPass({ timeout: 20_000 });
      const row = panel.locator(`tr[data-key-id="${revoked.id}"]`);
      await expect(row.getByTestId('key-leaked')).toContainText('Leaked');
      await expect(row.getByTestId('key-leaked')).toContainText('content');
      await expect(row.getByTestId('key-leak-url')).toHaveAttribute('href', REPORT_URL);
      await expect(row.getByText('REVOKED', { exact: true })).toBeVisible();
    });

    await test.step('the owner chooses "Flag" in Entity settings', async () => {
      await page.getByRole('tab', { name: 'Entity settings', exact: true }).click();
      const select = panel.getByLabel('When a secret scanner reports one of these keys in public');
      await expectInPanel(panel, select, 'the leaked-key setting');
      await expect(select).toHaveValue('REVOKE');
      await select.selectOption('FLAG');
      await panel.getByRole('button', { name: 'Save settings', exact: true }).click();
      await expect(panel.getByText('Entity settings saved.')).toBeVisible();
      await page.reload();
      await expect(panel.getByLabel('When a secret scanner reports one of these keys in public')).toHaveValue('FLAG');
    });

    await test.step('a flagged key keeps working and asks to be rotated', async () => {
      await report(flagged.secret, 'issue_comment');
      const whoami = await fetch(`${env.baseUrl}/v1/whoami`, { headers: { 'X-API-Key': flagged.secret } });
      expect(whoami.status).toBe(200);
      await page.getByRole('tab', { name: 'API keys', exact: true }).click();
      const row = panel.locator(`tr[data-key-id="${flagged.id}"]`);
      await expect(row.getByTestId('key-leaked')).toContainText('issue comment');
      await expect(row.getByTestId('key-leaked')).toContainText('Still active');
      await expect(row.getByTestId('key-leaked').getByRole('button', { name: 'Rotate now' })).toBeVisible();
      await expect(row.getByText('ACTIVE', { exact: true })).toBeVisible();
      await screenshot(page, testInfo, 'leaked-keys');
    });
  } finally {
    await setAction(token, entityId, 'REVOKE').catch((e) => console.error(`warning: could not restore the leaked-key setting: ${e}`));
    await endSession(token);
  }
});
