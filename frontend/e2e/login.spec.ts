// Sign-in, the session cookie across reloads, the entity switcher, the page opening on API keys,
// the Team tab and sign-out.
import { env, expect, screenshot, selectEntity, signIn, test } from './support';

test('signs in, keeps the session across a reload, lists the team and signs out', async ({ page }, testInfo) => {
  const emailInput = page.getByLabel('Email', { exact: true });
  const passwordInput = page.getByLabel('Password', { exact: true });
  const signInButton = page.getByRole('button', { name: 'Sign in', exact: true });
  const signOutButton = page.getByRole('button', { name: 'Sign out', exact: true });
  const header = page.locator('header');
  const switcher = page.getByLabel('Entity', { exact: true });

  await test.step('open the portal and see the sign-in form', async () => {
    const response = await page.goto('/', { waitUntil: 'domcontentloaded' });
    expect(response?.ok(), `GET / returned HTTP ${response?.status()}`).toBe(true);
    await expect(emailInput).toBeVisible();
    await expect(passwordInput).toBeVisible();
    await expect(signInButton).toBeVisible();
  });

  await test.step('a wrong password shows an alert', async () => {
    await emailInput.fill(env.email);
    await passwordInput.fill(`${env.password}-definitely-wrong`);
    await signInButton.click();
    const alert = page.getByRole('alert').first();
    await expect(alert).toBeVisible();
    expect((await alert.innerText()).trim().length, 'the alert is empty').toBeGreaterThan(0);
    await expect(signOutButton, 'signed in with a wrong password').toBeHidden();
  });

  await test.step('sign in with the right password', async () => {
    await signIn(page);
  });

  await test.step(`the header shows ${env.email}`, async () => {
    await expect(header.getByText(env.email, { exact: true }).first()).toBeVisible();
  });

  await test.step('the session survives a reload (HttpOnly cookie)', async () => {
    await page.reload({ waitUntil: 'domcontentloaded' });
    await expect(signOutButton).toBeVisible();
    await expect(header.getByText(env.email, { exact: true }).first()).toBeVisible();
    const cookies = await page.context().cookies();
    expect(cookies.length, 'no session cookie').toBeGreaterThan(0);
    expect(cookies.every((c) => c.httpOnly), 'a cookie is readable from JavaScript').toBe(true);
  });

  await test.step(`the entity switcher lists "${env.entity}"`, async () => {
    await selectEntity(page, env.entity);
    const selected = await switcher.evaluate((el) => {
      const select = el as HTMLSelectElement;
      return select.options[select.selectedIndex]?.textContent?.trim() ?? '';
    });
    expect(selected).toContain(env.entity);
  });

  await test.step('the Developers page opens on API keys, in Test mode', async () => {
    await expect(page).toHaveURL(/\/developers\/api-keys\?mode=test$/);
    await expect(page.getByRole('tab', { name: 'API keys', exact: true })).toHaveAttribute('aria-selected', 'true');
  });

  await test.step(`the Team tab lists ${env.email}`, async () => {
    await page.getByRole('tab', { name: 'Team', exact: true }).click();
    await expect(page).toHaveURL(/\/developers\/team\?mode=test$/);
    const panel = page.getByRole('tabpanel');
    const cell = panel.getByRole('table').getByRole('cell', { name: env.email, exact: true });
    const forbidden = panel.getByText("You don't have access to this section");
    const alert = panel.getByRole('alert');
    await expect(cell.or(forbidden).or(alert).first()).toBeVisible();
    expect(await forbidden.isVisible(), 'the Team tab says "You don\'t have access to this section"').toBe(false);
    expect(await alert.count(), `the Team tab shows an error: ${await alert.allInnerTexts()}`).toBe(0);
    await expect(cell.first()).toBeVisible();
  });

  await test.step('screenshot', async () => {
    await screenshot(page, testInfo, 'login');
  });

  await test.step('signing out returns to the sign-in form', async () => {
    await signOutButton.click();
    await expect(emailInput).toBeVisible();
    await expect(passwordInput).toBeVisible();
    await expect(signInButton).toBeVisible();
  });

  await test.step('still signed out after a reload', async () => {
    await page.reload({ waitUntil: 'domcontentloaded' });
    await expect(emailInput).toBeVisible();
    await expect(signOutButton, 'still signed in after signing out and reloading').toBeHidden();
  });
});
