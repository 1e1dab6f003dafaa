// axe-core on the Developers page (API keys, Team, a dialog) at desktop and 390 px width: no serious
// or critical violations.
import AxeBuilder from '@axe-core/playwright';
import { env, expect, expectInPanel, openPortal, selectEntity, test } from './support';
import type { Page } from '@playwright/test';

async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')})`);
}

test('the Developers page has no serious accessibility violations', async ({ page }) => {
  const panel = page.getByRole('tabpanel');

  await test.step('API keys tab', async () => {
    await openPortal(page);
    await selectEntity(page, env.entity);
    await expectInPanel(panel, panel.getByRole('button', { name: 'Create API key' }).first(), 'the Create API key button');
    expect(await seriousViolations(page)).toEqual([]);
  });

  await test.step('Team tab', async () => {
    await page.getByRole('tab', { name: 'Team', exact: true }).click();
    await expectInPanel(panel, panel.getByRole('table', { name: 'Team members' }), 'the members table');
    expect(await seriousViolations(page)).toEqual([]);
  });

  await test.step('Add member dialog', async () => {
    await panel.getByRole('button', { name: 'Add member', exact: true }).click();
    await expect(page.getByRole('dialog').getByLabel('Email', { exact: true })).toBeFocused();
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel', exact: true }).click();
  });

  await test.step('390 px wide: no horizontal page scroll, no serious violations', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole('tab', { name: 'API keys', exact: true }).click();
    await expectInPanel(panel, panel.getByRole('button', { name: 'Create API key' }).first(), 'the Create API key button');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow, 'the page scrolls sideways at 390 px').toBeLessThanOrEqual(1);
    expect(await seriousViolations(page)).toEqual([]);
  });

  await test.step('390 px wide: Team and Entity settings fit too', async () => {
    for (const [tab, target] of [
      ['Team', panel.getByRole('table', { name: 'Team members' })],
      ['Entity settings', panel.getByLabel('API access enabled')],
    ] as const) {
      await page.getByRole('tab', { name: tab, exact: true }).click();
      await expectInPanel(panel, target, `the ${tab} tab`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow, `the ${tab} tab scrolls sideways at 390 px`).toBeLessThanOrEqual(1);
      expect(await seriousViolations(page)).toEqual([]);
    }
  });
});
