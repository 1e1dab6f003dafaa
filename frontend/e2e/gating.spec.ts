// Settings › Developers is for owners, admins and custom roles with a developer permission: a STAFF
// member is told why it is missing (in the product's words), an ADMIN gets the developer tabs.
import { env, expect, signIn, test } from './support';

const STAFF = 'staff@acme.example';
const ADMIN = 'admin@acme.example';

test('a STAFF member has no Developers page; an ADMIN has it, opening on API keys', async ({ page }) => {
  await test.step('STAFF: the page says why, no developer tab is offered', async () => {
    await page.goto('/', { waitUntil: 'domcontentloaded' });
    await signIn(page, STAFF, env.password);
    const notice = page.getByTestId('developers-unavailable');
    await expect(notice).toBeVisible();
    await expect(notice).toContainText(
      'Developers tab is missing: confirm your role is owner or admin and the entity has API access enabled',
    );
    await expect(notice).toContainText('Staff');
    await expect(page.getByRole('tablist')).toHaveCount(0);
    await expect(page.getByRole('tab', { name: 'API keys', exact: true })).toHaveCount(0);
  });

  await test.step('STAFF: a deep link to a developer tab shows the same notice', async () => {
    const url = new URL(page.url());
    await page.goto(url.pathname.replace(/developers\/.*/, 'developers/logs?mode=live'));
    await expect(page.getByTestId('developers-unavailable')).toBeVisible();
    await expect(page.getByRole('tabpanel')).toHaveCount(0);
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await expect(page.getByLabel('Email', { exact: true })).toBeVisible();
  });

  await test.step('ADMIN: the developer tabs, opening on API keys', async () => {
    await page.goto('/', { waitUntil: 'domcontentloaded' });
    await signIn(page, ADMIN, env.password);
    await expect(page).toHaveURL(/\/developers\/api-keys\?mode=test$/);
    await expect(page.getByTestId('developers-unavailable')).toHaveCount(0);
    for (const name of ['API keys', 'Webhooks', 'Logs', 'Analytics', 'Team', 'Entity settings']) {
      await expect(page.getByRole('tab', { name, exact: true })).toBeVisible();
    }
    await expect(page.getByRole('tab', { name: 'API keys', exact: true })).toHaveAttribute('aria-selected', 'true');
  });

  await test.step('ADMIN: the entity settings tab shows API access and log settings', async () => {
    await page.getByRole('tab', { name: 'Entity settings', exact: true }).click();
    const panel = page.getByRole('tabpanel');
    await expect(panel.getByLabel('API access enabled')).toBeChecked();
    await expect(panel.getByLabel('Retention (days)')).toBeVisible();
    await expect(panel.getByRole('button', { name: 'Save settings' })).toBeDisabled();
  });
});
