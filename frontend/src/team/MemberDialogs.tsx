import { useEffect, useId, useState, type FormEvent } from 'react';
import { GraphQLRequestError, gqlRequest } from '../shared/api/client';
import {
  AddMemberDocument,
  ChangeMemberRoleDocument,
  RemoveMemberDocument,
  TeamMemberKeysDocument,
  TeamRevokeApiKeyDocument,
  type AddMemberMutation,
  type TeamMemberKeysQuery,
} from '../gql/graphql';
import { roleLabel } from '../auth/viewer';
import { Modal } from '../shared/ui/Modal';
import { ErrorNotice } from '../shared/ui/ErrorNotice';
import { RoleSelect } from './RoleSelect';
import { parseRoleValue, roleValue, type CustomRole, type Member } from './teamUtils';

type MemberKey = NonNullable<TeamMemberKeysQuery['entity']>['apiKeys']['edges'][number]['node'];
const KEYS_PAGE = 100;
const KEYS_MAX_PAGES = 10;

export function AddMemberDialog({
  entityId,
  customRoles,
  onDone,
  onClose,
}: {
  entityId: string;
  customRoles: readonly CustomRole[];
  onDone: (result: AddMemberMutation['addMember']) => void;
  onClose: () => void;
}) {
  const uid = useId();
  const [email, setEmail] = useState('');
  const [role, setRole] = useState('STAFF');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const field = error instanceof GraphQLRequestError ? error.field : undefined;

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const { role: r, customRoleId } = parseRoleValue(role);
      const data = await gqlRequest(AddMemberDocument, { input: { entityId, email: email.trim(), role: r, customRoleId } });
      onDone(data.addMember);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  }

  return (
    <Modal title="Add or invite a member" onClose={busy || email ? undefined : onClose}>
      <form onSubmit={submit} noValidate>
        <p className="muted">
          People already in this organization are added at once; anyone else receives an invitation to accept.
        </p>
        {error !== null && <ErrorNotice error={error} prefix="Could not add the member" />}
        <div className="field">
          <label htmlFor={`${uid}-email`}>Email</label>
          <input
            id={`${uid}-email`}
            type="email"
            autoComplete="off"
            required
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            aria-invalid={field === 'email' ? true : undefined}
            data-autofocus=""
          />
        </div>
        <div className="field">
          <label htmlFor={`${uid}-role`}>Role</label>
          <RoleSelect id={`${uid}-role`} value={role} onChange={setRole} customRoles={customRoles} invalid={field === 'role' || field === 'customRoleId'} />
        </div>
        <div className="form-actions">
          <button type="button" className="button" onClick={onClose} disabled={busy}>
            Cancel
          </button>
          <button type="submit" className="button primary" disabled={busy || email.trim() === ''}>
            {busy ? 'Adding…' : 'Add member'}
          </button>
        </div>
      </form>
    </Modal>
  );
}

export function ChangeRoleDialog({
  member,
  customRoles,
  onDone,
  onStale,
  onClose,
}: {
  member: Member;
  customRoles: readonly CustomRole[];
  onDone: (member: Member) => void;
  onStale: () => void;
  onClose: () => void;
}) {
  const uid = useId();
  const [role, setRole] = useState(roleValue(member.role, member.customRole?.id));
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const unchanged = role === roleValue(member.role, member.customRole?.id);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const { role: r, customRoleId } = parseRoleValue(role);
      const data = await gqlRequest(ChangeMemberRoleDocument, { input: { membershipId: member.id, role: r, customRoleId } });
      onDone(data.changeMemberRole.membership);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  }

  return (
    <Modal title={`Change the role of ${member.user.email}`} onClose={busy ? undefined : onClose}>
      <form onSubmit={submit}>
        <p className="muted">Now: {roleLabel(member.role, member.customRole)}</p>
        {error !== null && <ErrorNotice error={error} prefix="Could not change the role" onStale={onStale} />}
        <div className="field">
          <label htmlFor={`${uid}-role`}>Role</label>
          <RoleSelect id={`${uid}-role`} value={role} onChange={setRole} customRoles={customRoles} autoFocus />
        </div>
        <div className="form-actions">
          <button type="button" className="button" onClick={onClose} disabled={busy}>
            Cancel
          </button>
          <button type="submit" className="button primary" disabled={busy || unchanged}>
            {busy ? 'Saving…' : 'Save role'}
          </button>
        </div>
      </form>
    </Modal>
  );
}

type KeysState = { status: 'loading' } | { status: 'ready'; keys: MemberKey[] } | { status: 'unavailable'; error: unknown };

/** Every active key `userId` created (the server filters by creator). */
async function activeKeysCreatedBy(entityId: string, userId: string): Promise<MemberKey[]> {
  const keys: MemberKey[] = [];
  let after: string | null = null;
  for (let page = 0; page < KEYS_MAX_PAGES; page++) {
    const data: TeamMemberKeysQuery = await gqlRequest(TeamMemberKeysDocument, {
      id: entityId,
      createdById: userId,
      first: KEYS_PAGE,
      after,
    });
    const conn = data.entity.apiKeys;
    keys.push(...conn.edges.map((e) => e.node));
    if (!conn.pageInfo.hasNextPage) break;
    after = conn.pageInfo.endCursor;
  }
  return keys;
}

export function RemoveMemberDialog({
  entityId,
  member,
  isSelf,
  onDone,
  onStale,
  onClose,
}: {
  entityId: string;
  member: Member;
  isSelf: boolean;
  onDone: (message: string) => void;
  onStale: () => void;
  onClose: () => void;
}) {
  const uid = useId();
  const [keys, setKeys] = useState<KeysState>({ status: 'loading' });
  const [revoke, setRevoke] = useState<Set<string>>(new Set());
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    let cancelled = false;
    activeKeysCreatedBy(entityId, member.user.id).then(
      (mine) => {
        if (cancelled) return;
        setKeys({ status: 'ready', keys: mine });
        setRevoke(new Set(mine.map((k) => k.id)));
      },
      (err) => {
        if (!cancelled) setKeys({ status: 'unavailable', error: err });
      },
    );
    return () => {
      cancelled = true;
    };
  }, [entityId, member.user.id]);

  async function remove() {
    setBusy(true);
    setError(null);
    try {
      await gqlRequest(RemoveMemberDocument, { input: { membershipId: member.id } });
    } catch (err) {
      setError(err);
      setBusy(false);
      return;
    }
    const failed: string[] = [];
    for (const id of revoke) {
      try {
        await gqlRequest(TeamRevokeApiKeyDocument, { input: { id } });
      } catch {
        failed.push(id);
      }
    }
    const revoked = revoke.size - failed.length;
    onDone(
      `Removed ${member.user.email}` +
        (revoke.size > 0 ? `; revoked ${revoked} of their key${revoked === 1 ? '' : 's'}` : '') +
        (failed.length > 0 ? `; could not revoke ${failed.join(', ')} (revoke them in API keys)` : '') +
        '.',
    );
  }

  return (
    <Modal title={isSelf ? 'Leave this entity?' : `Remove ${member.user.email}?`} onClose={busy ? undefined : onClose}>
      <p>
        {isSelf ? 'You' : member.user.name || member.user.email} will lose access to this entity at once. Keys they created keep
        working until revoked.
      </p>
      {error !== null && <ErrorNotice error={error} prefix="Could not remove the member" onStale={onStale} />}
      <section aria-labelledby={`${uid}-keys`} className="member-keys">
        <h3 id={`${uid}-keys`}>Active API keys they created</h3>
        {keys.status === 'loading' && (
          <p className="muted" role="status">
            Looking for their keys…
          </p>
        )}
        {keys.status === 'unavailable' && (
          <p className="muted" data-testid="member-keys-unavailable">
            Their keys could not be listed ({keys.error instanceof GraphQLRequestError ? keys.error.code : 'error'}); check the API
            keys tab after removing them.
          </p>
        )}
        {keys.status === 'ready' && keys.keys.length === 0 && <p className="muted">None.</p>}
        {keys.status === 'ready' && keys.keys.length > 0 && (
          <fieldset className="fieldset">
            <legend>Revoke with the removal</legend>
            <ul className="plain-list">
              {keys.keys.map((k) => (
                <li key={k.id}>
                  <label className="checkbox">
                    <input
                      type="checkbox"
                      checked={revoke.has(k.id)}
                      onChange={(e) => {
                        const next = new Set(revoke);
                        if (e.target.checked) next.add(k.id);
                        else next.delete(k.id);
                        setRevoke(next);
                      }}
                    />{' '}
                    {k.name} <span className="mono">{k.start}…{k.last4}</span> <span className="badge">{k.mode.toLowerCase()}</span>
                  </label>
                </li>
              ))}
            </ul>
          </fieldset>
        )}
      </section>
      <div className="form-actions">
        <button type="button" className="button" onClick={onClose} disabled={busy}>
          Cancel
        </button>
        <button type="button" className="button danger" onClick={() => void remove()} disabled={busy || keys.status === 'loading'}>
          {busy
            ? 'Removing…'
            : revoke.size > 0
              ? `${isSelf ? 'Leave' : 'Remove'} and revoke ${revoke.size} key${revoke.size === 1 ? '' : 's'}`
              : isSelf
                ? 'Leave'
                : 'Remove member'}
        </button>
      </div>
    </Modal>
  );
}
