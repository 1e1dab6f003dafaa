// Site admins: /admin/entities finds an entity, impersonation starts from there, a banner stays
// visible while impersonating, and stopping returns to the search. "Act as…" chooses the member to
// act as: their role applies (a STAFF member has no Developers page), the audit log records both
// identities, and switching to another member while impersonating keeps the admin behind it.
import AxeBuilder from '@axe-core/playwright';
import { apiSession, endSession, env, expect, gql, screenshot, signIn, test } from './support';

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

test('a site admin chooses the member to act as: their role applies, both identities are audited', async ({ page }, testInfo) => {
  const banner = page.getByTestId('impersonation-banner');
  const actAs = page.getByRole('button', { name: `Act as a member of ${env.entity}`, exact: true });
  const dialog = page.getByRole('dialog', { name: `Act as a member of ${env.entity}` });
  const member = (email: string) => dialog.getByRole('radio', { name: email, exact: true });

  await test.step('sign in, search the entity, open "Act as…"', async () => {
    await page.goto(`/admin/entities?q=${env.entity}`, { waitUntil: 'domcontentloaded' });
    await signIn(page, SITE_ADMIN, env.password);
    await actAs.click();
    await expect(dialog).toBeVisible();
  });

  await test.step("the dialog lists the entity's members with their roles; the first owner is preselected", async () => {
    await expect(member(env.email)).toBeChecked();
    await expect(member(env.email)).toHaveAccessibleDescription(/Owner$/);
    await expect(member('staff@acme.example')).toHaveAccessibleDescription(/Staff$/);
    await expect(member('admin@globex.example'), "another entity's member is offered").toHaveCount(0);
    await member('staff@acme.example').check();
    await expect(member('staff@acme.example')).toBeFocused();
    const axe = await new AxeBuilder({ page }).include('dialog').withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    const serious = axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help}`);
    expect(serious, 'serious accessibility violations in the dialog').toEqual([]);
    await screenshot(page, testInfo, 'admin-act-as-member');
  });

  await test.step('act as the STAFF member: the banner names both, the Developers page is missing as for staff', async () => {
    await dialog.getByRole('button', { name: 'Impersonate', exact: true }).click();
    await expect(dialog).toBeHidden();
    await expect(banner).toContainText(`Impersonating ${env.entity} as staff@acme.example`);
    await expect(banner).toContainText(`signed in as ${SITE_ADMIN}`);
    const notice = page.getByTestId('developers-unavailable');
    await expect(notice).toContainText('Developers tab is missing');
    await expect(notice).toContainText('Staff');
    await expect(page.getByRole('tab', { name: 'API keys', exact: true })).toHaveCount(0);
  });

  await test.step('the audit log records the start with both identities', async () => {
    const { token, entityId } = await apiSession();
    try {
      const events = await gql<{ entity: { auditEvents: { edges: { node: { action: string; actorEmail: string; impersonatorEmail: string } }[] } } }>(
        'query($id: ID!) { entity(id: $id) { auditEvents(first: 20) { edges { node { action actorEmail impersonatorEmail } } } } }',
        { id: entityId },
        token,
      );
      const started = events.entity.auditEvents.edges.map((e) => e.node).find((n) => n.action === 'impersonation.started');
      expect(started).toEqual({ action: 'impersonation.started', actorEmail: 'staff@acme.example', impersonatorEmail: SITE_ADMIN });
    } finally {
      await endSession(token);
    }
  });

  await test.step('while impersonating, switch to the ADMIN member: the developer tabs appear', async () => {
    await page.getByRole('link', { name: 'Site admin: entities', exact: true }).click();
    await expect(page).toHaveURL(/\/admin\/entities/);
    await page.getByLabel('Search entities').fill(env.entity);
    await actAs.click();
    await member('admin@acme.example').check();
    await dialog.getByRole('button', { name: 'Impersonate', exact: true }).click();
    await expect(banner).toContainText(`Impersonating ${env.entity} as admin@acme.example`);
    await expect(banner).toContainText(`signed in as ${SITE_ADMIN}`);
    await expect(page.getByRole('tab', { name: 'API keys', exact: true })).toHaveAttribute('aria-selected', 'true');
    await expect(page.getByTestId('developers-context')).toContainText('your role: Admin');
  });

  await test.step('stop: back to the site admin', async () => {
    await banner.getByRole('button', { name: 'Stop impersonating', exact: true }).click();
    await expect(banner).toHaveCount(0);
    await expect(page).toHaveURL(/\/admin\/entities/);
  });
});
