import { useCallback, useEffect, useState } from 'react';
import { GraphQLRequestError, gqlRequest } from '../shared/api/client';
import { EntityMembersDocument, type EntityMembersQuery } from '../gql/graphql';
import { roleLabel } from '../auth/viewer';
import { StatusBlock, failureState, type BlockedState } from '../shared/ui/StatusBlock';
import { LoadMore } from '../shared/ui/LoadMore';

const PAGE_SIZE = 50;

type Member = NonNullable<EntityMembersQuery['entity']>['members']['edges'][number]['node'];

type State =
  | BlockedState
  | { status: 'ready'; members: Member[]; endCursor: string | null; hasNextPage: boolean; loadingMore: boolean };

export function TeamTab({ entityId }: { entityId: string }) {
  const [state, setState] = useState<State>({ status: 'loading' });

  const fetchPage = useCallback(
    async (after: string | null) => {
      const data = await gqlRequest(EntityMembersDocument, { id: entityId, first: PAGE_SIZE, after });
      if (!data.entity) throw new GraphQLRequestError('Entity not found.', 'NOT_FOUND');
      return data.entity.members;
    },
    [entityId],
  );

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
        if (!cancelled) setState(failureState(err));
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
      setState(failureState(err));
    }
  }

  if (state.status !== 'ready') {
    return (
      <StatusBlock
        state={state}
        title="Team"
        loadingText="Loading members…"
        forbiddenTestId="team-forbidden"
        onRetry={() => loadFirst()}
      />
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
      <LoadMore hasNextPage={state.hasNextPage} loading={state.loadingMore} what="members" onLoad={() => void loadMore()} />
    </div>
  );
}
