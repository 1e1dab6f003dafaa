// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { MemoryRouter, Route, Routes } from 'react-router';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { GraphQLRequestError } from '../shared/api/client';
import type { WebhookAttempt, WebhookDelivery, WebhookEndpoint } from './webhookUtils';

// The GraphQL client is replaced: each test answers by operation name.
const gqlRequest = vi.fn();
vi.mock('../shared/api/client', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../shared/api/client')>();
  return { ...actual, gqlRequest: (...args: unknown[]) => gqlRequest(...args) };
});

const { WebhooksTab } = await import('./WebhooksTab');
const { AttemptInspector } = await import('./AttemptInspector');

type Handler = (variables: Record<string, unknown>) => unknown;
function answer(handlers: Record<string, Handler>) {
  gqlRequest.mockImplementation(async (document: { toString(): string }, variables: Record<string, unknown> = {}) => {
    const name = /(?:query|mutation)\s+(\w+)/.exec(document.toString())?.[1] ?? '';
    const handler = handlers[name];
    if (!handler) throw new Error(`unexpected operation ${name}`);
    return handler(variables);
  });
}
function calls(name: string): Record<string, unknown>[] {
  return gqlRequest.mock.calls
    .filter(([doc]) => new RegExp(`(query|mutation)\\s+${name}\\b`).test(String(doc)))
    .map(([, vars]) => vars as Record<string, unknown>);
}

const CATALOG = {
  webhookEventTypes: [
    {
      family: 'order',
      description: 'Orders',
      eventTypes: [
        { type: 'order.created', family: 'order', description: 'An order was created', schema: { type: 'object' }, example: { id: 'ord_1', total: 12 } },
        { type: 'order.updated', family: 'order', description: 'An order changed', schema: { type: 'object' }, example: { id: 'ord_1' } },
      ],
    },
    {
      family: 'invoice',
      description: 'Invoices',
      eventTypes: [{ type: 'invoice.paid', family: 'invoice', description: 'Paid', schema: { type: 'object' }, example: { id: 'inv_1' } }],
    },
  ],
};

const INFRA = { jobAlive: true, dueCount: 0, heldCount: 0, oldestDueAt: null, oldestDueAgeSeconds: null };

function endpoint(overrides: Partial<WebhookEndpoint> = {}): WebhookEndpoint {
  return {
    id: 'whe_1',
    entityId: 'ent_1',
    mode: 'TEST',
    url: 'https://erp.example.com/hooks',
    description: 'ERP sync',
    eventTypes: ['order.*'],
    status: 'ACTIVE',
    statusReason: null,
    statusChangedAt: null,
    rateLimitPerSecond: null,
    maxConcurrency: null,
    failingSince: null,
    lastSuccessAt: null,
    lastDeliveryAt: null,
    createdAt: '2026-12-01T10:00:00Z',
    updatedAt: '2026-12-01T10:00:00Z',
    heldCount: 0,
    pendingCount: 0,
    secrets: [{ id: 'whs_1', createdAt: '2026-12-01T10:00:00Z', expiresAt: null }],
    stats: { hours: 24, attempts: 8, succeeded: 7, failed: 1, successRate: 0.875 },
    ...overrides,
  };
}

function attempt(overrides: Partial<WebhookAttempt> = {}): WebhookAttempt {
  return {
    id: 'wha_1',
    attemptedAt: '2026-12-02T15:00:00Z',
    url: 'https://erp.example.com/hooks',
    requestHeaders: [{ name: 'webhook-id', value: 'evt_1' }],
    statusCode: 500,
    responseHeaders: [{ name: 'content-type', value: 'text/plain' }],
    responseBody: 'boom',
    responseTruncated: false,
    latencyMs: 41.6,
    succeeded: false,
    errorClass: 'HTTP_STATUS',
    errorMessage: 'HTTP 500',
    ...overrides,
  };
}

function delivery(overrides: Partial<WebhookDelivery> = {}): WebhookDelivery {
  return {
    id: 'whd_1',
    endpointId: 'whe_1',
    eventId: 'evt_1',
    eventType: 'order.created',
    kind: 'EVENT',
    status: 'FAILED',
    attemptCount: 1,
    nextAttemptAt: null,
    lastAttemptAt: '2026-12-02T15:00:00Z',
    lastStatusCode: 500,
    lastError: 'HTTP 500',
    createdAt: '2026-12-02T15:00:00Z',
    completedAt: '2026-12-02T15:00:00Z',
    payload: '{"id":"evt_1","type":"order.created","data":{"id":"ord_1"}}',
    attempts: [attempt()],
    ...overrides,
  };
}

function list(endpoints: WebhookEndpoint[], infra = INFRA, liveModeEnabled = true) {
  return {
    entity: {
      id: 'ent_1',
      liveModeEnabled,
      webhookDelivery: infra,
      webhookEndpoints: {
        totalCount: endpoints.length,
        edges: endpoints.map((node) => ({ cursor: node.id, node })),
        pageInfo: { hasNextPage: false, endCursor: null },
      },
    },
  };
}

function deliveries(items: WebhookDelivery[], hasNextPage = false) {
  return {
    webhookEndpoint: {
      id: 'whe_1',
      deliveries: {
        totalCount: items.length,
        edges: items.map((node) => ({ cursor: `c_${node.id}`, node })),
        pageInfo: { hasNextPage, endCursor: hasNextPage ? `c_${items[items.length - 1].id}` : null },
      },
    },
  };
}

function renderTab(url: string) {
  return render(
    <MemoryRouter initialEntries={[url]}>
      <Routes>
        <Route path="/entities/:entityId/developers/:tab" element={<WebhooksTab entityId="ent_1" />} />
        <Route path="/entities/:entityId/developers/:tab/:detailId" element={<WebhooksTab entityId="ent_1" />} />
      </Routes>
    </MemoryRouter>,
  );
}

beforeEach(() => {
  // jsdom has <dialog> but its showModal/close may be missing: give it the minimum.
  const proto = HTMLDialogElement.prototype as unknown as Record<string, unknown>;
  proto.showModal ??= function (this: HTMLDialogElement) {
    this.setAttribute('open', '');
  };
  (Element.prototype as unknown as Record<string, unknown>).scrollIntoView ??= () => {};
  proto.close ??= function (this: HTMLDialogElement) {
    this.removeAttribute('open');
  };
});
afterEach(() => {
  cleanup();
  gqlRequest.mockReset();
});

describe('WebhooksTab list', () => {
  it('lists the endpoints of the URL mode with status, success rate, last delivery and held count', async () => {
    answer({
      EntityWebhookEndpoints: () =>
        list([endpoint(), endpoint({ id: 'whe_2', url: 'https://b.example.com/', status: 'PAUSED', heldCount: 4, stats: { hours: 24, attempts: 0, succeeded: 0, failed: 0, successRate: null } })]),
      WebhookEventTypes: () => CATALOG,
    });
    renderTab('/entities/ent_1/developers/webhooks?mode=live');
    const table = await screen.findByRole('table', { name: 'Webhook endpoints' });
    expect(calls('EntityWebhookEndpoints')[0]).toMatchObject({ id: 'ent_1', mode: 'LIVE' });
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows[0].textContent).toContain('https://erp.example.com/hooks');
    expect(rows[0].textContent).toContain('ERP sync');
    expect(rows[0].textContent).toContain('order.*');
    expect(rows[0].textContent).toContain('87.5%');
    expect(rows[0].textContent).toContain('Never');
    expect(within(rows[1]).getByTestId('webhook-status').textContent).toBe('Paused');
    expect(rows[1].textContent).toContain('—');
    expect(rows[1].lastElementChild?.textContent).toBe('4');
    expect(within(rows[0]).getByRole('link').getAttribute('href')).toBe('/entities/ent_1/developers/webhooks/whe_1?mode=live');
  });

  it('shows a clear empty state and the pending note', async () => {
    answer({
      EntityWebhookEndpoints: () => list([], { ...INFRA, jobAlive: false, dueCount: 2 }),
      WebhookEventTypes: () => CATALOG,
    });
    renderTab('/entities/ent_1/developers/webhooks');
    expect(await screen.findByText('No test webhooks yet')).toBeTruthy();
    expect(screen.getByTestId('delivery-pending').textContent).toMatch(/Delivery is pending: 2 deliveries/);
  });

  it('shows the forbidden notice without webhooks.manage', async () => {
    answer({
      EntityWebhookEndpoints: () => {
        throw new GraphQLRequestError('Requires webhooks.manage', 'FORBIDDEN');
      },
      WebhookEventTypes: () => CATALOG,
    });
    renderTab('/entities/ent_1/developers/webhooks');
    expect(await screen.findByTestId('webhooks-forbidden')).toBeTruthy();
  });

  it('creates an endpoint from the catalog and shows the secret once', async () => {
    answer({
      EntityWebhookEndpoints: () => list([]),
      WebhookEventTypes: () => CATALOG,
      CreateWebhookEndpoint: () => ({ createWebhookEndpoint: { secret: 'whsec_abc', endpoint: endpoint() } }),
    });
    renderTab('/entities/ent_1/developers/webhooks');
    fireEvent.click(await screen.findByRole('button', { name: 'Create webhook' }));
    const dialog = await screen.findByRole('dialog', { name: 'Create webhook' });
    const url = within(dialog).getByLabelText('Endpoint URL');
    fireEvent.change(url, { target: { value: 'https://erp.example.com/hooks' } });
    fireEvent.change(within(dialog).getByLabelText('Description'), { target: { value: 'ERP sync' } });
    await within(dialog).findByText('order.*');
    fireEvent.click(within(dialog).getByRole('checkbox', { name: /order\.\*/ }));
    fireEvent.click(within(dialog).getByRole('checkbox', { name: 'invoice.paid' }));
    fireEvent.change(within(dialog).getByLabelText('Concurrent deliveries'), { target: { value: '4' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Create webhook' }));
    const secret = await screen.findByTestId('webhook-secret');
    expect(secret.textContent).toBe('whsec_abc');
    expect(calls('CreateWebhookEndpoint')[0]).toEqual({
      input: {
        entityId: 'ent_1',
        mode: 'TEST',
        url: 'https://erp.example.com/hooks',
        description: 'ERP sync',
        eventTypes: ['*'],
        rateLimitPerSecond: null,
        maxConcurrency: 4,
      },
    });
    fireEvent.click(screen.getByRole('button', { name: 'Done' }));
    await waitFor(() => expect(screen.queryByTestId('webhook-secret')).toBeNull());
  });

  it('explains that a live endpoint waits for live mode, and does not send it', async () => {
    answer({ EntityWebhookEndpoints: () => list([], INFRA, false), WebhookEventTypes: () => CATALOG });
    renderTab('/entities/ent_1/developers/webhooks?mode=live');
    fireEvent.click(await screen.findByRole('button', { name: 'Create webhook' }));
    const dialog = await screen.findByRole('dialog', { name: 'Create webhook' });
    expect(within(dialog).getByTestId('live-mode-disabled').textContent).toMatch(
      /Live mode is not enabled for this entity: confirm the entity is production-ready/,
    );
    expect((within(dialog).getByRole('button', { name: 'Create webhook' }) as HTMLButtonElement).disabled).toBe(true);
  });

  it('focuses the first field, closes on Escape and gives the focus back', async () => {
    answer({ EntityWebhookEndpoints: () => list([]), WebhookEventTypes: () => CATALOG });
    renderTab('/entities/ent_1/developers/webhooks');
    const opener = await screen.findByRole('button', { name: 'Create webhook' });
    opener.focus();
    fireEvent.click(opener);
    const dialog = await screen.findByRole('dialog', { name: 'Create webhook' });
    await waitFor(() => expect(document.activeElement).toBe(within(dialog).getByLabelText('Endpoint URL')));
    // Escape: the browser fires "cancel" on the modal dialog.
    act(() => {
      dialog.dispatchEvent(new Event('cancel', { cancelable: true }));
    });
    await waitFor(() => expect(screen.queryByRole('dialog', { name: 'Create webhook' })).toBeNull());
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Create webhook' }));
  });

  it('puts a server field error next to its field', async () => {
    answer({
      EntityWebhookEndpoints: () => list([]),
      WebhookEventTypes: () => CATALOG,
      CreateWebhookEndpoint: () => {
        throw new GraphQLRequestError('Private addresses are not allowed', 'BAD_USER_INPUT', 'url');
      },
    });
    renderTab('/entities/ent_1/developers/webhooks');
    fireEvent.click(await screen.findByRole('button', { name: 'Create webhook' }));
    const dialog = await screen.findByRole('dialog', { name: 'Create webhook' });
    fireEvent.change(within(dialog).getByLabelText('Endpoint URL'), { target: { value: 'https://10.0.0.1/' } });
    await within(dialog).findByText('order.*');
    fireEvent.click(within(dialog).getByRole('checkbox', { name: 'invoice.paid' }));
    fireEvent.click(within(dialog).getByRole('button', { name: 'Create webhook' }));
    expect(await within(dialog).findByText('Private addresses are not allowed')).toBeTruthy();
    expect(within(dialog).getByLabelText('Endpoint URL').getAttribute('aria-invalid')).toBe('true');
    expect(calls('CreateWebhookEndpoint')[0]).toMatchObject({ input: { eventTypes: ['invoice.*'] } });
  });
});

describe('WebhooksTab detail', () => {
  function detail(ep: WebhookEndpoint, infra = INFRA) {
    return { entity: { id: 'ent_1', webhookDelivery: infra, webhookEndpoint: ep } };
  }

  it('shows the disabled banner with its reason and time', async () => {
    answer({
      WebhookEndpointDetail: () =>
        detail(endpoint({ status: 'DISABLED', statusReason: 'No successful delivery for 5 days', statusChangedAt: '2026-12-01T12:00:00Z', heldCount: 3 })),
      WebhookDeliveries: () => deliveries([]),
      WebhookEventTypes: () => CATALOG,
    });
    renderTab('/entities/ent_1/developers/webhooks/whe_1?mode=test');
    const banner = await screen.findByTestId('webhook-disabled');
    expect(banner.textContent).toContain('No successful delivery for 5 days');
    expect(banner.textContent).toMatch(/Disabled .*2026/);
    expect(screen.getByRole('button', { name: 'Resume' })).toBeTruthy();
    expect(await screen.findByText(/No deliveries yet/)).toBeTruthy();
  });

  it('filters deliveries by status and event type, and pages with the cursor', async () => {
    answer({
      WebhookEndpointDetail: () => detail(endpoint()),
      WebhookDeliveries: (vars) => (vars.after ? deliveries([delivery({ id: 'whd_2' })]) : deliveries([delivery()], true)),
      WebhookEventTypes: () => CATALOG,
    });
    renderTab('/entities/ent_1/developers/webhooks/whe_1?status=failed&event=order.created');
    await screen.findByRole('table', { name: 'Deliveries' });
    expect(calls('WebhookDeliveries')[0]).toMatchObject({
      id: 'whe_1',
      filter: { status: ['FAILED'], eventTypes: ['order.created'] },
      after: null,
    });
    fireEvent.click(screen.getByRole('button', { name: 'Load more' }));
    await waitFor(() => expect(screen.getAllByRole('button', { name: 'Inspect' })).toHaveLength(2));
    expect(calls('WebhookDeliveries')[1]).toMatchObject({ after: 'c_whd_1' });
  });

  it('sends a test event prefilled from the example and shows a refusal with its code', async () => {
    answer({
      WebhookEndpointDetail: () => detail(endpoint()),
      WebhookDeliveries: () => deliveries([]),
      WebhookEventTypes: () => CATALOG,
      SendTestEvent: () => {
        throw new GraphQLRequestError('The endpoint is paused', 'BAD_USER_INPUT', undefined, [
          { message: 'The endpoint is paused', extensions: { code: 'BAD_USER_INPUT', reason: 'endpoint_not_active' } as { code: string } },
        ]);
      },
    });
    renderTab('/entities/ent_1/developers/webhooks/whe_1');
    fireEvent.click(await screen.findByRole('button', { name: 'Send test event' }));
    const dialog = await screen.findByRole('dialog', { name: 'Send test event' });
    const payload = (await within(dialog).findByLabelText('Payload (data)')) as HTMLTextAreaElement;
    expect(JSON.parse(payload.value)).toEqual({ id: 'ord_1', total: 12 });
    fireEvent.change(payload, { target: { value: '{"id": "ord_9"}' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Send test event' }));
    const alert = await within(dialog).findByRole('alert');
    expect(alert.textContent).toContain('The endpoint is paused');
    expect(within(alert).getByTestId('error-code').textContent).toBe('BAD_USER_INPUT');
    expect(alert.textContent).toContain('reason: endpoint_not_active');
    expect(within(alert).getByRole('button', { name: 'Copy error' })).toBeTruthy();
    expect(calls('SendTestEvent')[0]).toEqual({ input: { endpointId: 'whe_1', eventType: 'order.created', data: { id: 'ord_9' } } });
  });

  it('shows a payload error from the server next to the editor', async () => {
    answer({
      WebhookEndpointDetail: () => detail(endpoint()),
      WebhookDeliveries: () => deliveries([]),
      WebhookEventTypes: () => CATALOG,
      SendTestEvent: () => {
        throw new GraphQLRequestError('data.total: must be a number', 'BAD_USER_INPUT', 'data');
      },
    });
    renderTab('/entities/ent_1/developers/webhooks/whe_1');
    fireEvent.click(await screen.findByRole('button', { name: 'Send test event' }));
    const dialog = await screen.findByRole('dialog', { name: 'Send test event' });
    await within(dialog).findByLabelText('Payload (data)');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Send test event' }));
    expect(await within(dialog).findByText('data.total: must be a number')).toBeTruthy();
    expect(within(dialog).getByLabelText('Payload (data)').getAttribute('aria-invalid')).toBe('true');
  });

  it('rotates the secret after the warning and shows the new one once', async () => {
    answer({
      WebhookEndpointDetail: () => detail(endpoint()),
      WebhookDeliveries: () => deliveries([]),
      WebhookEventTypes: () => CATALOG,
      RotateWebhookSecret: () => ({
        rotateWebhookSecret: { secret: 'whsec_new', previousSecretsExpireAt: '2026-12-03T15:00:00Z', endpoint: endpoint() },
      }),
    });
    renderTab('/entities/ent_1/developers/webhooks/whe_1');
    fireEvent.click(await screen.findByRole('button', { name: 'Rotate secret' }));
    const dialog = await screen.findByRole('dialog', { name: 'Rotate signing secret' });
    expect(within(dialog).getByTestId('rotate-warning').textContent).toMatch(/the receiving system must be updated/);
    fireEvent.click(within(dialog).getByRole('radio', { name: '1 hour' }));
    fireEvent.click(within(dialog).getByRole('button', { name: 'Rotate secret' }));
    expect((await screen.findByTestId('webhook-secret')).textContent).toBe('whsec_new');
    expect(screen.getByRole('dialog', { name: 'Copy the new signing secret' }).textContent).toMatch(/signed with both secrets until/);
    expect(calls('RotateWebhookSecret')[0]).toEqual({ input: { endpointId: 'whe_1', gracePeriodSeconds: 3600 } });
  });

  it('edits the endpoint, prefilled, clearing a limit with 0', async () => {
    answer({
      WebhookEndpointDetail: () => detail(endpoint({ rateLimitPerSecond: 5, eventTypes: ['order.created'] })),
      WebhookDeliveries: () => deliveries([]),
      WebhookEventTypes: () => CATALOG,
      UpdateWebhookEndpoint: () => ({ updateWebhookEndpoint: { endpoint: endpoint({ description: 'New owner' }) } }),
    });
    renderTab('/entities/ent_1/developers/webhooks/whe_1');
    fireEvent.click(await screen.findByRole('button', { name: 'Edit' }));
    const dialog = await screen.findByRole('dialog', { name: 'Edit webhook' });
    expect((within(dialog).getByLabelText('Endpoint URL') as HTMLInputElement).value).toBe('https://erp.example.com/hooks');
    expect((within(dialog).getByLabelText('Rate limit (deliveries/s)') as HTMLInputElement).value).toBe('5');
    expect((within(dialog).getByRole('checkbox', { name: 'order.created' }) as HTMLInputElement).checked).toBe(true);
    expect((within(dialog).getByRole('checkbox', { name: 'order.updated' }) as HTMLInputElement).checked).toBe(false);
    fireEvent.change(within(dialog).getByLabelText('Description'), { target: { value: 'New owner' } });
    fireEvent.change(within(dialog).getByLabelText('Rate limit (deliveries/s)'), { target: { value: '' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Save' }));
    expect(await screen.findByText('Saved.')).toBeTruthy();
    expect(calls('UpdateWebhookEndpoint')[0]).toEqual({
      input: {
        endpointId: 'whe_1',
        url: 'https://erp.example.com/hooks',
        description: 'New owner',
        eventTypes: ['order.created'],
        rateLimitPerSecond: 0,
        maxConcurrency: 0,
      },
    });
  });

  it('reveals the secret after a confirmation', async () => {
    answer({
      WebhookEndpointDetail: () => detail(endpoint()),
      WebhookDeliveries: () => deliveries([]),
      WebhookEventTypes: () => CATALOG,
      RevealWebhookSecret: () => ({ revealWebhookSecret: { secret: 'whsec_current' } }),
    });
    renderTab('/entities/ent_1/developers/webhooks/whe_1');
    fireEvent.click(await screen.findByRole('button', { name: 'Reveal secret' }));
    const dialog = await screen.findByRole('dialog', { name: 'Reveal signing secret' });
    expect(dialog.textContent).toMatch(/audit log/);
    expect(calls('RevealWebhookSecret')).toHaveLength(0);
    fireEvent.click(within(dialog).getByRole('button', { name: 'Reveal secret' }));
    expect((await screen.findByTestId('webhook-secret')).textContent).toBe('whsec_current');
  });

  it('pauses and resumes', async () => {
    answer({
      WebhookEndpointDetail: () => detail(endpoint()),
      WebhookDeliveries: () => deliveries([]),
      WebhookEventTypes: () => CATALOG,
      PauseWebhookEndpoint: () => ({ pauseWebhookEndpoint: { endpoint: endpoint({ status: 'PAUSED', heldCount: 2 }) } }),
      ResumeWebhookEndpoint: () => ({ resumeWebhookEndpoint: { endpoint: endpoint() } }),
    });
    renderTab('/entities/ent_1/developers/webhooks/whe_1');
    fireEvent.click(await screen.findByRole('button', { name: 'Pause' }));
    expect((await screen.findByTestId('webhook-paused')).textContent).toMatch(/2 deliveries are held/);
    fireEvent.click(screen.getByRole('button', { name: 'Resume' }));
    expect(await screen.findByText(/Resumed\. 2 held deliveries are sent/)).toBeTruthy();
    expect(screen.queryByTestId('webhook-paused')).toBeNull();
  });

  it('retries one delivery and replays failed ones since a time', async () => {
    answer({
      WebhookEndpointDetail: () => detail(endpoint()),
      WebhookDeliveries: () => deliveries([delivery()]),
      WebhookEventTypes: () => CATALOG,
      RetryWebhookDelivery: () => ({ retryWebhookDelivery: { delivery: delivery({ id: 'whd_9', kind: 'REPLAY', status: 'PENDING' }) } }),
      ReplayWebhookEvents: () => ({ replayWebhookEvents: { count: 3 } }),
    });
    renderTab('/entities/ent_1/developers/webhooks/whe_1');
    fireEvent.click(await screen.findByRole('button', { name: 'Retry delivery whd_1' }));
    expect(await screen.findByText('Retry queued.')).toBeTruthy();
    expect(calls('RetryWebhookDelivery')[0]).toEqual({ input: { deliveryId: 'whd_1' } });

    fireEvent.click(screen.getByRole('button', { name: 'Replay events' }));
    const dialog = await screen.findByRole('dialog', { name: 'Replay events' });
    fireEvent.change(within(dialog).getByLabelText('Since'), { target: { value: '2026-12-01T08:30' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Replay' }));
    expect(await screen.findByText('Replaying 3 events.')).toBeTruthy();
    expect(calls('ReplayWebhookEvents')[0]).toEqual({
      input: { endpointId: 'whe_1', from: new Date('2026-12-01T08:30').toISOString(), onlyFailed: true },
    });
  });

  it('looks again while a delivery is pending', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      let n = 0;
      answer({
        WebhookEndpointDetail: () => detail(endpoint()),
        WebhookDeliveries: () => deliveries([delivery(n++ === 0 ? { status: 'PENDING', attempts: [], attemptCount: 0 } : { status: 'SUCCEEDED' })]),
        WebhookEventTypes: () => CATALOG,
      });
      renderTab('/entities/ent_1/developers/webhooks/whe_1');
      expect((await screen.findByTestId('delivery-status')).textContent).toBe('Pending');
      await act(async () => {
        await vi.advanceTimersByTimeAsync(3100);
      });
      await waitFor(() => expect(screen.getByTestId('delivery-status').textContent).toBe('Succeeded'));
      expect(calls('WebhookEndpointDetail').length).toBeGreaterThanOrEqual(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('says so when the endpoint is not found', async () => {
    answer({
      WebhookEndpointDetail: () => ({ entity: { id: 'ent_1', webhookDelivery: INFRA, webhookEndpoint: null } }),
      WebhookEventTypes: () => CATALOG,
    });
    renderTab('/entities/ent_1/developers/webhooks/whe_x');
    expect(await screen.findByText('Webhook not found')).toBeTruthy();
  });

  it('browses the event catalog with schemas and examples', async () => {
    answer({ WebhookEventTypes: () => CATALOG });
    renderTab('/entities/ent_1/developers/webhooks/event-types');
    expect(await screen.findByRole('heading', { name: 'Event types' })).toBeTruthy();
    expect(screen.getByText('invoice.paid')).toBeTruthy();
    expect(screen.getAllByText('Example data')).toHaveLength(3);
    fireEvent.change(screen.getByLabelText('Search'), { target: { value: 'invoice' } });
    expect(screen.queryByText('order.created')).toBeNull();
  });
});

describe('AttemptInspector', () => {
  it('shows the request headers, payload, response, latency, error and the truncated mark', async () => {
    const d = delivery({
      attemptCount: 2,
      attempts: [
        attempt(),
        attempt({ id: 'wha_2', statusCode: 200, succeeded: true, errorClass: null, errorMessage: null, responseBody: 'ok'.repeat(10), responseTruncated: true, latencyMs: 12.2 }),
      ],
    });
    render(<AttemptInspector delivery={d} onClose={() => {}} />);
    const view = screen.getByTestId('attempt');
    // The latest attempt is shown first.
    expect(within(view).getByTestId('attempt-status').textContent).toBe('HTTP 200');
    expect(view.textContent).toContain('12 ms');
    expect(within(view).getByTestId('body-truncated')).toBeTruthy();
    expect(screen.getByText('webhook-id')).toBeTruthy();
    expect(screen.getByTestId('delivery-detail').textContent).toContain('evt_1');
    await act(async () => {
      fireEvent.change(screen.getByLabelText('Attempt'), { target: { value: '0' } });
    });
    expect(within(screen.getByTestId('attempt')).getByTestId('attempt-error').textContent).toBe('HTTP_STATUS: HTTP 500');
    expect(screen.getByText(/"type": "order.created"/)).toBeTruthy();
  });
});
