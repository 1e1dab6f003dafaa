// The entity selector, for a user with several entities (seed 002: "Developers settings are scoped
// to the current entity. Confirm the entity selector before creating a key, reviewing logs..."):
// Globex's admin invites the demo owner, who accepts (GraphQL, the API the Team tab uses), so the
// owner belongs to Acme (owner) and Globex (admin). Each entity gets a TEST key and one request made
// with it. In the browser, switching entity changes the URL, the page's "Actions apply to" line, the
// keys and the logs listed; the tab and the mode carry over; a key created after switching belongs
// to the selected entity (its secret carries that entity's code) and mode. The membership is
// removed at the end.
import { apiSession, endSession, env, expect, expectInPanel, gql, openPortal, selectEntity, switchMode, test } from './support';
import type { Page } from '@playwright/test';

const OTHER_ADMIN = 'admin@globex.example';
const OTHER = 'Globex';

async function login(email: string): Promise<string> {
  const data = await gql<{ login: { token: string } }>(
    'mutation($email: String!, $password: String!) { login(email: $email, password: $password) { token } }',
    { email, password: env.password },
  );
  return data.login.token;
}

async function entityIdOf(token: string, name: string): Promise<string> {
  const viewer = await gql<{ viewer: { memberships: { entity: { id: string; name: string } }[] } }>(
    '{ viewer { memberships { entity { id name } } } }',
    {},
    token,
  );
  const found = viewer.viewer.memberships.find((m) => m.entity.name === name);
  expect(found, `no membership in ${name}`).toBeTruthy();
  return found!.entity.id;
}

/** A TEST key of the entity and the request ID of one GET /v1/whoami made with it. */
async function keyWithRequest(token: string, entityId: string, name: string): Promise<{ requestId: string; code: string }> {
  const created = await gql<{ createApiKey: { secret: string } }>(
    'mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }',
    { input: { entityId, name, mode: 'TEST', preset: 'read_only' } },
    token,
  );
  const response = await fetch(`${env.baseUrl}/v1/whoami`, { headers: { 'X-API-Key': created.createApiKey.secret } });
  expect(response.status).toBe(200);
  const requestId = response.headers.get('x-request-id') || '';
  expect(requestId).toMatch(/^req_/);
  // The log writer flushes in batches: wait until the request is readable through the API.
  const from = new Date(Date.now() - 3_600_000).toISOString();
  await expect
    .poll(
      async () => {
        const logs = await gql<{ entity: { requestLogs: { edges: unknown[] } } }>(
          'query($id: ID!, $f: RequestLogFilter!) { entity(id: $id) { requestLogs(filter: $f, first: 1) { edges { cursor } } } }',
          { id: entityId, f: { mode: 'TEST', from, to: new Date(Date.now() + 60_000).toISOString(), requestId } },
          token,
        );
        return logs.entity.requestLogs.edges.length;
      },
      { message: `request ${requestId} in the logs`, timeout: 10_000 },
    )
    .toBe(1);
  return { requestId, code: created.createApiKey.secret.split('_')[2] };
}

test('switching entity changes the URL, the context line, the keys and logs shown, and where actions apply', async ({ page }) => {
  const { token, entityId: acmeId } = await apiSession();
  const otherToken = await login(OTHER_ADMIN);
  const globexId = await entityIdOf(otherToken, OTHER);
  const stamp = Date.now().toString(36);
  const acmeKey = `acme switcher ${stamp}`;
  const globexKey = `globex switcher ${stamp}`;
  const uiKey = `made in globex ${stamp}`;
  let membershipId = '';
  const panel = page.getByRole('tabpanel');
  const context = page.getByTestId('developers-context');
  const switcher = page.getByLabel('Entity', { exact: true });
  const keyRows = (name: string) => panel.getByRole('table', { name: 'API keys' }).getByRole('row').filter({ hasText: name });
  const logRow = (id: string) => panel.getByRole('table', { name: 'Request logs' }).locator(`tr[data-request-id="${id}"]`);
  let acme = { requestId: '', code: '' };
  let globex = { requestId: '', code: '' };

  async function expectEntity(p: Page, id: string, name: string, tab: string, mode: 'test' | 'live') {
    await expect(p).toHaveURL(new RegExp(`/entities/${id}/developers/${tab}\\?mode=${mode}`));
    await expect(switcher).toHaveValue(id);
    await expect(context).toContainText(`Actions apply to ${name}`);
    await expect(p.getByTestId('page-mode')).toHaveText(mode === 'live' ? 'Live mode' : 'Test mode');
  }

  try {
    await test.step(`GraphQL: ${OTHER}'s admin invites the demo owner, who accepts`, async () => {
      const added = await gql<{ addMember: { membership: { id: string } | null; invitation: { id: string } | null } }>(
        'mutation($input: AddMemberInput!) { addMember(input: $input) { membership { id } invitation { id } } }',
        { input: { entityId: globexId, email: env.email, role: 'ADMIN' } },
        otherToken,
      );
      if (added.addMember.membership) {
        membershipId = added.addMember.membership.id;
      } else {
        const accepted = await gql<{ acceptInvitation: { membership: { id: string } } }>(
          'mutation($input: InvitationInput!) { acceptInvitation(input: $input) { membership { id } } }',
          { input: { id: added.addMember.invitation!.id } },
          token,
        );
        membershipId = accepted.acceptInvitation.membership.id;
      }
    });

    await test.step('GraphQL: a TEST key and one request in each entity', async () => {
      acme = await keyWithRequest(token, acmeId, acmeKey);
      globex = await keyWithRequest(token, globexId, globexKey);
      expect([acme.code, globex.code]).toEqual(['acme', 'globex']);
    });

    await test.step('the selector offers both entities with the role in each', async () => {
      await openPortal(page);
      await expect(switcher.locator('option', { hasText: `${env.entity} — Owner` })).toHaveCount(1);
      await expect(switcher.locator('option', { hasText: `${OTHER} — Admin` })).toHaveCount(1);
    });

    await test.step(`${env.entity}: its key is listed, not ${OTHER}'s`, async () => {
      await selectEntity(page, env.entity, acmeId);
      await page.getByRole('tab', { name: 'API keys', exact: true }).click();
      await switchMode(page, 'Test');
      await expectEntity(page, acmeId, env.entity, 'api-keys', 'test');
      await expectInPanel(panel, keyRows(acmeKey), `the key "${acmeKey}"`);
      await expect(keyRows(globexKey)).toHaveCount(0);
    });

    await test.step(`switch to ${OTHER}: same tab and mode, its key only, its name and the role in the page`, async () => {
      await selectEntity(page, OTHER, globexId);
      await expectEntity(page, globexId, OTHER, 'api-keys', 'test');
      await expect(context).toContainText('your role: Admin');
      await expectInPanel(panel, keyRows(globexKey), `the key "${globexKey}"`);
      await expect(keyRows(acmeKey)).toHaveCount(0);
    });

    await test.step(`a key created now belongs to ${OTHER} and Test mode`, async () => {
      await panel.getByRole('button', { name: 'Create API key', exact: true }).click();
      const createDialog = page.getByRole('dialog', { name: 'Create API key' });
      await expect(createDialog).toBeVisible();
      await createDialog.getByLabel('Name', { exact: true }).fill(uiKey);
      await expect(createDialog.getByRole('radio', { name: 'Test', exact: true })).toBeChecked();
      await createDialog.getByRole('radio', { name: 'Read-only', exact: true }).check();
      await createDialog.getByRole('button', { name: 'Create key', exact: true }).click();
      const secretDialog = page.getByRole('dialog', { name: 'Copy your API key' });
      await expect(secretDialog).toBeVisible();
      await expect(page.getByTestId('new-api-key')).toHaveText(/^pk_test_globex_/);
      await secretDialog.getByRole('button', { name: 'Done', exact: true }).click();
      await expect(keyRows(uiKey)).toHaveCount(1);
      await expect(keyRows(uiKey).getByText('TEST', { exact: true })).toBeVisible();
    });

    await test.step(`${OTHER}'s logs show its request only`, async () => {
      await page.getByRole('tab', { name: 'Logs', exact: true }).click();
      await expect(page).toHaveURL(new RegExp(`/entities/${globexId}/developers/logs\\?mode=test`));
      await expectInPanel(panel, logRow(globex.requestId), `the request ${globex.requestId}`);
      await expect(logRow(acme.requestId)).toHaveCount(0);
    });

    await test.step(`back to ${env.entity} from the Logs tab: its request only; the key made in ${OTHER} is not here`, async () => {
      await selectEntity(page, env.entity, acmeId);
      await expectEntity(page, acmeId, env.entity, 'logs', 'test');
      await expectInPanel(panel, logRow(acme.requestId), `the request ${acme.requestId}`);
      await expect(logRow(globex.requestId)).toHaveCount(0);
      await page.getByRole('tab', { name: 'API keys', exact: true }).click();
      await expectInPanel(panel, keyRows(acmeKey), `the key "${acmeKey}"`);
      await expect(keyRows(uiKey)).toHaveCount(0);
    });

    await test.step('the mode carries over a switch too, and a reload keeps the selected entity', async () => {
      await switchMode(page, 'Live');
      await expectEntity(page, acmeId, env.entity, 'api-keys', 'live');
      await selectEntity(page, OTHER, globexId);
      await expectEntity(page, globexId, OTHER, 'api-keys', 'live');
      await expectInPanel(panel, panel.getByRole('button', { name: 'Create API key', exact: true }), 'the "Create API key" button');
      await expect(keyRows(globexKey)).toHaveCount(0); // a TEST key
      await page.reload({ waitUntil: 'domcontentloaded' });
      await expectEntity(page, globexId, OTHER, 'api-keys', 'live');
    });
  } finally {
    if (membershipId) {
      await gql('mutation($input: RemoveMemberInput!) { removeMember(input: $input) { membershipId } }', { input: { membershipId } }, otherToken).catch(
        (e) => console.error(`warning: could not remove the owner from ${OTHER}: ${e}`),
      );
    }
    await endSession(otherToken);
    await endSession(token);
  }
});
