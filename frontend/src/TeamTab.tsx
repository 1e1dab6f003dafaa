import { useCallback, useEffect, useState } from 'react';
import { GraphQLRequestError, gqlRequest } from './graphql';
import { ENTITY_MEMBERS_QUERY, roleLabel, type EntityMembersResult, type Member } from './queries';

const PAGE_SIZE = 50;

type State =
  | { status: 'loading' }
  | { status: 'forbidden' }
  | { status: 'error'; message: string }
  | { status: 'ready'; members: Member[]; endCursor: string | null; hasNextPage: boolean; loadingMore: boolean };

export function TeamTab({ entityId }: { entityId: string }) {
  const [state, setState] = useState<State>({ status: 'loading' });

  const fetchPage = useCallback(
    async (after: string | null) => {
      const data = await gqlRequest<EntityMembersResult>(ENTITY_MEMBERS_QUERY, {
        id: entityId,
        first: PAGE_SIZE,
        after,
      });
      if (!data.entity) throw new GraphQLRequestError('Entity not found.', 'NOT_FOUND');
      return data.entity.members;
    },
    [entityId],
  );

  const toState = (err: unknown): State => {
    if (err instanceof GraphQLRequestError && err.has('FORBIDDEN')) return { status: 'forbidden' };
    return { status: 'error', message: err instanceof Error ? err.message : String(err) };
  };

  const loadFirst = useCallback(() => {
    let cancelled = false;
    setState({ status: 'loading' });
    fetchPage(null).then(
      (page) => {
        if (cancelled) return;
        setState({
          status: 'ready',
          members: page.edges.map((e) => e.node),
          endCursor: page.pageInfo.endCursor,
          hasNextPage: page.pageInfo.hasNextPage,
          loadingMore: false,
        });
      },
      (err) => {
        if (!cancelled) setState(toState(err));
      },
    );
    return () => {
      cancelled = true;
    };
  }, [fetchPage]);

  useEffect(() => loadFirst(), [loadFirst]);

  async function loadMore() {
    if (state.status !== 'ready' || !state.hasNextPage) return;
    setState({ ...state, loadingMore: true });
    try {
      const page = await fetchPage(state.endCursor);
      setState({
        status: 'ready',
        members: [...state.members, ...page.edges.map((e) => e.node)],
        endCursor: page.pageInfo.endCursor,
        hasNextPage: page.pageInfo.hasNextPage,
        loadingMore: false,
      });
    } catch (err) {
      setState(toState(err));
    }
  }

  if (state.status === 'loading') {
    return (
      <p className="muted" role="status">
        Loading members…
      </p>
    );
  }
  if (state.status === 'forbidden') {
    return (
      <div className="notice" data-testid="team-forbidden">
        <h2>Team</h2>
        <p>You don&apos;t have access to this section</p>
      </div>
    );
  }
  if (state.status === 'error') {
    return (
      <div>
        <p role="alert" className="alert">
          {state.message}
        </p>
        <button type="button" className="button" onClick={() => loadFirst()}>
          Retry
        </button>
      </div>
    );
  }

  return (
    <div>
      <h2 className="visually-hidden">Team</h2>
      {state.members.length === 0 ? (
        <p className="muted">No members yet.</p>
      ) : (
        <table className="table" aria-label="Team members">
          <thead>
            <tr>
              <th scope="col">Email</th>
              <th scope="col">Name</th>
              <th scope="col">Role</th>
            </tr>
          </thead>
          <tbody>
            {state.members.map((m) => (
              <tr key={m.id}>
                <td>{m.user.email}</td>
                <td>{m.user.name}</td>
                <td>
                  <span className={`role role-${m.role.toLowerCase()}`}>{roleLabel(m.role, m.customRole)}</span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {state.hasNextPage && (
        <button type="button" className="button load-more" onClick={() => void loadMore()} disabled={state.loadingMore}>
          {state.loadingMore ? 'Loading…' : 'Load more'}
        </button>
      )}
    </div>
  );
}
