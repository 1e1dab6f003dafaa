// @vitest-environment jsdom
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { beforeEach, describe, expect, it, vi } from 'vitest';

// The GraphQL client is replaced: the members query answers what each test gives.
const gqlRequest = vi.fn();
vi.mock('../shared/api/client', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../shared/api/client')>();
  return { ...actual, gqlRequest: (...args: unknown[]) => gqlRequest(...args) };
});

const { ImpersonateMemberDialog } = await import('./ImpersonateMemberDialog');

function member(id: string, email: string, role: string, customRole: { id: string; name: string } | null = null) {
  return { node: { id, role, customRole, user: { id: `usr_${id}`, email, name: '' } } };
}

function answerMembers(edges: ReturnType<typeof member>[]) {
  gqlRequest.mockResolvedValue({ impersonationMembers: { edges, pageInfo: { hasNextPage: false, endCursor: null } } });
}

beforeEach(() => {
  gqlRequest.mockReset();
  const proto = HTMLDialogElement.prototype as unknown as Record<string, unknown>;
  proto.showModal ??= function (this: HTMLDialogElement) {
    this.setAttribute('open', '');
  };
  proto.close ??= function (this: HTMLDialogElement) {
    this.removeAttribute('open');
  };
});

describe('ImpersonateMemberDialog', () => {
  it('preselects the first owner and impersonates the member chosen instead', async () => {
    answerMembers([
      member('m1', 'staff@x.example', 'STAFF'),
      member('m2', 'owner@x.example', 'OWNER'),
      member('m3', 'dev@x.example', 'CUSTOM', { id: 'crl_1', name: 'Key maker' }),
    ]);
    const onImpersonate = vi.fn().mockResolvedValue(undefined);
    render(<ImpersonateMemberDialog entity={{ id: 'ent_1', name: 'X' }} onImpersonate={onImpersonate} onClose={() => {}} />);
    const owner = await screen.findByRole('radio', { name: 'owner@x.example' });
    expect(owner).toHaveProperty('checked', true);
    expect(gqlRequest.mock.calls[0][1]).toMatchObject({ entityId: 'ent_1' });
    expect(screen.getByRole('radio', { name: 'dev@x.example' }).getAttribute('aria-describedby')).toBeTruthy();
    expect(screen.getByText('Key maker')).toBeTruthy();
    fireEvent.click(screen.getByRole('radio', { name: 'staff@x.example' }));
    fireEvent.click(screen.getByRole('button', { name: 'Impersonate' }));
    await waitFor(() => expect(onImpersonate).toHaveBeenCalledWith('usr_m1'));
  });

  it('an entity without members: says so and impersonates as its owner (no user)', async () => {
    answerMembers([]);
    const onImpersonate = vi.fn().mockResolvedValue(undefined);
    render(<ImpersonateMemberDialog entity={{ id: 'ent_2', name: 'Empty' }} onImpersonate={onImpersonate} onClose={() => {}} />);
    expect(await screen.findByText(/has no members yet/)).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Impersonate' }));
    await waitFor(() => expect(onImpersonate).toHaveBeenCalledWith(null));
  });

  it('a refused impersonation is shown and the dialog stays usable', async () => {
    answerMembers([member('m1', 'owner@x.example', 'OWNER')]);
    const onImpersonate = vi.fn().mockRejectedValue(new Error('That user is not a member of the entity'));
    render(<ImpersonateMemberDialog entity={{ id: 'ent_1', name: 'X' }} onImpersonate={onImpersonate} onClose={() => {}} />);
    await screen.findByRole('radio', { name: 'owner@x.example' });
    fireEvent.click(screen.getByRole('button', { name: 'Impersonate' }));
    expect(await screen.findByText(/not a member of the entity/)).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Impersonate' })).toHaveProperty('disabled', false);
  });
});
