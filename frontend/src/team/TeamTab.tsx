import { useCallback, useEffect, useState } from 'react';
import { gqlRequest } from '../shared/api/client';
import {
  EntityMembersDocument,
  TeamInvitationsDocument,
  TeamSetupDocument,
  type InvitationFieldsFragment,
  type TeamSetupQuery,
} from '../gql/graphql';
import { roleLabel, useViewer } from '../auth/viewer';
import { StatusBlock, failureState, type BlockedState } from '../shared/ui/StatusBlock';
import { LoadMore } from '../shared/ui/LoadMore';
import { Flash } from '../shared/ui/Flash';
import { AddMemberDialog, ChangeRoleDialog, RemoveMemberDialog } from './MemberDialogs';
import { CustomRoles } from './CustomRoles';
import { Invitations } from './Invitations';
import type { Member } from './teamUtils';

const PAGE_SIZE = 50;

type Setup = TeamSetupQuery;
type State =
  | BlockedState
  | {
      status: 'ready';
      setup: Setup;
      members: Member[];
      invitations: InvitationFieldsFragment[];
      endCursor: string | null;
      hasNextPage: boolean;
      loadingMore: boolean;
    };

type Dialog = { kind: 'add' } | { kind: 'role'; member: Member } | { kind: 'remove'; member: Member } | null;

/** Settings › Developers › Team: members, their roles, invitations and custom roles. */
export function TeamTab({ entityId }: { entityId: string }) {
  const { viewer } = useViewer();
  const [state, setState] = useState<State>({ status: 'loading' });
  const [dialog, setDialog] = useState<Dialog>(null);
  const [flash, setFlash] = useState<string | null>(null);
  const [generation, setGeneration] = useState(0);

  const fetchMembers = useCallback(
    async (after: string | null) => (await gqlRequest(EntityMembersDocument, { id: entityId, first: PAGE_SIZE, after })).entity.members,
    [entityId],
  );

  useEffect(() => {
    let cancelled = false;
    Promise.all([
      gqlRequest(TeamSetupDocument, { id: entityId }),
      fetchMembers(null),
      gqlRequest(TeamInvitationsDocument, { id: entityId, first: 100 }),
    ]).then(
      ([setup, members, invitations]) => {
        if (cancelled) return;
        setState({
          status: 'ready',
          setup,
          members: members.edges.map((e) => e.node),
          invitations: invitations.entity.invitations.edges.map((e) => e.node),
          endCursor: members.pageInfo.endCursor,
          hasNextPage: members.pageInfo.hasNextPage,
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
  }, [entityId, fetchMembers, generation]);

  /** Reload everything (after a change, or when an error says the list is stale). */
  const reload = useCallback((message: string | null = null) => {
    if (message) setFlash(message);
    setGeneration((g) => g + 1);
  }, []);

  async function loadMore() {
    if (state.status !== 'ready' || !state.hasNextPage) return;
    setState({ ...state, loadingMore: true });
    try {
      const page = await fetchMembers(state.endCursor);
      setState({
        ...state,
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
        onRetry={() => reload()}
      />
    );
  }

  const customRoles = state.setup.entity.customRoles;

  return (
    <div className="team">
      <Flash message={flash} onDismiss={() => setFlash(null)} />
      <section aria-labelledby="members-title" className="team-section">
        <div className="section-head">
          <h2 id="members-title">Members</h2>
          <button type="button" className="button primary" onClick={() => setDialog({ kind: 'add' })}>
            Add member
          </button>
        </div>
        {state.members.length === 0 ? (
          <p className="muted">No members yet.</p>
        ) : (
          <div className="table-wrap">
            <table className="table stack" aria-label="Team members">
              <thead>
                <tr>
                  <th scope="col">Email</th>
                  <th scope="col">Name</th>
                  <th scope="col">Role</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {state.members.map((m) => {
                  const isSelf = m.user.id === viewer.user.id;
                  return (
                    <tr key={m.id} data-member={m.user.email}>
                      <td data-label="Email">{m.user.email}</td>
                      <td data-label="Name">{m.user.name}</td>
                      <td data-label="Role">
                        <span className={`role role-${m.role.toLowerCase()}`} data-testid="member-role">
                          {roleLabel(m.role, m.customRole)}
                        </span>
                      </td>
                      <td className="row-actions">
                        <button
                          type="button"
                          className="button small"
                          disabled={isSelf}
                          title={isSelf ? 'Nobody changes their own role' : undefined}
                          onClick={() => setDialog({ kind: 'role', member: m })}
                          aria-label={`Change the role of ${m.user.email}`}
                        >
                          Change role
                        </button>
                        <button
                          type="button"
                          className="button small danger"
                          onClick={() => setDialog({ kind: 'remove', member: m })}
                          aria-label={isSelf ? 'Leave this entity' : `Remove ${m.user.email}`}
                        >
                          {isSelf ? 'Leave' : 'Remove'}
                        </button>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
        <LoadMore hasNextPage={state.hasNextPage} loading={state.loadingMore} what="members" onLoad={() => void loadMore()} />
      </section>

      <Invitations invitations={state.invitations} onChanged={reload} />

      <CustomRoles
        entityId={entityId}
        roles={customRoles}
        permissions={state.setup.permissionCatalog}
        scopes={state.setup.scopeCatalog}
        onChanged={reload}
      />

      {dialog?.kind === 'add' && (
        <AddMemberDialog
          entityId={entityId}
          customRoles={customRoles}
          onClose={() => setDialog(null)}
          onDone={(result) => {
            setDialog(null);
            reload(
              result.membership
                ? `Added ${result.membership.user.email}.`
                : `Invited ${result.invitation?.email ?? 'them'}: they join once they accept.`,
            );
          }}
        />
      )}
      {dialog?.kind === 'role' && (
        <ChangeRoleDialog
          member={dialog.member}
          customRoles={customRoles}
          onClose={() => setDialog(null)}
          onStale={() => reload()}
          onDone={(member) => {
            setDialog(null);
            reload(`${member.user.email} is now ${roleLabel(member.role, member.customRole)}.`);
          }}
        />
      )}
      {dialog?.kind === 'remove' && (
        <RemoveMemberDialog
          entityId={entityId}
          member={dialog.member}
          isSelf={dialog.member.user.id === viewer.user.id}
          onClose={() => setDialog(null)}
          onStale={() => reload()}
          onDone={(message) => {
            setDialog(null);
            reload(message);
          }}
        />
      )}
    </div>
  );
}
