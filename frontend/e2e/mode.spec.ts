// The Developers page's one Test/Live switch: kept in the URL, carried by every tab, kept on reload
// and stepped through by Back; the header says which entity and mode actions apply to.
import { expect, openPortal, pageModeRadio, selectEntity, env, test } from './support';

test('the page mode is in the URL and every tab follows it', async ({ page }) => {
  const panel = page.getByRole('tabpanel');
  const context = page.getByTestId('developers-context');

  await test.step('the page opens on API keys in Test mode', async () => {
    await openPortal(page);
    await selectEntity(page, env.entity);
    await expect(page).toHaveURL(/\/developers\/api-keys\?mode=test$/);
    await expect(pageModeRadio(page, 'Test')).toHaveAttribute('aria-checked', 'true');
    await expect(context).toContainText(env.entity);
    await expect(context).toContainText('Test mode');
  });

  await test.step('switching to Live writes ?mode=live and the header says so', async () => {
    await pageModeRadio(page, 'Live').click();
    await expect(page).toHaveURL(/\/developers\/api-keys\?mode=live$/);
    await expect(context).toContainText('Live mode');
    // The tab has no mode control of its own any more.
    await expect(panel.getByLabel('Mode', { exact: true })).toHaveCount(0);
  });

  await test.step('every tab carries the mode', async () => {
    for (const [tab, path] of [
      ['Webhooks', 'webhooks'],
      ['Logs', 'logs'],
      ['Analytics', 'analytics'],
    ] as const) {
      await page.getByRole('tab', { name: tab, exact: true }).click();
      await expect(page).toHaveURL(new RegExp(`/developers/${path}\\?mode=live`));
      await expect(pageModeRadio(page, 'Live')).toHaveAttribute('aria-checked', 'true');
      await expect(panel.getByRole('radiogroup', { name: 'Mode' })).toHaveCount(0);
    }
    await page.getByRole('tab', { name: 'Logs', exact: true }).click();
    await expect(panel.getByRole('status').filter({ hasText: 'live mode' })).toBeVisible();
  });

  await test.step('a tab filter keeps the mode; reload keeps it; Back returns to Test', async () => {
    await panel.getByLabel('Method', { exact: true }).selectOption('POST');
    await expect(page).toHaveURL(/logs\?mode=live&.*method=POST/);
    await page.reload({ waitUntil: 'domcontentloaded' });
    await expect(pageModeRadio(page, 'Live')).toHaveAttribute('aria-checked', 'true');
    await pageModeRadio(page, 'Test').click();
    await expect(page).toHaveURL(/logs\?mode=test&.*method=POST/);
    await expect(panel.getByRole('status').filter({ hasText: 'test mode' })).toBeVisible();
    await page.goBack();
    await expect(pageModeRadio(page, 'Live')).toHaveAttribute('aria-checked', 'true');
  });

  await test.step('the switch works from the keyboard (arrow keys)', async () => {
    await pageModeRadio(page, 'Live').focus();
    await page.keyboard.press('ArrowLeft');
    await expect(page).toHaveURL(/mode=test/);
    await expect(pageModeRadio(page, 'Test')).toBeFocused();
  });
});
