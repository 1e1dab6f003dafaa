// Team: an owner changes a member's role in a dialog (keyboard-friendly: the role field has the
// focus, Escape closes, the focus returns to the button that opened it) and back again.
import { env, expect, expectInPanel, openPortal, selectEntity, test } from './support';

const MEMBER = 'manager@acme.example';

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
});
