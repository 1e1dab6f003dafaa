// Site admins: /admin/entities finds an entity, impersonation starts from there, a banner stays
// visible while impersonating, and stopping returns to the search.
import { env, expect, signIn, test } from './support';

const SITE_ADMIN = 'root@portal.example';

test('a site admin impersonates an entity with a banner, then stops', async ({ page }) => {
  const banner = page.getByTestId('impersonation-banner');

  await test.step('sign in: the entity search opens', async () => {
    await page.goto('/admin/entities', { waitUntil: 'domcontentloaded' });
    await signIn(page, SITE_ADMIN, env.password);
    await expect(page).toHaveURL(/\/admin\/entities/);
    await expect(page.getByRole('heading', { name: 'Entities', level: 1 })).toBeVisible();
    await expect(banner).toHaveCount(0);
  });

  await test.step(`search "${env.entity}"`, async () => {
    await page.getByLabel('Search entities').fill(env.entity);
    await expect(page).toHaveURL(new RegExp(`[?&]q=${env.entity}`));
    await expect(page.getByRole('table', { name: 'Entities' }).getByRole('cell', { name: env.entity, exact: true }).first()).toBeVisible();
  });

  await test.step('impersonate: the banner shows and the Developers page opens', async () => {
    await page.getByRole('button', { name: `Impersonate ${env.entity}`, exact: true }).click();
    await expect(banner).toBeVisible();
    await expect(banner).toContainText(`Impersonating ${env.entity}`);
    await expect(banner).toContainText(SITE_ADMIN);
    await expect(page).toHaveURL(/\/developers\/api-keys\?mode=test$/);
    await expect(page.getByRole('tab', { name: 'API keys', exact: true })).toHaveAttribute('aria-selected', 'true');
  });

  await test.step('the banner stays on every tab and after a reload', async () => {
    await page.getByRole('tab', { name: 'Team', exact: true }).click();
    await expect(banner).toBeVisible();
    await page.reload({ waitUntil: 'domcontentloaded' });
    await expect(banner).toBeVisible();
  });

  await test.step('stop: the banner goes, back to the search', async () => {
    await banner.getByRole('button', { name: 'Stop impersonating', exact: true }).click();
    await expect(banner).toHaveCount(0);
    await expect(page).toHaveURL(/\/admin\/entities/);
  });
});
