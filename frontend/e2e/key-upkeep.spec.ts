// Settings › Developers › API keys, keeping existing keys in shape:
// - the rotation nudge: the demo seed (app/demo.py) gives Acme one live key, "Legacy ERP sync",
//   created 120 days ago through the key service on a clock set back by that much (no public API
//   backdates a key). Its row and the banner advise rotating it; rotating it from the nudge clears
//   the advice, and a reload keeps it cleared.
// - editing an existing key's rate limit and expiry: the row shows the new values, they persist
//   after a reload, the data plane applies the new burst (RateLimit-Limit), and clearing the limit
//   returns the key to the entity's.
import { apiSession, endSession, env, expect, expectInPanel, gql, openPortal, screenshot, selectEntity, switchMode, test } from './support';
import type { Page } from '@playwright/test';

const LEGACY_KEY = 'Legacy ERP sync';

async function openKeys(page: Page, mode: 'Test' | 'Live') {
  const panel = page.getByRole('tabpanel');
  await page.getByRole('tab', { name: 'API keys', exact: true }).click();
  await switchMode(page, mode);
  await expect(page).toHaveURL(new RegExp(`/developers/api-keys\\?mode=${mode.toLowerCase()}`));
  await expectInPanel(panel, panel.getByRole('table', { name: 'API keys' }), 'the keys table');
}

test('a key older than 90 days is nudged for rotation; rotating it from the nudge clears the advice', async ({ page }, testInfo) => {
  const panel = page.getByRole('tabpanel');
  const keysTable = panel.getByRole('table', { name: 'API keys' });
  const banner = panel.getByTestId('rotation-banner');
  const legacyRows = () => keysTable.getByRole('row').filter({ hasText: LEGACY_KEY });

  await test.step(`sign in, select "${env.entity}", open live API keys`, async () => {
    await openPortal(page);
    await selectEntity(page, env.entity);
    await openKeys(page, 'Live');
  });

  await test.step('the old key (no expiry) carries the nudge; no other key does', async () => {
    const row = legacyRows();
    await expect(row, `the demo's "${LEGACY_KEY}" key is not listed`).toHaveCount(1);
    await expect(row.getByText('ACTIVE', { exact: true })).toBeVisible();
    await expect(row.getByTestId('key-expiry')).toHaveText('Never');
    const nudge = row.getByTestId('rotation-nudge');
    await expect(nudge).toBeVisible();
    const text = (await nudge.innerText()).trim();
    const days = Number(/(\d+) days old: rotation advised/.exec(text)?.[1]);
    expect(days, `nudge text: ${text}`).toBeGreaterThanOrEqual(119);
    expect(days, `nudge text: ${text}`).toBeLessThanOrEqual(121);
    // Keys made today by the other specs are not nudged.
    await expect(panel.getByTestId('rotation-nudge')).toHaveCount(1);
    await expect(banner).toContainText('1 active key is older than 90 days');
    await expect(banner.getByRole('button', { name: `Rotate “${LEGACY_KEY}”`, exact: true })).toBeVisible();
  });

  await test.step('screenshot', async () => {
    await screenshot(page, testInfo, 'rotation-nudge');
  });

  await test.step('"Rotate now" opens the rotation; the successor is shown once', async () => {
    await legacyRows().getByRole('button', { name: 'Rotate now', exact: true }).click();
    const rotate = page.getByRole('dialog', { name: 'Rotate API key' });
    await expect(rotate).toBeVisible();
    await rotate.getByRole('radio', { name: '1 hour', exact: true }).check();
    await rotate.getByRole('button', { name: 'Rotate key', exact: true }).click();
    const secretDialog = page.getByRole('dialog', { name: 'Copy your API key' });
    await expect(secretDialog).toBeVisible();
    await expect(page.getByTestId('new-api-key')).toHaveText(/^pk_live_acme_/);
    await secretDialog.getByRole('button', { name: 'Done', exact: true }).click();
    await expect(secretDialog).toBeHidden();
  });

  await test.step('the old key is replaced, neither key is nudged, the banner is gone, also after a reload', async () => {
    for (const reload of [false, true]) {
      if (reload) {
        await page.reload({ waitUntil: 'domcontentloaded' });
        await expectInPanel(panel, keysTable, 'the keys table');
      }
      const old = legacyRows().filter({ hasText: 'Replaced by' });
      await expect(old).toHaveCount(1);
      await expect(old.getByText('Rotated', { exact: true })).toBeVisible();
      await expect(legacyRows().filter({ hasText: 'Rotated from' })).toHaveCount(1);
      await expect(panel.getByTestId('rotation-nudge')).toHaveCount(0);
      await expect(banner).toHaveCount(0);
    }
  });
});

test("editing a key's rate limit and expiry persists after a reload and reaches the data plane", async ({ page }) => {
  const { token, entityId } = await apiSession();
  const name = `rate limit e2e ${Date.now().toString(36)}`;
  const panel = page.getByRole('tabpanel');
  const keysTable = panel.getByRole('table', { name: 'API keys' });
  const row = () => keysTable.getByRole('row').filter({ hasText: name });
  const editDialog = page.getByRole('dialog', { name: 'Edit API key' });
  let secret = '';
  const redact = (text: string) => (secret ? text.split(secret).join('<secret>') : text);

  /** The burst the data plane announces for the key (RateLimit-Limit), once it matches `want`. */
  async function expectBurst(want: string) {
    await expect
      .poll(
        async () => {
          const res = await fetch(`${env.baseUrl}/v1/whoami`, { headers: { 'X-API-Key': secret } });
          return res.status === 200 ? res.headers.get('ratelimit-limit') : redact(`HTTP ${res.status}`);
        },
        { message: 'RateLimit-Limit of the key', timeout: 5_000 },
      )
      .toBe(want);
  }

  async function openEdit() {
    await row().getByRole('button', { name: `Actions for ${name}`, exact: true }).click();
    await page.getByRole('menuitem', { name: 'Edit', exact: true }).click();
    await expect(editDialog).toBeVisible();
  }

  try {
    await test.step('GraphQL: a TEST key with no rate limit of its own, expiring in 30 days', async () => {
      const created = await gql<{ createApiKey: { secret: string } }>(
        'mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }',
        { input: { entityId, name, mode: 'TEST', preset: 'read_only', expiresInDays: 30 } },
        token,
      );
      secret = created.createApiKey.secret;
    });

    await test.step('the row shows no limit of its own and "Expires in 30 days"', async () => {
      await openPortal(page);
      await selectEntity(page, env.entity, entityId);
      await openKeys(page, 'Test');
      await expect(row()).toHaveCount(1);
      await expect(row().getByTestId('key-rate-limit')).toHaveCount(0);
      await expect(row().getByTestId('key-expiry')).toHaveText('Expires in 30 days');
    });

    await test.step('edit: 2.5 requests per second, burst 7, expiry in 180 days', async () => {
      await openEdit();
      await expect(editDialog.getByText("Currently: Entity's default.")).toBeVisible();
      await editDialog.getByLabel('Requests per second', { exact: true }).fill('2.5');
      await editDialog.getByLabel('Burst', { exact: true }).fill('7');
      await editDialog.getByLabel('Expiry', { exact: true }).selectOption('180');
      await editDialog.getByRole('button', { name: 'Save', exact: true }).click();
      await expect(editDialog).toBeHidden();
      await expect(row().getByTestId('key-rate-limit')).toHaveText('Rate limit: 2.5 req/s, burst 7');
      await expect(row().getByTestId('key-expiry')).toHaveText('Expires in 180 days');
    });

    await test.step('after a reload the row and the dialog still show them', async () => {
      await page.reload({ waitUntil: 'domcontentloaded' });
      await expectInPanel(panel, keysTable, 'the keys table');
      await expect(row().getByTestId('key-rate-limit')).toHaveText('Rate limit: 2.5 req/s, burst 7');
      await expect(row().getByTestId('key-expiry')).toHaveText('Expires in 180 days');
      await openEdit();
      await expect(editDialog.getByLabel('Requests per second', { exact: true })).toHaveValue('2.5');
      await expect(editDialog.getByLabel('Burst', { exact: true })).toHaveValue('7');
      await expect(editDialog.getByText('Currently: 2.5 req/s, burst 7.')).toBeVisible();
      await expect(editDialog.getByText(/Currently: Expires in 180 days/)).toBeVisible();
      await editDialog.getByRole('button', { name: 'Cancel', exact: true }).click();
      await expect(editDialog).toBeHidden();
    });

    await test.step('the data plane announces the new burst: RateLimit-Limit 7', async () => {
      await expectBurst('7');
    });

    await test.step("clearing both fields returns the key to the entity's limit, also after a reload", async () => {
      await openEdit();
      await editDialog.getByLabel('Requests per second', { exact: true }).fill('');
      await editDialog.getByLabel('Burst', { exact: true }).fill('');
      await editDialog.getByRole('button', { name: 'Save', exact: true }).click();
      await expect(editDialog).toBeHidden();
      await expect(row().getByTestId('key-rate-limit')).toHaveCount(0);
      await page.reload({ waitUntil: 'domcontentloaded' });
      await expectInPanel(panel, keysTable, 'the keys table');
      await expect(row()).toHaveCount(1);
      await expect(row().getByTestId('key-rate-limit')).toHaveCount(0);
      await expect(row().getByTestId('key-expiry')).toHaveText('Expires in 180 days');
      const settings = await gql<{ entity: { apiSettings: { rateLimitBurst: number } } }>(
        'query($id: ID!) { entity(id: $id) { apiSettings { rateLimitBurst } } }',
        { id: entityId },
        token,
      );
      await expectBurst(String(settings.entity.apiSettings.rateLimitBurst));
    });
  } finally {
    await endSession(token);
  }
});
