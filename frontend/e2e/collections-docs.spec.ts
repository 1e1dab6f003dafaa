// Settings › Developers › Postman, Docs and SDKs. Postman: the collection and its environment (and
// the Bruno zips and the Insomnia YAML)
// download from the portal (signed link, the session's cookie) for the page's mode; the environment
// holds base_url and entity_id and an EMPTY secret api_key, and no file holds anything shaped like a
// key. Docs: the API reference opens in a new tab and renders /v1/openapi.json (the try-it run with
// a key is reference.spec.ts); a guide renders in the portal and its URL reopens it. SDKs: a
// snippet's copy button puts a snippet reading $API_KEY on the clipboard.
import { readFileSync } from 'node:fs';
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { env, expect, expectInPanel, openPortal, selectEntity, test } from './support';

const KEY_SHAPE = /[a-z]{2,8}_(live|test)_[a-z0-9]+_[A-Za-z0-9]{20,}/;

async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')})`);
}

test('downloads the Postman collection and an environment without a key', async ({ page }) => {
  await openPortal(page);
  await selectEntity(page, env.entity);
  const panel = page.getByRole('tabpanel');

  await test.step('open the Postman tab (Test mode)', async () => {
    await page.getByRole('tab', { name: 'Postman', exact: true }).click();
    await expect(page).toHaveURL(/\/developers\/postman\?mode=test/);
    await expectInPanel(panel, panel.getByTestId('key-advice'), 'the key advice');
    await expect(panel.getByTestId('key-advice')).toContainText('Paste the API key separately from a secure source');
    await expect(panel.getByText('--env-var api_key=$API_KEY').first()).toBeVisible();
    expect(await seriousViolations(page)).toEqual([]);
  });

  let entityId = '';
  await test.step('download the Postman collection', async () => {
    const downloading = page.waitForEvent('download');
    await panel.getByRole('button', { name: 'Download Postman collection' }).click();
    const download = await downloading;
    expect(download.suggestedFilename()).toMatch(/-test\.postman_collection\.json$/);
    const text = readFileSync((await download.path())!, 'utf8');
    expect(text).not.toMatch(KEY_SHAPE);
    const collection = JSON.parse(text);
    expect(collection.info.schema).toContain('v2.1');
    expect(JSON.stringify(collection.auth)).toContain('{{api_key}}');
    expect(collection.item.length).toBeGreaterThan(0);
  });

  await test.step('download the environment: base_url, entity_id and an empty secret api_key', async () => {
    const downloading = page.waitForEvent('download');
    await panel.getByRole('button', { name: 'Download Postman environment' }).click();
    const download = await downloading;
    expect(download.suggestedFilename()).toMatch(/-test\.postman_environment\.json$/);
    const text = readFileSync((await download.path())!, 'utf8');
    expect(text).not.toMatch(KEY_SHAPE);
    const environment = JSON.parse(text) as { values: { key: string; value: string; type?: string }[] };
    const byKey = Object.fromEntries(environment.values.map((v) => [v.key, v]));
    expect(byKey.api_key?.value).toBe('');
    expect(byKey.api_key?.type).toBe('secret');
    expect(byKey.base_url?.value).toContain('/v1');
    entityId = byKey.entity_id?.value ?? '';
    expect(entityId).toBeTruthy();
    expect(page.url()).toContain(encodeURIComponent(entityId));
  });

  await test.step('Bruno (both layouts) and Insomnia download too, with no key in them', async () => {
    for (const [title, name] of [
      ['Bruno (OpenCollection)', /\.zip$/],
      ['Bruno (classic .bru)', /\.zip$/],
      ['Insomnia', /\.ya?ml$/],
    ] as const) {
      const downloading = page.waitForEvent('download');
      await panel.getByRole('button', { name: `Download ${title}` }).click();
      const download = await downloading;
      expect(download.suggestedFilename()).toMatch(name);
      const bytes = readFileSync((await download.path())!);
      expect(bytes.length).toBeGreaterThan(100);
      if (title === 'Insomnia') {
        const text = bytes.toString('utf8');
        expect(text).toContain('collection.insomnia.rest/5.0');
        expect(text).not.toMatch(KEY_SHAPE);
      } else {
        expect(bytes.subarray(0, 2).toString('latin1')).toBe('PK');
      }
    }
  });
});

test('the Docs tab opens the API reference and renders a guide; the SDKs tab copies a snippet', async ({ page, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: env.baseUrl });
  await openPortal(page);
  await selectEntity(page, env.entity);
  const panel = page.getByRole('tabpanel');

  await test.step('Docs: the API reference opens in a new tab and renders offline', async () => {
    await page.getByRole('tab', { name: 'Docs', exact: true }).click();
    const reference = panel.getByRole('link', { name: 'API reference' }).first();
    await expectInPanel(panel, reference, 'the API reference link');
    await expect(reference).toHaveAttribute('target', '_blank');
    const popup = context.waitForEvent('page');
    await reference.click();
    const tab = await popup;
    await expect(tab).toHaveURL(/\/docs\/reference/);
    await expect(tab.locator('.swagger-ui .opblock').first()).toBeVisible({ timeout: 20_000 });
    await tab.close();
  });

  await test.step('Docs: the errors guide renders in the portal, and its URL reopens it', async () => {
    await panel.getByRole('navigation', { name: 'Docs' }).getByRole('link', { name: /error/i }).first().click();
    await expect(page).toHaveURL(/[?&]guide=errors/);
    const guide = panel.locator('article[data-guide="errors"]');
    await expect(guide.getByRole('heading', { level: 1 })).toBeVisible();
    await expect(guide.getByRole('table').first()).toBeVisible();
    await expect(guide).toContainText('rate_limited');
    await page.reload();
    await expect(panel.locator('article[data-guide="errors"]').getByRole('table').first()).toBeVisible();
    expect(await seriousViolations(page)).toEqual([]);
    // The guide's public URL (docLinks: /docs/guides/<slug>) opens it in the Docs tab too.
    await page.goto('/docs/guides/webhooks');
    await expect(page).toHaveURL(/\/developers\/docs\?(.*&)?guide=webhooks/);
    await expect(panel.locator('article[data-guide="webhooks"]').getByRole('heading', { level: 1 })).toBeVisible();
  });

  await test.step('SDKs: the listing and a curl snippet copied with $API_KEY', async () => {
    await page.getByRole('tab', { name: 'SDKs', exact: true }).click();
    await expect(panel.locator('[data-sdk]').first()).toBeVisible();
    await expect(panel.getByText(/Available|Coming soon/).first()).toBeVisible();
    const whoami = panel.locator('details.operation', { hasText: '/whoami' }).first();
    await whoami.locator('summary').click();
    await whoami.getByRole('button', { name: /Copy the curl snippet/ }).click();
    await expect(whoami.getByRole('button', { name: /Copy the curl snippet/ })).toHaveText('Copied');
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    expect(copied).toContain('curl');
    expect(copied).toContain('API_KEY');
    expect(copied).not.toMatch(KEY_SHAPE);
    await panel.getByRole('radio', { name: 'Python (httpx)' }).click();
    await expect(page).toHaveURL(/[?&]lang=python/);
    await expect(whoami.locator('pre')).toContainText('httpx');
    expect(await seriousViolations(page)).toEqual([]);
  });

  await test.step('390 px wide: the Postman, Docs and SDKs tabs do not scroll sideways', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    for (const [tab, target] of [
      ['Postman', panel.getByTestId('key-advice')],
      ['Docs', panel.getByRole('navigation', { name: 'Docs' })],
      ['SDKs', panel.locator('[data-sdk]').first()],
    ] as const) {
      await page.getByRole('tab', { name: tab, exact: true }).click();
      await expectInPanel(panel, target, `the ${tab} tab`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow, `the ${tab} tab scrolls sideways at 390 px`).toBeLessThanOrEqual(1);
    }
  });
});
