// Settings › Developers › API keys: a bad allowlist is reported next to its field; a TEST key made
// with the Read-only preset shows its secret once, works against GET /v1/whoami, and once revoked
// in the UI is refused (401 api_key_revoked). Then: presets list their scopes and write scopes are
// marked elevated; a custom expiry date reads "Expires in N days" and is edited; a rotated key and its
// successor link to each other; "View logs" opens the Logs tab filtered to the key; the clean-up
// lists its keys (dry run) before revoking them; revoked keys are hidden until "Active only" is off;
// a member whose custom role grants only some scopes sees the others disabled, with the reason.
import { apiSession, endSession, env, expect, expectInPanel, gql, openPortal, screenshot, selectEntity, signIn, test } from './support';
import type { Page } from '@playwright/test';

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

/** A date `days` from today (local), as a date input takes it. */
function dateIn(days: number): string {
  const d = new Date(Date.now() + days * 86_400_000);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

async function openKeysTab(page: Page) {
  const panel = page.getByRole('tabpanel');
  await page.getByRole('tab', { name: 'API keys', exact: true }).click();
  await expectInPanel(panel, panel.getByRole('button', { name: 'Create API key', exact: true }), 'the "Create API key" button');
}

test('expiry, presets, rotation links, logs link, active-only view and clean-up', async ({ page }, testInfo) => {
  const name = `smoke e2e ${Date.now().toString(36)}`;
  const panel = page.getByRole('tabpanel');
  const keysTable = panel.getByRole('table', { name: 'API keys' });
  const createDialog = page.getByRole('dialog', { name: 'Create API key' });
  const secretDialog = page.getByRole('dialog', { name: 'Copy your API key' });
  const row = (text: string) => keysTable.getByRole('row').filter({ hasText: text });

  await test.step('sign in, open API keys', async () => {
    await openPortal(page);
    await selectEntity(page, env.entity);
    await openKeysTab(page);
  });

  await test.step('presets show their scopes; write scopes are marked elevated', async () => {
    await panel.getByRole('button', { name: 'Create API key', exact: true }).click();
    await expect(createDialog).toBeVisible();
    const warehouse = createDialog.getByTestId('preset-scopes-warehouse');
    await expect(warehouse).toContainText('read: orders');
    await expect(warehouse).toContainText('write (elevated): fulfillment, inventory');
    await expect(createDialog.locator('td[data-scope="orders:write"]')).toContainText('Elevated');
    await expect(createDialog.locator('td[data-scope="orders:read"]')).not.toContainText('Elevated');
    await createDialog.getByRole('radio', { name: 'Warehouse management', exact: true }).check();
    await expect(createDialog.getByTestId('elevated-note')).toContainText('fulfillment:write');
    // An elevated (write) scope asks a one-line justification: kept with the key.
    await createDialog.getByLabel('Justification', { exact: true }).fill('Warehouse sync writes fulfilment and stock');
  });

  await test.step('a custom expiry date: the hint and the row say "in 45 days"', async () => {
    await createDialog.getByLabel('Name', { exact: true }).fill(name);
    await createDialog.getByLabel('Expiry', { exact: true }).selectOption('custom');
    await createDialog.getByLabel('Expiry date', { exact: true }).fill(dateIn(45));
    await expect(createDialog.getByText(/\(in 45 days\)/)).toBeVisible();
    // The key's own rate limit (blank: the entity's).
    await createDialog.getByLabel('Requests per second', { exact: true }).fill('5');
    await createDialog.getByLabel('Burst', { exact: true }).fill('10');
    await createDialog.getByRole('button', { name: 'Create key', exact: true }).click();
    const alert = createDialog.getByRole('alert');
    await expect(secretDialog.or(alert).first()).toBeVisible();
    expect(await alert.count(), `create failed: ${await alert.allInnerTexts()}`).toBe(0);
    await secretDialog.getByRole('button', { name: 'Done', exact: true }).click();
    await expect(row(name).getByTestId('key-expiry')).toHaveText('Expires in 45 days');
    await expect(row(name).getByTestId('key-justification')).toContainText('Warehouse sync writes fulfilment and stock');
    await expect(row(name).getByTestId('key-rate-limit')).toHaveText('Rate limit: 5 req/s, burst 10');
  });

  await test.step('"Created by: Me" lists the key (the server filters by createdById)', async () => {
    await panel.getByLabel('Created by', { exact: true }).selectOption({ label: 'Me' });
    await expect(page).toHaveURL(/[?&]creator=[^&]+/);
    await expect(row(name)).toHaveCount(1);
    await panel.getByLabel('Created by', { exact: true }).selectOption({ label: 'Anyone' });
    await expect(page).not.toHaveURL(/creator=/);
  });

  await test.step('edit the expiry of the key: 90 days', async () => {
    await row(name).getByRole('button', { name: `Actions for ${name}`, exact: true }).click();
    await page.getByRole('menuitem', { name: 'Edit', exact: true }).click();
    const edit = page.getByRole('dialog', { name: 'Edit API key' });
    await expect(edit.getByText(/Currently: Expires in 45 days/)).toBeVisible();
    await edit.getByLabel('Expiry', { exact: true }).selectOption('90');
    await edit.getByRole('button', { name: 'Save', exact: true }).click();
    await expect(edit).toBeHidden();
    await expect(row(name).getByTestId('key-expiry')).toHaveText('Expires in 90 days');
  });

  await test.step('rotate it: the old key and its successor link to each other', async () => {
    await row(name).getByRole('button', { name: `Actions for ${name}`, exact: true }).click();
    await page.getByRole('menuitem', { name: 'Rotate', exact: true }).click();
    const rotate = page.getByRole('dialog', { name: 'Rotate API key' });
    await rotate.getByRole('radio', { name: '1 hour', exact: true }).check();
    await rotate.getByRole('button', { name: 'Rotate key', exact: true }).click();
    await expect(secretDialog).toBeVisible();
    await secretDialog.getByRole('button', { name: 'Done', exact: true }).click();
    const oldRow = keysTable.locator('tr', { has: page.getByText('Replaced by', { exact: false }) }).filter({ hasText: name });
    await expect(oldRow.first()).toBeVisible();
    const newRow = keysTable.locator('tr', { has: page.getByText('Rotated from', { exact: false }) }).filter({ hasText: name });
    await expect(newRow.first()).toBeVisible();
    const oldId = await oldRow.first().getAttribute('data-key-id');
    const newId = await newRow.first().getAttribute('data-key-id');
    expect(oldId && newId && oldId !== newId).toBeTruthy();
    await expect(oldRow.first().locator(`[data-linked-key="${newId}"]`)).toBeVisible();
    await expect(newRow.first().locator(`[data-linked-key="${oldId}"]`)).toBeVisible();
    // Following the link highlights the other row.
    await oldRow.first().locator(`[data-linked-key="${newId}"]`).click();
    await expect(keysTable.locator(`tr[data-key-id="${newId}"]`)).toHaveClass(/highlight/);
  });

  await test.step('"View logs" opens the Logs tab filtered to the key', async () => {
    const newRow = keysTable.locator('tr', { has: page.getByText('Rotated from', { exact: false }) }).filter({ hasText: name }).first();
    const keyId = (await newRow.getAttribute('data-key-id'))!;
    await newRow.getByRole('link', { name: `View logs of ${name}`, exact: true }).click();
    await expect(page).toHaveURL(new RegExp(`/developers/logs\\?mode=test&range=7d&key=${keyId}$`));
    await expect(page.getByRole('tab', { name: 'Logs', exact: true })).toHaveAttribute('aria-selected', 'true');
    const keySelect = panel.getByLabel('API key', { exact: true });
    await expect(keySelect).toHaveValue(keyId);
    await expect(keySelect.locator('option:checked')).toContainText(name);
    await page.goBack();
    await expectInPanel(panel, keysTable, 'the keys table');
  });

  await test.step('clean-up: the dry run lists the throwaway key, then revokes it', async () => {
    await panel.getByRole('button', { name: 'Clean up keys', exact: true }).click();
    const cleanup = page.getByRole('dialog', { name: 'Clean up API keys' });
    await cleanup.getByRole('button', { name: 'Find keys', exact: true }).click();
    const preview = cleanup.getByTestId('cleanup-preview');
    await expect(preview).toBeVisible();
    await expect(preview.getByText(name, { exact: true }).first()).toBeVisible();
    // Nothing is revoked by the dry run.
    await expect(row(name).first().getByText('ACTIVE', { exact: true })).toBeVisible();
    const revoke = cleanup.getByRole('button', { name: /^Revoke \d+ keys?$/ });
    await revoke.click();
    await expect(cleanup).toBeHidden();
    await expect(panel.getByText(/^Revoked \d+ keys?:/)).toBeVisible();
  });

  await test.step('revoked keys are hidden by the active-only view; "Active only" off shows them', async () => {
    await expect(row(name)).toHaveCount(0);
    const activeOnly = panel.getByRole('checkbox', { name: 'Active only', exact: true });
    await expect(activeOnly).toBeChecked();
    // the filter lives in the URL: the box follows the navigation, so click, then wait for it
    await activeOnly.click();
    await expect(page).toHaveURL(/status=all/);
    await expect(activeOnly).not.toBeChecked();
    await expect(row(name).first()).toBeVisible();
    await expect(row(name).first().getByText('REVOKED', { exact: true })).toBeVisible();
    await expect(row(name).first().getByTestId('key-expiry')).toHaveText('—');
  });

  await test.step('screenshot', async () => {
    await screenshot(page, testInfo, 'api-keys-lifecycle');
  });
});

test('a custom role that grants only some scopes: the others are disabled, with the reason', async ({ browser }) => {
  const { token, entityId } = await apiSession();
  const memberEmail = 'manager@acme.example';
  let membershipId = '';
  let roleId = '';
  try {
    await test.step('GraphQL: give the manager a custom role (api_keys.manage, orders:read + products:read)', async () => {
      const members = await gql<{ entity: { members: { edges: { node: { id: string; role: string; user: { email: string } } }[] } } }>(
        'query($id: ID!) { entity(id: $id) { members(first: 100) { edges { node { id role user { email } } } } } }',
        { id: entityId },
        token,
      );
      const member = members.entity.members.edges.map((e) => e.node).find((m) => m.user.email === memberEmail);
      expect(member, `${memberEmail} is not a member`).toBeTruthy();
      membershipId = member!.id;
      const created = await gql<{ createCustomRole: { customRole: { id: string } } }>(
        `mutation($input: CreateCustomRoleInput!) { createCustomRole(input: $input) { customRole { id } } }`,
        {
          input: {
            entityId,
            name: `key maker ${Date.now().toString(36)}`,
            permissions: ['api_keys.manage'],
            grantableScopes: ['orders:read', 'products:read'],
          },
        },
        token,
      );
      roleId = created.createCustomRole.customRole.id;
      await gql(
        'mutation($input: ChangeMemberRoleInput!) { changeMemberRole(input: $input) { membership { id role } } }',
        { input: { membershipId, role: 'CUSTOM', customRoleId: roleId } },
        token,
      );
    });

    const context = await browser.newContext();
    const page = await context.newPage();
    const panel = page.getByRole('tabpanel');
    const createDialog = page.getByRole('dialog', { name: 'Create API key' });
    await test.step('sign in as the manager and open the create dialog', async () => {
      await page.goto(`/entities/${entityId}/developers/api-keys`, { waitUntil: 'domcontentloaded' });
      await signIn(page, memberEmail, env.password);
      await expectInPanel(panel, panel.getByRole('button', { name: 'Create API key', exact: true }), 'the "Create API key" button');
      await panel.getByRole('button', { name: 'Create API key', exact: true }).click();
      await expect(createDialog).toBeVisible();
    });

    await test.step('grantable scopes are enabled, the rest disabled with the reason; presets beyond the role too', async () => {
      await expect(createDialog.getByRole('checkbox', { name: 'orders:read', exact: true })).toBeEnabled();
      await expect(createDialog.getByRole('checkbox', { name: 'products:read', exact: true })).toBeEnabled();
      const write = createDialog.getByRole('checkbox', { name: 'orders:write', exact: true });
      await expect(write).toBeDisabled();
      await expect(write).toHaveAccessibleDescription(/Your role can't grant this scope/);
      await expect(createDialog.getByRole('radio', { name: 'Full access', exact: true })).toBeDisabled();
      await expect(createDialog.locator('[data-preset="full_access"]')).toContainText("Your role can't grant");
      await createDialog.getByRole('checkbox', { name: 'orders:read', exact: true }).check();
      await expect(createDialog.getByText(/your role can grant 2 of \d+/)).toBeVisible();
    });
    await context.close();
  } finally {
    if (membershipId) {
      await gql(
        'mutation($input: ChangeMemberRoleInput!) { changeMemberRole(input: $input) { membership { id } } }',
        { input: { membershipId, role: 'MANAGER' } },
        token,
      ).catch((e) => console.error(`warning: could not restore the manager's role: ${e}`));
    }
    if (roleId) {
      await gql('mutation($input: DeleteCustomRoleInput!) { deleteCustomRole(input: $input) { id } }', { input: { entityId, id: roleId } }, token).catch(
        (e) => console.error(`warning: could not delete the custom role: ${e}`),
      );
    }
    await endSession(token);
  }
});

test('live mode: until an owner enables it, live key creation says why; admins see the switch read-only', async ({ page, browser }) => {
  const { token, entityId } = await apiSession();
  const setLiveMode = (on: boolean) =>
    gql(
      'mutation($input: UpdateEntityApiSettingsInput!) { updateEntityApiSettings(input: $input) { settings { liveModeEnabled } } }',
      { input: { entityId, liveModeEnabled: on } },
      token,
    );
  const panel = page.getByRole('tabpanel');
  const createDialog = page.getByRole('dialog', { name: 'Create API key' });
  const liveCheckbox = panel.getByRole('checkbox', { name: 'Live mode enabled', exact: true });
  try {
    await test.step('GraphQL: the owner turns live mode off', async () => {
      await setLiveMode(false);
    });

    await test.step('a live key cannot be made yet: the dialog explains why', async () => {
      await openPortal(page);
      await selectEntity(page, env.entity, entityId);
      await page.goto(`/entities/${entityId}/developers/api-keys?mode=live`, { waitUntil: 'domcontentloaded' });
      await expectInPanel(panel, panel.getByRole('button', { name: 'Create API key', exact: true }), 'the "Create API key" button');
      await panel.getByRole('button', { name: 'Create API key', exact: true }).click();
      await expect(createDialog.getByRole('radio', { name: 'Live', exact: true })).toBeChecked();
      await expect(createDialog.getByTestId('live-mode-disabled')).toContainText(
        'Live mode is not enabled for this entity: confirm the entity is production-ready',
      );
      await createDialog.getByRole('button', { name: 'Cancel', exact: true }).click();
      await expect(createDialog).toBeHidden();
    });

    await test.step('an admin sees the switch read-only, with why', async () => {
      const context = await browser.newContext();
      const admin = await context.newPage();
      await admin.goto(`/entities/${entityId}/developers/settings?mode=test`, { waitUntil: 'domcontentloaded' });
      await signIn(admin, 'admin@acme.example', env.password);
      const adminPanel = admin.getByRole('tabpanel');
      const box = adminPanel.getByRole('checkbox', { name: 'Live mode enabled', exact: true });
      await expectInPanel(adminPanel, box, 'the live mode switch');
      await expect(box).toBeDisabled();
      await expect(box).not.toBeChecked();
      await expect(adminPanel.getByTestId('live-mode-owner-only')).toContainText('Only an owner can change this');
      await context.close();
    });

    await test.step('the owner enables live mode in Entity settings (after confirming)', async () => {
      await page.getByRole('tab', { name: 'Entity settings', exact: true }).click();
      await expectInPanel(panel, liveCheckbox, 'the live mode switch');
      await expect(liveCheckbox).toBeEnabled();
      await expect(liveCheckbox).not.toBeChecked();
      await liveCheckbox.check();
      await panel.getByRole('button', { name: 'Save settings', exact: true }).click();
      const confirm = page.getByRole('dialog', { name: 'Enable live mode?' });
      await expect(confirm).toContainText('production-ready');
      await confirm.getByRole('button', { name: 'Enable live mode', exact: true }).click();
      await expect(confirm).toBeHidden();
      await expect(panel.getByText('Entity settings saved.')).toBeVisible();
      await expect(liveCheckbox).toBeChecked();
    });

    await test.step('a live key can now be made: no explanation in the dialog', async () => {
      await page.getByRole('tab', { name: 'API keys', exact: true }).click();
      await expectInPanel(panel, panel.getByRole('button', { name: 'Create API key', exact: true }), 'the "Create API key" button');
      await panel.getByRole('button', { name: 'Create API key', exact: true }).click();
      await expect(createDialog.getByRole('radio', { name: 'Live', exact: true })).toBeChecked();
      await expect(createDialog.getByTestId('live-mode-disabled')).toHaveCount(0);
      await createDialog.getByRole('button', { name: 'Cancel', exact: true }).click();
    });
  } finally {
    await setLiveMode(true).catch((e) => console.error(`warning: could not turn live mode back on: ${e}`));
    await endSession(token);
  }
});
