// GraphiQL at /graphql comes from the portal's own bundle: with every request to anything but
// 127.0.0.1 blocked (a machine without internet access) it loads and runs a query, under the
// suite's Content-Security-Policy (support.ts: no inline scripts, no eval, same-origin scripts,
// workers and connections; any violation fails the test).
import { env, expect, openPortal, test } from './support';

test('GraphiQL works offline and under a strict CSP', async ({ page, context, csp }) => {
  const outside: string[] = [];
  await context.route('**/*', async (route) => {
    const url = new URL(route.request().url());
    if (url.hostname !== '127.0.0.1') {
      outside.push(url.href);
      await route.abort('internetdisconnected');
      return;
    }
    await route.fallback(); // the suite's handler adds the Content-Security-Policy
  });
  await context.routeWebSocket(/.*/, (ws) => {
    if (new URL(ws.url()).hostname !== '127.0.0.1') {
      outside.push(ws.url());
      ws.close();
    } else {
      ws.connectToServer();
    }
  });
  await test.step('sign in to the portal', async () => {
    await openPortal(page);
  });

  await test.step('open /graphql: GraphiQL loads from the bundle', async () => {
    const response = await page.goto('/graphql', { waitUntil: 'domcontentloaded' });
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy'] || '').toContain("script-src 'self';");
    await expect(page.getByText('Loading GraphiQL…')).toBeHidden({ timeout: 20_000 });
    await expect(page.locator('.graphiql-container')).toBeVisible({ timeout: 20_000 });
    await expect(page.locator('.graphiql-query-editor .monaco-editor').first()).toBeVisible({ timeout: 20_000 });
  });

  await test.step('run { viewer { user { email } } } and see the signed-in user', async () => {
    const editor = page.locator('.graphiql-query-editor .monaco-editor').first();
    await editor.click();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.press('Delete');
    await page.keyboard.insertText('{ viewer { user { email } } }');
    const answered = page.waitForResponse(
      (r) => r.url() === `${env.baseUrl}/graphql` && r.request().method() === 'POST' && (r.request().postData() || '').includes('viewer'),
    );
    await page.getByRole('button', { name: /Execute query/ }).click();
    const body = await (await answered).json();
    expect(body).toEqual({ data: { viewer: { user: { email: env.email } } } });
    await expect(page.locator('.graphiql-response')).toContainText(env.email);
  });

  await test.step('nothing tried to leave 127.0.0.1 and nothing broke the CSP', async () => {
    expect(outside, 'requests to other hosts').toEqual([]);
    expect(csp, 'Content-Security-Policy violations').toEqual([]);
  });
});
