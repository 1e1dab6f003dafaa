// Settings › Developers › Audit log. From Node: a collection link is created (an audited
// `collection.link_created` event). In the browser: the action filter lives in the URL and finds the
// event, its details open, and an NDJSON export of the filtered events becomes COMPLETED; its signed
// link downloads lines that carry the event and its chain digest.
import { readFileSync } from 'node:fs';
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { apiSession, endSession, env, expect, expectInPanel, gql, openPortal, selectEntity, test } from './support';

const EXPORT_TIMEOUT_MS = 30_000;

async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')})`);
}

test('filters audit events, shows one, and exports them as NDJSON', async ({ page }) => {
  const { token, entityId } = await apiSession();
  try {
    await gql(
      `mutation Link($input: CreateCollectionDownloadInput!) { createCollectionDownload(input: $input) { url } }`,
      { input: { entityId, mode: 'TEST', format: 'POSTMAN' } },
      token,
    );
  } finally {
    await endSession(token);
  }

  await openPortal(page);
  await selectEntity(page, env.entity, entityId);
  const panel = page.getByRole('tabpanel');
  const events = panel.getByRole('table', { name: 'Audit events' });

  await test.step('open the Audit log tab and filter by action (in the URL)', async () => {
    await page.getByRole('tab', { name: 'Audit log', exact: true }).click();
    await expectInPanel(panel, events, 'the audit events table');
    await panel.getByLabel('Action').fill('collection.*');
    await panel.getByRole('button', { name: 'Apply' }).click();
    await expect(page).toHaveURL(/[?&]action=collection\.\*/);
    await expect(events.getByText('collection.link_created').first()).toBeVisible();
    await expect(events.locator('tbody tr').filter({ hasNotText: 'collection.' })).toHaveCount(0);
    expect(await seriousViolations(page)).toEqual([]);
  });

  await test.step('open an event', async () => {
    await events.getByRole('button', { name: /Details of collection\.link_created/ }).first().click();
    const dialog = page.getByRole('dialog', { name: 'Audit event' });
    await expect(dialog.getByTestId('audit-event-detail')).toContainText('collection.link_created');
    await expect(dialog.getByTestId('audit-event-detail')).toContainText('Chain digest');
    expect(await seriousViolations(page)).toEqual([]);
    await dialog.getByRole('button', { name: 'Close' }).click();
  });

  await test.step('export NDJSON; it becomes COMPLETED and downloads the events with their digests', async () => {
    await panel.getByRole('button', { name: 'Export', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Export audit events' });
    await dialog.getByRole('radio', { name: /NDJSON/ }).check();
    await dialog.getByRole('button', { name: 'Start export' }).click();
    await expect(dialog).toBeHidden();
    const row = panel.getByRole('table', { name: 'Audit exports' }).locator('tbody tr').first();
    await expect(row.getByTestId('audit-export-status')).toHaveText('COMPLETED', { timeout: EXPORT_TIMEOUT_MS });
    await expect(panel.getByTestId('verify-note')).toContainText('verify_audit_export.py');
    const downloading = page.waitForEvent('download');
    await row.getByTestId('audit-export-download').click();
    const download = await downloading;
    const lines = readFileSync((await download.path())!, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const event = lines.find((l) => l.action === 'collection.link_created');
    expect(event, 'the export holds the collection.link_created event').toBeTruthy();
    expect(event.digest).toBeTruthy();
    expect(lines.every((l) => !l.action || l.action.startsWith('collection.'))).toBe(true);
  });

  await test.step('390 px wide: the tab does not scroll sideways', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await expect(events).toBeVisible();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow, 'the Audit log tab scrolls sideways at 390 px').toBeLessThanOrEqual(1);
  });
});
