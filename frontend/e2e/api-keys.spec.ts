// Settings › Developers › API keys: a bad allowlist is reported next to its field; a TEST key made
// with the Read-only preset shows its secret once, works against GET /v1/whoami, and once revoked
// in the UI is refused (401 api_key_revoked). Each run leaves one revoked key behind.
import { env, expect, expectInPanel, openPortal, screenshot, selectEntity, test } from './support';

const KEY_NAME = 'e2e key';
const SECRET_PATTERN = /^pk_test_[a-z0-9]+_[0-9A-Za-z]{36}$/;

/** GET /v1/whoami with the key, from Node (not the browser). */
async function whoami(secret: string) {
  const response = await fetch(`${env.baseUrl}/v1/whoami`, { headers: { 'X-API-Key': secret } });
  const text = await response.text();
  let json: { mode?: string; error?: { code?: string } } | null = null;
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: response.status, json, text };
}

test('creates a key, uses it, revokes it in the UI and sees it refused', async ({ page }, testInfo) => {
  const panel = page.getByRole('tabpanel');
  const createButton = panel.getByRole('button', { name: 'Create API key', exact: true });
  const createDialog = page.getByRole('dialog', { name: 'Create API key' });
  const secretDialog = page.getByRole('dialog', { name: 'Copy your API key' });
  const revokeDialog = page.getByRole('dialog', { name: 'Revoke API key' });
  const keysTable = panel.getByRole('table', { name: 'API keys' });
  let secret = '';
  // Never print the secret in a failure message.
  const redact = (text: string) => (secret ? text.split(secret).join('<secret>') : text);

  await test.step(`sign in and select "${env.entity}"`, async () => {
    await openPortal(page);
    await selectEntity(page, env.entity);
  });

  await test.step('open the API keys tab', async () => {
    await page.getByRole('tab', { name: 'API keys', exact: true }).click();
    await expect(page).toHaveURL(/\/developers\/api-keys\?mode=test$/);
    await expectInPanel(panel, createButton, 'the "Create API key" button');
    await expect(panel.getByText('Coming soon'), 'the API keys tab still shows "Coming soon"').toBeHidden();
  });

  await test.step('a bad IP allowlist shows an error next to the field', async () => {
    await createButton.click();
    await expect(createDialog).toBeVisible();
    await createDialog.getByLabel('Name', { exact: true }).fill(`${KEY_NAME} (invalid allowlist)`);
    await createDialog.getByRole('radio', { name: 'Read-only', exact: true }).check();
    const allowlist = createDialog.getByLabel('IP allowlist');
    await allowlist.fill('10.0.0.1/8');
    await createDialog.getByRole('button', { name: 'Create key', exact: true }).click();
    // The server answers BAD_USER_INPUT with extensions.field = "ipAllowlist".
    const invalid = allowlist.and(page.locator('[aria-invalid="true"]'));
    const general = createDialog.getByRole('alert');
    await expect(invalid.or(general).first()).toBeVisible();
    expect(await general.count(), `expected a field error, got a general alert: ${await general.allInnerTexts()}`).toBe(0);
    const describedBy = (await allowlist.getAttribute('aria-describedby')) || '';
    const errorId = describedBy.split(' ').find((id) => id.endsWith('-error'));
    expect(errorId, `the allowlist field has no error (aria-describedby="${describedBy}")`).toBeTruthy();
    const errorText = (await page.locator(`[id="${errorId}"]`).innerText()).trim();
    expect(errorText).toMatch(/10\.0\.0\.1\/8/);
    await createDialog.getByRole('button', { name: 'Cancel', exact: true }).click();
    await expect(createDialog).toBeHidden();
  });

  await test.step(`create a TEST key "${KEY_NAME}" with the Read-only preset`, async () => {
    await createButton.click();
    await expect(createDialog).toBeVisible();
    await createDialog.getByLabel('Name', { exact: true }).fill(KEY_NAME);
    await expect(createDialog.getByRole('radio', { name: 'Test', exact: true }), 'Mode does not default to Test').toBeChecked();
    await createDialog.getByRole('radio', { name: 'Read-only', exact: true }).check();
    await expect(
      createDialog.getByRole('checkbox', { name: 'orders:read', exact: true }),
      'the Read-only preset did not check orders:read',
    ).toBeChecked();
    await expect(
      createDialog.getByRole('checkbox', { name: 'orders:write', exact: true }),
      'the Read-only preset checked orders:write',
    ).not.toBeChecked();
    await createDialog.getByRole('button', { name: 'Create key', exact: true }).click();
    const alert = createDialog.getByRole('alert');
    await expect(secretDialog.or(alert).first()).toBeVisible();
    expect(await alert.count(), `create failed: ${await alert.allInnerTexts()}`).toBe(0);
  });

  await test.step('the secret is shown once and has the right shape', async () => {
    await expect(secretDialog.getByText("You won't be able to see it again")).toBeVisible();
    await expect(secretDialog.getByRole('button', { name: 'Copy', exact: true })).toBeVisible();
    secret = (await page.getByTestId('new-api-key').innerText()).trim();
    expect(SECRET_PATTERN.test(secret), `the secret ${secret.slice(0, 12)}… does not match ${SECRET_PATTERN}`).toBe(true);
    const stored = await page.evaluate((s) => {
      const dump = (storage: Storage) =>
        Object.keys(storage)
          .map((k) => `${k}=${storage.getItem(k)}`)
          .join('\n');
      return dump(window.localStorage).includes(s) || dump(window.sessionStorage).includes(s);
    }, secret);
    expect(stored, 'the secret was written to localStorage/sessionStorage').toBe(false);
    expect(page.url().includes(secret), 'the secret is in the URL').toBe(false);
  });

  const keyRow = () => keysTable.getByRole('row').filter({ hasText: KEY_NAME }).filter({ hasText: `…${secret.slice(-4)}` });

  await test.step('"Done" clears the secret and the row shows the key as ACTIVE', async () => {
    await secretDialog.getByRole('button', { name: 'Done', exact: true }).click();
    await expect(secretDialog).toBeHidden();
    await expect(page.getByTestId('new-api-key'), 'the secret is still in the page after "Done"').toHaveCount(0);
    const row = keyRow();
    await expect(row).toBeVisible();
    await expect(row.getByText('ACTIVE', { exact: true })).toBeVisible();
    await expect(row.getByText('TEST', { exact: true })).toBeVisible();
    expect((await page.content()).includes(secret), 'the secret is still in the DOM after "Done"').toBe(false);
  });

  await test.step('GET /v1/whoami with the key answers 200, mode "test"', async () => {
    const res = await whoami(secret);
    expect(res.status, redact(`whoami answered: ${res.text.slice(0, 300)}`)).toBe(200);
    expect(res.json?.mode, redact(`whoami: ${res.text.slice(0, 300)}`)).toBe('test');
  });

  await test.step('revoke the key in the UI; the row shows REVOKED', async () => {
    const row = keyRow();
    await row.getByRole('button', { name: `Actions for ${KEY_NAME}`, exact: true }).click();
    await page.getByRole('menuitem', { name: 'Revoke', exact: true }).click();
    await expect(revokeDialog).toBeVisible();
    await revokeDialog.getByRole('button', { name: 'Revoke key', exact: true }).click();
    const alert = revokeDialog.getByRole('alert');
    await expect(revokeDialog)
      .toBeHidden()
      .catch(async () => {
        throw new Error(`revoke failed: ${await alert.allInnerTexts()}`);
      });
    await expect(row.getByText('REVOKED', { exact: true })).toBeVisible();
    await expect(row.getByText('ACTIVE', { exact: true }), 'the row still says ACTIVE').toBeHidden();
  });

  await test.step('GET /v1/whoami with the revoked key answers 401 api_key_revoked', async () => {
    // Revocation invalidates the verifier's cache; allow a moment in case it is eventually consistent.
    const deadline = Date.now() + 5_000;
    let res = await whoami(secret);
    while (res.status === 200 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      res = await whoami(secret);
    }
    expect(res.status, redact(`whoami answered: ${res.text.slice(0, 300)}`)).toBe(401);
    expect(res.json?.error?.code, redact(`whoami: ${res.text.slice(0, 300)}`)).toBe('api_key_revoked');
  });

  await test.step('screenshot', async () => {
    await screenshot(page, testInfo, 'api-keys');
  });
});
