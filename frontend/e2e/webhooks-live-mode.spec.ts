// Settings › Developers › Webhooks in Live mode while the entity's "Live mode enabled" is off: the
// create dialog explains why a live endpoint cannot be made (the seed's "confirm the entity is
// production-ready") and offers no way to submit, and the server refuses it too; once an owner
// enables live mode in Entity settings, the same dialog creates the live endpoint.
// The endpoint made here is deleted at the end, and live mode is left on as the demo has it.
import { apiSession, endSession, env, expect, expectInPanel, gql, openPortal, selectEntity, switchMode, test } from './support';

const SEED_REASON = 'confirm the entity is production-ready';

test('a live webhook endpoint is refused until an owner enables live mode, then it is created', async ({ page }) => {
  const { token, entityId } = await apiSession();
  const url = `http://127.0.0.1:9/hooks/live-e2e-${Date.now().toString(36)}`;
  const setLiveMode = (on: boolean) =>
    gql(
      'mutation($input: UpdateEntityApiSettingsInput!) { updateEntityApiSettings(input: $input) { settings { liveModeEnabled } } }',
      { input: { entityId, liveModeEnabled: on } },
      token,
    );
  const panel = page.getByRole('tabpanel');
  const createButton = panel.getByRole('button', { name: 'Create webhook', exact: true });
  const createDialog = page.getByRole('dialog', { name: 'Create webhook' });
  const submit = createDialog.getByRole('button', { name: 'Create webhook', exact: true });
  const endpointRow = () => panel.getByRole('table', { name: 'Webhook endpoints' }).getByRole('row').filter({ hasText: url });
  let endpointId = '';

  async function openWebhooks() {
    await page.getByRole('tab', { name: 'Webhooks', exact: true }).click();
    await expectInPanel(panel, createButton, 'the "Create webhook" button');
  }

  async function fillDialog() {
    await createButton.click();
    await expect(createDialog).toBeVisible();
    await expect(createDialog).toContainText('Created in LIVE mode');
    await createDialog.getByLabel('Endpoint URL').fill(url);
    await createDialog.getByLabel('Description').fill('live e2e receiver (portal suite)');
    await createDialog.getByRole('checkbox', { name: /^All events/ }).check();
  }

  try {
    await test.step('GraphQL: the owner turns live mode off', async () => {
      await setLiveMode(false);
    });

    await test.step('Live webhooks: the create dialog says why and cannot submit', async () => {
      await openPortal(page);
      await selectEntity(page, env.entity, entityId);
      await openWebhooks();
      await switchMode(page, 'Live');
      await expect(page).toHaveURL(/\/developers\/webhooks\?mode=live/);
      await expect(page.getByTestId('page-mode')).toHaveText('Live mode');
      await expectInPanel(panel, createButton, 'the "Create webhook" button');
      await fillDialog();
      const note = createDialog.getByTestId('live-mode-disabled');
      await expect(note).toContainText('Live mode is not enabled for this entity');
      await expect(note).toContainText(SEED_REASON);
      await expect(note).toContainText('ask an owner to enable it (Entity settings)');
      await expect(submit).toBeDisabled();
      await createDialog.getByRole('button', { name: 'Cancel', exact: true }).click();
      await expect(createDialog).toBeHidden();
      await expect(endpointRow()).toHaveCount(0);
    });

    await test.step('the server refuses it too (BAD_USER_INPUT), whatever the UI does', async () => {
      const refused = await gql(
        'mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { endpoint { id } } }',
        { input: { entityId, mode: 'LIVE', url, eventTypes: ['*'] } },
        token,
      ).then(
        () => 'created',
        (e: Error) => e.message,
      );
      expect(refused).toContain('BAD_USER_INPUT');
      expect(refused).toContain(SEED_REASON);
    });

    await test.step('the owner enables live mode in Entity settings', async () => {
      await page.getByRole('tab', { name: 'Entity settings', exact: true }).click();
      const live = panel.getByRole('checkbox', { name: 'Live mode enabled', exact: true });
      await expectInPanel(panel, live, 'the live mode switch');
      await expect(live).not.toBeChecked();
      await live.check();
      await panel.getByRole('button', { name: 'Save settings', exact: true }).click();
      const confirm = page.getByRole('dialog', { name: 'Enable live mode?' });
      await confirm.getByRole('button', { name: 'Enable live mode', exact: true }).click();
      await expect(confirm).toBeHidden();
      await expect(panel.getByText('Entity settings saved.')).toBeVisible();
      await expect(page).toHaveURL(/mode=live/);
    });

    await test.step('the same dialog now creates the live endpoint', async () => {
      await openWebhooks();
      await fillDialog();
      await expect(createDialog.getByTestId('live-mode-disabled')).toHaveCount(0);
      await expect(submit).toBeEnabled();
      await submit.click();
      const secretDialog = page.getByRole('dialog', { name: 'Copy the signing secret' });
      const alert = createDialog.getByRole('alert');
      await expect(secretDialog.or(alert).first()).toBeVisible();
      expect(await alert.count(), `create failed: ${await alert.allInnerTexts()}`).toBe(0);
      await secretDialog.getByRole('button', { name: 'Done', exact: true }).click();
      await expect(secretDialog).toBeHidden();
      await expect(endpointRow()).toHaveCount(1);
      await expect(endpointRow().getByTestId('webhook-status')).toHaveText('Active');
    });

    await test.step('GraphQL: the endpoint is a live one of this entity', async () => {
      const found = await gql<{ entity: { webhookEndpoints: { edges: { node: { id: string; url: string; mode: string } }[] } } }>(
        'query($id: ID!) { entity(id: $id) { webhookEndpoints(mode: LIVE, first: 100) { edges { node { id url mode } } } } }',
        { id: entityId },
        token,
      );
      const mine = found.entity.webhookEndpoints.edges.map((e) => e.node).filter((n) => n.url === url);
      expect(mine.map((n) => n.mode)).toEqual(['LIVE']);
      endpointId = mine[0].id;
    });
  } finally {
    if (endpointId) {
      await gql('mutation($input: WebhookEndpointInput!) { deleteWebhookEndpoint(input: $input) { __typename } }', { input: { endpointId } }, token).catch(
        (e) => console.error(`warning: could not delete the live endpoint: ${e}`),
      );
    }
    await setLiveMode(true).catch((e) => console.error(`warning: could not turn live mode back on: ${e}`));
    await endSession(token);
  }
});
