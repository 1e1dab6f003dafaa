// Team: an owner changes a member's role in a dialog (keyboard-friendly: the role field has the
// focus, Escape closes, the focus returns to the button that opened it) and back again.
import { apiSession, endSession, env, expect, expectInPanel, gql, openPortal, selectEntity, test } from './support';

const MEMBER = 'manager@acme.example';
const KEY_CREATOR = 'admin@acme.example';

test('an owner changes a member role and changes it back', async ({ page }) => {
  const panel = page.getByRole('tabpanel');
  const row = panel.getByRole('row').filter({ hasText: MEMBER });
  const changeButton = panel.getByRole('button', { name: `Change the role of ${MEMBER}`, exact: true });
  const dialog = page.getByRole('dialog');

  await test.step('open the Team tab', async () => {
    await openPortal(page);
    await selectEntity(page, env.entity);
    await page.getByRole('tab', { name: 'Team', exact: true }).click();
    await expectInPanel(panel, row, `the row of ${MEMBER}`);
    await expect(row.getByTestId('member-role')).toHaveText('Manager');
  });

  await test.step('the dialog focuses the role, Escape closes it and the focus returns', async () => {
    await changeButton.click();
    await expect(dialog).toBeVisible();
    await expect(dialog.getByLabel('Role', { exact: true })).toBeFocused();
    await page.keyboard.press('Escape');
    await expect(dialog).toBeHidden();
    await expect(changeButton).toBeFocused();
  });

  await test.step('change Manager to Staff', async () => {
    await changeButton.click();
    await dialog.getByLabel('Role', { exact: true }).selectOption('STAFF');
    await dialog.getByRole('button', { name: 'Save role', exact: true }).click();
    await expect(dialog).toBeHidden();
    await expect(row.getByTestId('member-role')).toHaveText('Staff');
    await expect(page.getByRole('status').filter({ hasText: `${MEMBER} is now Staff` })).toBeVisible();
  });

  await test.step('the owner cannot change their own role', async () => {
    await expect(panel.getByRole('button', { name: `Change the role of ${env.email}`, exact: true })).toBeDisabled();
  });

  await test.step('and back to Manager, from the keyboard', async () => {
    await changeButton.focus();
    await page.keyboard.press('Enter');
    await expect(dialog.getByLabel('Role', { exact: true })).toBeFocused();
    await dialog.getByLabel('Role', { exact: true }).selectOption('MANAGER');
    await page.keyboard.press('Tab'); // Cancel
    await page.keyboard.press('Tab'); // Save role
    await expect(dialog.getByRole('button', { name: 'Save role', exact: true })).toBeFocused();
    await page.keyboard.press('Enter');
    await expect(dialog).toBeHidden();
    await expect(row.getByTestId('member-role')).toHaveText('Manager');
  });

  await test.step('removing a member lists the keys they created, offering to revoke them (cancelled)', async () => {
    // The admin creates a key through the API (a bearer session of their own).
    const { token, entityId } = await apiSession();
    await endSession(token);
    const login = await gql<{ login: { token: string } }>(
      'mutation L($e: String!, $p: String!) { login(email: $e, password: $p) { token } }',
      { e: KEY_CREATOR, p: env.password },
    );
    const keyName = `e2e team key ${Date.now()}`;
    await gql(
      'mutation C($input: CreateApiKeyInput!) { createApiKey(input: $input) { apiKey { id } } }',
      { input: { entityId, name: keyName, mode: 'TEST', scopes: ['orders:read'] } },
      login.login.token,
    );
    await endSession(login.login.token);

    await panel.getByRole('button', { name: `Remove ${KEY_CREATOR}`, exact: true }).click();
    await expect(dialog.getByText('Active API keys they created')).toBeVisible();
    const keyBox = dialog.getByRole('checkbox', { name: new RegExp(keyName) });
    await expect(keyBox).toBeChecked();
    await expect(dialog.getByRole('button', { name: /^Remove and revoke \d+ keys?$/ })).toBeVisible();
    await dialog.getByRole('button', { name: 'Cancel', exact: true }).click();
    await expect(dialog).toBeHidden();
    await expect(panel.getByRole('row').filter({ hasText: KEY_CREATOR })).toBeVisible();
  });
});
