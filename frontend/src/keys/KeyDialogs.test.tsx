// @vitest-environment jsdom
import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_POLICY, type ApiKey, type ScopePreset, type ScopeResource } from './keyUtils';

// The GraphQL client is replaced: each test answers by operation name.
const gqlRequest = vi.fn();
vi.mock('../shared/api/client', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../shared/api/client')>();
  return { ...actual, gqlRequest: (...args: unknown[]) => gqlRequest(...args) };
});

const { CleanupDialog } = await import('./CleanupDialog');
const { EditApiKeyDialog } = await import('./ApiKeyDialogs');
const { CreateApiKeyDialog } = await import('./CreateApiKeyDialog');

type Handler = (variables: Record<string, unknown>) => unknown;
function answer(handlers: Record<string, Handler>) {
  gqlRequest.mockImplementation(async (document: { toString(): string }, variables: Record<string, unknown> = {}) => {
    const name = /(?:query|mutation)\s+(\w+)/.exec(document.toString())?.[1] ?? '';
    const handler = handlers[name];
    if (!handler) throw new Error(`unexpected operation ${name}`);
    return handler(variables);
  });
}

const DAY = 86_400_000;

beforeEach(() => {
  gqlRequest.mockReset();
  // jsdom has <dialog> but its showModal/close may be missing: give it the minimum.
  const proto = HTMLDialogElement.prototype as unknown as Record<string, unknown>;
  proto.showModal ??= function (this: HTMLDialogElement) {
    this.setAttribute('open', '');
  };
  proto.close ??= function (this: HTMLDialogElement) {
    this.removeAttribute('open');
  };
  (Element.prototype as unknown as Record<string, unknown>).scrollIntoView ??= () => {};
});

function key(overrides: Partial<ApiKey> = {}): ApiKey {
  return {
    id: 'key_1',
    name: 'smoke key',
    description: '',
    mode: 'TEST',
    start: 'pk_test_acme_abcd',
    last4: 'wxyz',
    scopes: ['orders:read'],
    ipAllowlist: [],
    status: 'ACTIVE',
    createdAt: new Date(Date.now() - DAY).toISOString(),
    expiresAt: new Date(Date.now() + 10 * DAY + 3_600_000).toISOString(),
    expiresSoon: true,
    lastUsedAt: null,
    lastUsedIp: null,
    revokedAt: null,
    leakedAt: null,
    leakReportUrl: null,
    leakSource: null,
    createdBy: null,
    revokedBy: null,
    justification: null,
    rotationDue: false,
    rateLimitPerSecond: null,
    rateLimitBurst: null,
    rotatedTo: null,
    rotatedFrom: null,
    ...overrides,
  };
}

describe('CleanupDialog', () => {
  it('lists the keys with a dry run first and revokes only when asked, with the same options', async () => {
    const inputs: Record<string, unknown>[] = [];
    answer({
      CleanupApiKeys: ({ input }) => {
        inputs.push(input as Record<string, unknown>);
        return { cleanupApiKeys: { dryRun: (input as { dryRun: boolean }).dryRun, revokedCount: 1, apiKeys: [key()] } };
      },
    });
    const onCleaned = vi.fn();
    render(<CleanupDialog entityId="ent_1" onCleaned={onCleaned} onClose={() => {}} />);
    fireEvent.click(screen.getByRole('checkbox', { name: 'Keys not used for' }));
    fireEvent.change(screen.getByLabelText('Days unused'), { target: { value: '30' } });
    fireEvent.click(screen.getByRole('button', { name: 'Find keys' }));
    const preview = await screen.findByTestId('cleanup-preview');
    expect(within(preview).getByText('smoke key')).toBeTruthy();
    expect(inputs).toEqual([{ entityId: 'ent_1', throwawayTestKeys: true, unusedForDays: 30, dryRun: true }]);
    expect(onCleaned).not.toHaveBeenCalled();

    fireEvent.click(screen.getByRole('button', { name: 'Revoke 1 key' }));
    await waitFor(() => expect(onCleaned).toHaveBeenCalledOnce());
    expect(inputs[1]).toEqual({ entityId: 'ent_1', throwawayTestKeys: true, unusedForDays: 30, dryRun: false });
  });

  it('asks for a new dry run when the options change', async () => {
    answer({ CleanupApiKeys: () => ({ cleanupApiKeys: { dryRun: true, revokedCount: 0, apiKeys: [key()] } }) });
    render(<CleanupDialog entityId="ent_1" onCleaned={() => {}} onClose={() => {}} />);
    fireEvent.click(screen.getByRole('button', { name: 'Find keys' }));
    await screen.findByRole('button', { name: 'Revoke 1 key' });
    fireEvent.click(screen.getByRole('checkbox', { name: /Throwaway test keys/ }));
    expect(screen.queryByRole('button', { name: 'Revoke 1 key' })).toBeNull();
    expect(screen.getByRole('button', { name: 'Find keys' })).toBeTruthy();
  });
});

describe('EditApiKeyDialog expiry', () => {
  it('shows the current expiry and sends a new date from a preset', async () => {
    const inputs: Record<string, unknown>[] = [];
    answer({
      UpdateApiKey: ({ input }) => {
        inputs.push(input as Record<string, unknown>);
        return { updateApiKey: { apiKey: key() } };
      },
    });
    const onSaved = vi.fn();
    render(<EditApiKeyDialog apiKey={key()} onSaved={onSaved} onClose={() => {}} />);
    expect(screen.getByText(/Currently: Expires in 10 days/)).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Expiry'), { target: { value: '90' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(onSaved).toHaveBeenCalledOnce());
    const sent = Date.parse(inputs[0].expiresAt as string);
    expect(Math.abs(sent - (Date.now() + 90 * DAY))).toBeLessThan(60_000);
    expect(inputs[0].clearExpiry).toBeUndefined();
  });

  it('clears the expiry with "Never"', async () => {
    const inputs: Record<string, unknown>[] = [];
    answer({
      UpdateApiKey: ({ input }) => {
        inputs.push(input as Record<string, unknown>);
        return { updateApiKey: { apiKey: key({ expiresAt: null }) } };
      },
    });
    render(<EditApiKeyDialog apiKey={key()} onSaved={() => {}} onClose={() => {}} />);
    fireEvent.change(screen.getByLabelText('Expiry'), { target: { value: 'never' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(inputs).toEqual([{ id: 'key_1', clearExpiry: true }]));
  });

  it('refuses a custom date in the past next to the field', async () => {
    answer({});
    render(<EditApiKeyDialog apiKey={key()} onSaved={() => {}} onClose={() => {}} />);
    fireEvent.change(screen.getByLabelText('Expiry'), { target: { value: 'custom' } });
    fireEvent.change(screen.getByLabelText('Expiry date'), { target: { value: '2000-01-01' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByText('The expiry date must be in the future.')).toBeTruthy();
    expect(gqlRequest).not.toHaveBeenCalled();
  });

  it('does not offer to change the expiry of a revoked key', () => {
    render(<EditApiKeyDialog apiKey={key({ status: 'REVOKED' })} onSaved={() => {}} onClose={() => {}} />);
    expect(screen.queryByLabelText('Expiry')).toBeNull();
    expect(screen.getByText(/A revoked key stays dead/)).toBeTruthy();
  });
});

describe('EditApiKeyDialog rate limit and justification', () => {
  it('sets the key\'s own limit, and goes back to the entity\'s when both fields are blanked', async () => {
    const inputs: Record<string, unknown>[] = [];
    answer({
      UpdateApiKey: ({ input }) => {
        inputs.push(input as Record<string, unknown>);
        return { updateApiKey: { apiKey: key() } };
      },
    });
    const own = key({ rateLimitPerSecond: 5, rateLimitBurst: 10, justification: 'Writes stock levels' });
    const first = render(<EditApiKeyDialog apiKey={own} onSaved={() => {}} onClose={() => {}} />);
    expect(screen.getByText(/Currently: 5 req\/s, burst 10/)).toBeTruthy();
    expect(screen.getByTestId('edit-justification').textContent).toBe('Writes stock levels');
    fireEvent.change(screen.getByLabelText('Requests per second'), { target: { value: '' } });
    fireEvent.change(screen.getByLabelText('Burst'), { target: { value: '' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(inputs).toEqual([{ id: 'key_1', clearRateLimit: true }]));
    first.unmount();

    render(<EditApiKeyDialog apiKey={key()} onSaved={() => {}} onClose={() => {}} />);
    fireEvent.change(screen.getByLabelText('Requests per second'), { target: { value: '2.5' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(inputs[1]).toEqual({ id: 'key_1', rateLimitPerSecond: 2.5 }));
  });

  it('refuses a burst that is not a whole number, next to the field', async () => {
    answer({});
    render(<EditApiKeyDialog apiKey={key()} onSaved={() => {}} onClose={() => {}} />);
    fireEvent.change(screen.getByLabelText('Burst'), { target: { value: '1.5' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByText('A whole number from 1 to 1000000.')).toBeTruthy();
    expect(gqlRequest).not.toHaveBeenCalled();
  });
});

describe('CreateApiKeyDialog scope grid', () => {
  const resources: ScopeResource[] = [
    {
      resource: 'orders',
      scopes: [
        { name: 'orders:read', access: 'read', description: 'Read orders', elevated: false },
        { name: 'orders:write', access: 'write', description: 'Write orders', elevated: true },
      ],
    },
  ];
  const presets: ScopePreset[] = [
    { id: 'read_only', name: 'Read-only', description: 'Reads', scopes: ['orders:read'], suggestedExpiryDays: null },
    { id: 'full', name: 'Full access', description: 'All', scopes: ['orders:read', 'orders:write'], suggestedExpiryDays: null },
  ];

  it('disables scopes and presets the viewer may not grant, with the reason, and sends the custom date', async () => {
    const inputs: Record<string, unknown>[] = [];
    answer({
      CreateApiKey: ({ input }) => {
        inputs.push(input as Record<string, unknown>);
        return { createApiKey: { secret: 'pk_test_x', apiKey: key() } };
      },
    });
    const onCreated = vi.fn();
    render(
      <CreateApiKeyDialog
        entityId="ent_1"
        defaultMode="LIVE"
        liveModeEnabled
        grantable={new Set(['orders:read'])}
        catalog={{ status: 'ready', resources, presets, policy: DEFAULT_POLICY }}
        onRetryCatalog={() => {}}
        onCreated={onCreated}
        onClose={() => {}}
      />,
    );
    const write = screen.getByRole('checkbox', { name: 'orders:write' }) as HTMLInputElement;
    expect(write.disabled).toBe(true);
    expect(write.getAttribute('aria-describedby')).toMatch(/-why/);
    expect(screen.getByText("Your role can't grant this scope")).toBeTruthy();
    expect(screen.getAllByText('Elevated').length).toBeGreaterThan(0);
    expect((screen.getByRole('radio', { name: 'Full access' }) as HTMLInputElement).disabled).toBe(true);
    expect((screen.getByRole('radio', { name: 'Live' }) as HTMLInputElement).checked).toBe(true);

    fireEvent.change(screen.getByLabelText('Name'), { target: { value: 'BI' } });
    fireEvent.click(screen.getByRole('radio', { name: 'Read-only' }));
    fireEvent.change(screen.getByLabelText('Expiry'), { target: { value: 'custom' } });
    const future = new Date(Date.now() + 40 * DAY);
    const pad = (n: number) => String(n).padStart(2, '0');
    const date = `${future.getFullYear()}-${pad(future.getMonth() + 1)}-${pad(future.getDate())}`;
    fireEvent.change(screen.getByLabelText('Expiry date'), { target: { value: date } });
    expect(screen.getByText(/\(in 40 days\)/)).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Create key' }));
    await waitFor(() => expect(onCreated).toHaveBeenCalledOnce());
    expect(inputs[0]).toMatchObject({ mode: 'LIVE', preset: 'read_only' });
    expect(inputs[0].expiresInDays).toBeUndefined();
    const at = new Date(inputs[0].expiresAt as string);
    expect([at.getDate(), at.getHours()]).toEqual([future.getDate(), 23]);
  });

  it('asks a justification when an elevated scope is picked, sends it and the rate limit', async () => {
    const inputs: Record<string, unknown>[] = [];
    answer({
      CreateApiKey: ({ input }) => {
        inputs.push(input as Record<string, unknown>);
        return { createApiKey: { secret: 'pk_test_x', apiKey: key() } };
      },
    });
    const onCreated = vi.fn();
    render(
      <CreateApiKeyDialog
        entityId="ent_1"
        defaultMode="TEST"
        liveModeEnabled
        grantable={null}
        catalog={{ status: 'ready', resources, presets, policy: DEFAULT_POLICY }}
        onRetryCatalog={() => {}}
        onCreated={onCreated}
        onClose={() => {}}
      />,
    );
    fireEvent.change(screen.getByLabelText('Name'), { target: { value: 'Sync' } });
    expect(screen.queryByLabelText('Justification')).toBeNull();
    fireEvent.click(screen.getByRole('checkbox', { name: 'orders:write' }));
    fireEvent.change(screen.getByLabelText('Requests per second'), { target: { value: '5' } });
    fireEvent.change(screen.getByLabelText('Burst'), { target: { value: '20' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create key' }));
    expect(await screen.findByText('Say why this key needs elevated scopes.')).toBeTruthy();
    expect(inputs).toHaveLength(0);
    fireEvent.change(screen.getByLabelText('Justification'), { target: { value: 'Writes shipped orders back' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create key' }));
    await waitFor(() => expect(onCreated).toHaveBeenCalledOnce());
    expect(inputs[0]).toMatchObject({
      scopes: ['orders:write'],
      justification: 'Writes shipped orders back',
      rateLimitPerSecond: 5,
      rateLimitBurst: 20,
    });
  });

  it('explains that live keys wait for live mode, and offers only the policy\'s expiries', () => {
    render(
      <CreateApiKeyDialog
        entityId="ent_1"
        defaultMode="LIVE"
        liveModeEnabled={false}
        grantable={null}
        catalog={{
          status: 'ready',
          resources,
          presets,
          policy: { ...DEFAULT_POLICY, expiryRequired: true, maxLifetimeDays: 90, expiryPresetDays: [30, 90] },
        }}
        onRetryCatalog={() => {}}
        onCreated={() => {}}
        onClose={() => {}}
      />,
    );
    expect(screen.getByTestId('live-mode-disabled').textContent).toMatch(
      /Live mode is not enabled for this entity: confirm the entity is production-ready/,
    );
    const options = [...(screen.getByLabelText('Expiry') as HTMLSelectElement).options].map((o) => o.value);
    expect(options).toEqual(['30', '90', 'custom']);
    expect((screen.getByLabelText('Expiry') as HTMLSelectElement).value).toBe('90');
  });
});
