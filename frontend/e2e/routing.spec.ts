// Every view has a URL: a link opens the same tab, mode and filters (after signing in), Back and
// Forward step through tab and filter changes, and a reload keeps the view.
import { apiSession, endSession, env, expect, signIn, test, pageModeRadio } from './support';

test('a deep link opens the view it names; Back, Forward and reload keep it', async ({ page }) => {
  const { token, entityId } = await apiSession();
  await endSession(token);
  const panel = page.getByRole('tabpanel');
  const logsPath = `/entities/${entityId}/developers/logs`;
  const mode = (name: 'Test' | 'Live') => pageModeRadio(page, name);

  await test.step('a link to filtered logs, opened signed out, shows them after sign-in', async () => {
    await page.goto(`${logsPath}?mode=test&range=7d&status=4xx&method=post&path=/v1/orders`);
    await signIn(page);
    await expect(page).toHaveURL(`${env.baseUrl}${logsPath}?mode=test&range=7d&status=4xx&method=post&path=/v1/orders`);
    await expect(page.getByRole('tab', { name: 'Logs', exact: true })).toHaveAttribute('aria-selected', 'true');
    await expect(mode('Test')).toHaveAttribute('aria-checked', 'true');
    await expect(panel.getByLabel('Time range', { exact: true })).toHaveValue('7d');
    await expect(panel.getByLabel('Status', { exact: true })).toHaveValue('4');
    await expect(panel.getByLabel('Method', { exact: true })).toHaveValue('POST');
    await expect(panel.getByLabel('Path contains', { exact: true })).toHaveValue('/v1/orders');
    await expect(panel.getByRole('status').filter({ hasText: 'last 7 days · test mode' })).toBeVisible();
  });

  await test.step('a filter change is a history entry', async () => {
    await panel.getByLabel('Method', { exact: true }).selectOption('GET');
    await expect(page).toHaveURL(/method=GET/);
    await page.goBack();
    await expect(panel.getByLabel('Method', { exact: true })).toHaveValue('POST');
    await page.goForward();
    await expect(panel.getByLabel('Method', { exact: true })).toHaveValue('GET');
  });

  await test.step('typing in a text filter makes one entry; Back clears the box again', async () => {
    const requestId = panel.getByLabel('Request ID', { exact: true });
    await requestId.pressSequentially('req_none', { delay: 20 });
    await expect(page).toHaveURL(/[?&]request=req_none(&|$)/);
    await page.goBack();
    await expect(page).not.toHaveURL(/request=/);
    await expect(requestId).toHaveValue('');
    await expect(panel.getByLabel('Method', { exact: true })).toHaveValue('GET');
  });

  await test.step('switching tab keeps the mode; Back returns to the filtered logs', async () => {
    await page.getByRole('tab', { name: 'Analytics', exact: true }).click();
    await expect(page).toHaveURL(`${env.baseUrl}/entities/${entityId}/developers/analytics?mode=test`);
    await expect(mode('Test')).toHaveAttribute('aria-checked', 'true');
    await panel.getByRole('radiogroup', { name: 'Range' }).getByRole('radio', { name: '7 d', exact: true }).click();
    await expect(page).toHaveURL(/analytics\?mode=test&range=7d$/);
    await page.goBack();
    await expect(page).toHaveURL(/analytics\?mode=test$/);
    await expect(panel.getByRole('radiogroup', { name: 'Range' }).getByRole('radio', { name: '24 h', exact: true })).toHaveAttribute(
      'aria-checked',
      'true',
    );
    await page.goBack();
    await expect(page.getByRole('tab', { name: 'Logs', exact: true })).toHaveAttribute('aria-selected', 'true');
    await expect(panel.getByLabel('Method', { exact: true })).toHaveValue('GET');
    await expect(panel.getByLabel('Status', { exact: true })).toHaveValue('4');
    await page.goForward();
    await expect(page.getByRole('tab', { name: 'Analytics', exact: true })).toHaveAttribute('aria-selected', 'true');
  });

  await test.step('a reload keeps the tab and its filters', async () => {
    await page.getByRole('tab', { name: 'API keys', exact: true }).click();
    await panel.getByLabel('Status', { exact: true }).selectOption('REVOKED');
    await panel.getByLabel('Search', { exact: true }).fill('e2e');
    await expect(page).toHaveURL(/api-keys\?mode=test&status=revoked&q=e2e$/);
    await page.reload({ waitUntil: 'domcontentloaded' });
    await expect(page.getByRole('tab', { name: 'API keys', exact: true })).toHaveAttribute('aria-selected', 'true');
    await expect(mode('Test')).toHaveAttribute('aria-checked', 'true');
    await expect(panel.getByLabel('Status', { exact: true })).toHaveValue('REVOKED');
    await expect(panel.getByLabel('Search', { exact: true })).toHaveValue('e2e');
  });

  await test.step('an entity the viewer cannot open falls back to one they can, on the same tab', async () => {
    await page.goto('/entities/ent_not_mine/developers/analytics?mode=test');
    await expect(page).toHaveURL(/\/entities\/(?!ent_not_mine)[^/]+\/developers\/analytics\?mode=test$/);
    await expect(page.getByRole('tab', { name: 'Analytics', exact: true })).toHaveAttribute('aria-selected', 'true');
  });

  await test.step('an unknown tab opens API keys in Test mode; "/" opens the last entity', async () => {
    await page.goto(`/entities/${entityId}/developers/nope`);
    await expect(page).toHaveURL(`${env.baseUrl}/entities/${entityId}/developers/api-keys?mode=test`);
    await page.goto('/');
    await expect(page).toHaveURL(new RegExp(`/entities/${entityId}/developers/api-keys\\?mode=test$`));
  });
});
