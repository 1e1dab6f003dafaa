// A custom role with only logs.read and analytics.read gets the Developers page with the Logs and
// Analytics (and Needs attention) tabs plus the Docs and SDKs every developer gets (no API keys, webhooks, settings).
import { apiSession, endSession, env, expect, gql, signIn, test } from './support';

const MANAGER = 'manager@acme.example';

interface Members {
  entity: { members: { edges: { node: { id: string; role: string; user: { email: string } } }[] } };
}

test('a custom role sees only the developer tabs its permissions allow', async ({ page }) => {
  const { token, entityId } = await apiSession();
  const members = await gql<Members>(
    'query($e: ID!) { entity(id: $e) { members(first: 100) { edges { node { id role user { email } } } } } }',
    { e: entityId },
    token,
  );
  const manager = members.entity.members.edges.map((e) => e.node).find((m) => m.user.email === MANAGER);
  expect(manager, 'the demo manager is a member of the entity').toBeTruthy();
  const role = await gql<{ createCustomRole: { customRole: { id: string } } }>(
    'mutation($e: ID!, $n: String!) { createCustomRole(input: {entityId: $e, name: $n, ' +
      'permissions: ["logs.read", "analytics.read"]}) { customRole { id } } }',
    { e: entityId, n: `Log reader ${Date.now()}` },
    token,
  );
  const roleId = role.createCustomRole.customRole.id;
  const change = (to: string, customRoleId: string | null) =>
    gql(
      'mutation($m: ID!, $r: Role!, $c: ID) { changeMemberRole(input: {membershipId: $m, role: $r, customRoleId: $c}) { membership { id } } }',
      { m: manager!.id, r: to, c: customRoleId },
      token,
    );
  await change('CUSTOM', roleId);
  try {
    await page.goto('/', { waitUntil: 'domcontentloaded' });
    await signIn(page, MANAGER, env.password);
    const tabs = page.getByRole('tablist').getByRole('tab');
    await expect(tabs.first()).toBeVisible();
    await expect(tabs).toHaveText(['Logs', 'Analytics', 'Needs attention', 'Docs', 'SDKs']);
    await expect(page).toHaveURL(/\/developers\/logs\?mode=test/);
    await expect(page.getByRole('tab', { name: 'API keys', exact: true })).toHaveCount(0);
    await page.goto(new URL(page.url()).pathname.replace(/developers\/.*/, 'developers/api-keys?mode=test'));
    await expect(page).toHaveURL(/\/developers\/logs\?mode=test/);
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  } finally {
    await change('MANAGER', null);
    await gql(
      'mutation($e: ID!, $r: ID!) { deleteCustomRole(input: {entityId: $e, id: $r}) { __typename } }',
      { e: entityId, r: roleId },
      token,
    ).catch(() => {});
    await endSession(token);
  }
});
