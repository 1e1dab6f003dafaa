import { useEffect, useId, useState, type FormEvent } from 'react';
import { gqlRequest } from '../shared/api/client';
import { ImpersonationMembersDocument, type ImpersonationMembersQuery } from '../gql/graphql';
import { roleLabel } from '../auth/viewer';
import { ErrorNotice } from '../shared/ui/ErrorNotice';
import { LoadMore } from '../shared/ui/LoadMore';
import { Modal } from '../shared/ui/Modal';

type Member = ImpersonationMembersQuery['impersonationMembers']['edges'][number]['node'];
const PAGE_SIZE = 50;

type State =
  | { status: 'loading' }
  | { status: 'error'; error: unknown }
  | { status: 'ready'; members: Member[]; endCursor: string | null; hasNextPage: boolean; loadingMore: boolean };

interface Props {
  entity: { id: string; name: string };
  /** Starts impersonating as `userId` (null: the entity has no member; act as its owner). */
  onImpersonate: (userId: string | null) => Promise<void>;
  onClose: () => void;
}

/** Site admins: choose which member of an entity to act as (their role applies). */
export function ImpersonateMemberDialog({ entity, onImpersonate, onClose }: Props) {
  const uid = useId();
  const [state, setState] = useState<State>({ status: 'loading' });
  const [chosen, setChosen] = useState<string | null>(null);
  const [submitting, setSubmitting] = useState(false);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    let cancelled = false;
    gqlRequest(ImpersonationMembersDocument, { entityId: entity.id, first: PAGE_SIZE, after: null }).then(
      (data) => {
        if (cancelled) return;
        const members = data.impersonationMembers.edges.map((e) => e.node);
        setState({
          status: 'ready',
          members,
          endCursor: data.impersonationMembers.pageInfo.endCursor,
          hasNextPage: data.impersonationMembers.pageInfo.hasNextPage,
          loadingMore: false,
        });
        // The default the plain "Impersonate" button uses: the first owner.
        setChosen((members.find((m) => m.role === 'OWNER') ?? members[0])?.user.id ?? null);
      },
      (err) => {
        if (!cancelled) setState({ status: 'error', error: err });
      },
    );
    return () => {
      cancelled = true;
    };
  }, [entity.id]);

  async function loadMore() {
    if (state.status !== 'ready') return;
    setState({ ...state, loadingMore: true });
    try {
      const data = await gqlRequest(ImpersonationMembersDocument, { entityId: entity.id, first: PAGE_SIZE, after: state.endCursor });
      setState({
        ...state,
        members: [...state.members, ...data.impersonationMembers.edges.map((e) => e.node)],
        endCursor: data.impersonationMembers.pageInfo.endCursor,
        hasNextPage: data.impersonationMembers.pageInfo.hasNextPage,
        loadingMore: false,
      });
    } catch (err) {
      setState({ status: 'error', error: err });
    }
  }

  async function handleSubmit(event: FormEvent) {
    event.preventDefault();
    setSubmitting(true);
    setError(null);
    try {
      await onImpersonate(chosen);
    } catch (err) {
      setError(err);
      setSubmitting(false);
    }
  }

  const empty = state.status === 'ready' && state.members.length === 0;
  return (
    <Modal title={`Act as a member of ${entity.name}`} onClose={submitting ? undefined : onClose}>
      <form onSubmit={handleSubmit} noValidate className="form">
        {error !== null && <ErrorNotice error={error} prefix="Could not impersonate" onDismiss={() => setError(null)} />}
        <p className="muted">
          You will see and do exactly what the member you choose may, with their role. Every action is audited with both
          identities.
        </p>
        {state.status === 'loading' && (
          <p className="muted" role="status">
            Loading members…
          </p>
        )}
        {state.status === 'error' && <ErrorNotice error={state.error} prefix="Could not load the members" />}
        {empty && (
          <p className="muted" role="status">
            {entity.name} has no members yet: you will act as its owner.
          </p>
        )}
        {state.status === 'ready' && !empty && (
          <fieldset className="fieldset">
            <legend>Member</legend>
            <div className="radio-list" data-testid="impersonation-members">
              {state.members.map((m) => (
                <label key={m.id} className={chosen === m.user.id ? 'radio-card selected' : 'radio-card'}>
                  <input
                    type="radio"
                    name={`${uid}-member`}
                    value={m.user.id}
                    checked={chosen === m.user.id}
                    aria-labelledby={`${uid}-${m.id}-name`}
                    aria-describedby={`${uid}-${m.id}-desc`}
                    onChange={() => setChosen(m.user.id)}
                  />
                  <span>
                    <span id={`${uid}-${m.id}-name`} className="radio-card-title">
                      {m.user.email}
                    </span>
                    <span id={`${uid}-${m.id}-desc`} className="radio-card-desc">
                      {m.user.name ? `${m.user.name} · ` : ''}
                      {roleLabel(m.role, m.customRole ?? null)}
                    </span>
                  </span>
                </label>
              ))}
            </div>
            <LoadMore hasNextPage={state.hasNextPage} loading={state.loadingMore} what="members" onLoad={() => void loadMore()} />
          </fieldset>
        )}
        <div className="form-actions">
          <button type="button" className="button" onClick={onClose} disabled={submitting}>
            Cancel
          </button>
          <button type="submit" className="button primary" disabled={submitting || state.status !== 'ready' || (!empty && !chosen)}>
            {submitting ? 'Starting…' : 'Impersonate'}
          </button>
        </div>
      </form>
    </Modal>
  );
}
