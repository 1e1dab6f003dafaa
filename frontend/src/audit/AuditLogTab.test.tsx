// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { afterEach, describe, expect, it, vi } from 'vitest';

const gqlRequest = vi.fn();
vi.mock('../shared/api/client', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../shared/api/client')>();
  return { ...actual, gqlRequest: (...args: unknown[]) => gqlRequest(...args) };
});

const { AuditLogTab } = await import('./AuditLogTab');

function event(n: number) {
  return {
    id: `aud_${n}`,
    seq: n,
    action: n % 2 ? 'api_key.created' : 'member.added',
    actorId: 'u1',
    actorEmail: 'ann@example.com',
    impersonatorEmail: null,
    targetType: 'api_key',
    targetId: `key_${n}`,
    ip: null,
    userAgent: null,
    details: { n },
    createdAt: '2026-12-03T09:00:00Z',
    digest: `d${n}`,
  };
}

function answer() {
  gqlRequest.mockImplementation(async (document: { toString(): string }, variables: Record<string, unknown> = {}) => {
    const name = /(?:query|mutation)\s+(\w+)/.exec(document.toString())?.[1] ?? '';
    if (name === 'EntityAuditExports') return { entity: { id: 'e1', auditExports: [] } };
    if (name === 'EntityAuditEvents') {
      const second = variables.after === 'c1';
      const nodes = second ? [event(3)] : [event(1), event(2)];
      return {
        entity: {
          id: 'e1',
          auditEvents: {
            edges: nodes.map((node) => ({ cursor: `x${node.seq}`, node })),
            pageInfo: { hasNextPage: !second, endCursor: second ? null : 'c1' },
          },
        },
      };
    }
    throw new Error(`unexpected operation ${name}`);
  });
}

function eventCalls() {
  return gqlRequest.mock.calls
    .filter(([doc]) => /query\s+EntityAuditEvents\b/.test(String(doc)))
    .map(([, vars]) => vars as Record<string, unknown>);
}

afterEach(() => {
  cleanup();
  gqlRequest.mockReset();
});

describe('AuditLogTab', () => {
  it('sends the URL filters and pages on with the cursor, appending', async () => {
    answer();
    render(
      <MemoryRouter initialEntries={['/x?mode=test&action=api_key.*&actor=ann%40example.com']}>
        <AuditLogTab entityId="e1" />
      </MemoryRouter>,
    );
    const table = await screen.findByRole('table', { name: 'Audit events' });
    expect(within(table).getAllByRole('row')).toHaveLength(3);
    expect(eventCalls()[0]).toMatchObject({
      id: 'e1',
      filter: { action: 'api_key.*', actorEmail: 'ann@example.com' },
      first: 50,
      after: null,
    });
    fireEvent.click(screen.getByRole('button', { name: 'Load more' }));
    await waitFor(() => expect(within(table).getAllByRole('row')).toHaveLength(4));
    expect(eventCalls()[1]).toMatchObject({ after: 'c1' });
    expect(screen.queryByRole('button', { name: 'Load more' })).toBeNull();
  });

  it('refuses an inverted range without asking the server', async () => {
    answer();
    render(
      <MemoryRouter initialEntries={['/x?from=2026-12-03T10:00&to=2026-12-03T09:00']}>
        <AuditLogTab entityId="e1" />
      </MemoryRouter>,
    );
    expect((await screen.findByRole('alert')).textContent).toMatch(/before the end/);
    expect(eventCalls()).toHaveLength(0);
  });
});
