import { useEffect, useId, useState } from 'react';
import { useNavigate } from 'react-router';
import { gqlRequest } from '../shared/api/client';
import { AdminEntitiesDocument, ImpersonateEntityDocument, type AdminEntitiesQuery } from '../gql/graphql';
import { useViewer } from '../auth/viewer';
import { useSearchState } from '../shared/url/useSearchState';
import { text } from '../shared/url/searchState';
import { useDebouncedField } from '../shared/url/useDebouncedField';
import { ErrorNotice } from '../shared/ui/ErrorNotice';
import { LoadMore } from '../shared/ui/LoadMore';
import { DEFAULT_MODE, DEFAULT_TAB, tabPath } from './paths';
import { ImpersonateMemberDialog } from './ImpersonateMemberDialog';

type AdminEntity = AdminEntitiesQuery['entities']['edges'][number]['node'];
const PAGE_SIZE = 25;
const SEARCH = { q: text('q') };

type State =
  | { status: 'loading' }
  | { status: 'error'; error: unknown }
  | { status: 'ready'; entities: AdminEntity[]; endCursor: string | null; hasNextPage: boolean; loadingMore: boolean };

/** `/admin/entities`: site admins search every entity and act inside one (impersonation). */
export function AdminEntities() {
  const uid = useId();
  const { viewer, setViewer } = useViewer();
  const navigate = useNavigate();
  const [{ q }, setSearch] = useSearchState(SEARCH);
  const [typed, setTyped] = useDebouncedField(q, (value) => setSearch({ q: value }, { coalesce: 'q' }), 300);
  const [state, setState] = useState<State>({ status: 'loading' });
  const [busy, setBusy] = useState<string | null>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const [choosing, setChoosing] = useState<AdminEntity | null>(null);

  useEffect(() => {
    if (!viewer.isSiteAdmin) return;
    let cancelled = false;
    setState({ status: 'loading' });
    gqlRequest(AdminEntitiesDocument, { search: q.trim() || null, first: PAGE_SIZE, after: null }).then(
      (data) => {
        if (cancelled) return;
        setState({
          status: 'ready',
          entities: data.entities.edges.map((e) => e.node),
          endCursor: data.entities.pageInfo.endCursor,
          hasNextPage: data.entities.pageInfo.hasNextPage,
          loadingMore: false,
        });
      },
      (error) => {
        if (!cancelled) setState({ status: 'error', error });
      },
    );
    return () => {
      cancelled = true;
    };
  }, [q, viewer.isSiteAdmin]);

  if (!viewer.isSiteAdmin) {
    return (
      <div className="empty" data-testid="admin-only">
        <h1>Entities</h1>
        <p className="muted">This page is for site admins.</p>
      </div>
    );
  }

  async function loadMore() {
    if (state.status !== 'ready') return;
    setState({ ...state, loadingMore: true });
    try {
      const data = await gqlRequest(AdminEntitiesDocument, { search: q.trim() || null, first: PAGE_SIZE, after: state.endCursor });
      setState({
        ...state,
        entities: [...state.entities, ...data.entities.edges.map((e) => e.node)],
        endCursor: data.entities.pageInfo.endCursor,
        hasNextPage: data.entities.pageInfo.hasNextPage,
        loadingMore: false,
      });
    } catch (error) {
      setState({ status: 'error', error });
    }
  }

  /** Starts impersonating: as `userId` when given (a member of the entity), else its first owner. */
  async function start(entity: AdminEntity, userId: string | null) {
    const data = await gqlRequest(ImpersonateEntityDocument, { input: { entityId: entity.id, userId } });
    setViewer(data.impersonateEntity);
    navigate(tabPath(entity.id, DEFAULT_TAB, DEFAULT_MODE));
  }

  async function impersonate(entity: AdminEntity) {
    setBusy(entity.id);
    setActionError(null);
    try {
      await start(entity, null);
    } catch (error) {
      setActionError(error);
      setBusy(null);
    }
  }

  return (
    <section className="settings" aria-labelledby="admin-title">
      <div className="page-head">
        <div>
          <h1 id="admin-title">Entities</h1>
          <p className="muted">
            Site admin: act inside an entity as its first owner, or choose the member to act as (their role applies). Every
            action while impersonating is audited with both identities.
          </p>
        </div>
      </div>
      <div className="filters" role="search" aria-label="Entity search">
        <div className="filter grow">
          <label htmlFor={`${uid}-q`}>Search entities</label>
          <input id={`${uid}-q`} type="search" value={typed} onChange={(e) => setTyped(e.target.value)} placeholder="Name or code" />
        </div>
      </div>
      {actionError !== null && <ErrorNotice error={actionError} prefix="Could not impersonate" onDismiss={() => setActionError(null)} />}
      {state.status === 'loading' && (
        <p className="muted" role="status">
          Searching…
        </p>
      )}
      {state.status === 'error' && <ErrorNotice error={state.error} prefix="Could not search entities" />}
      {state.status === 'ready' &&
        (state.entities.length === 0 ? (
          <p className="muted" role="status">
            No entity matches “{q}”.
          </p>
        ) : (
          <div className="table-wrap">
            <table className="table" aria-label="Entities">
              <thead>
                <tr>
                  <th scope="col">Entity</th>
                  <th scope="col">Code</th>
                  <th scope="col">Organization</th>
                  <th scope="col">API access</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {state.entities.map((e) => {
                  const current = viewer.impersonating?.id === e.id;
                  return (
                    <tr key={e.id}>
                      <td>{e.name}</td>
                      <td className="mono">{e.code}</td>
                      <td>{e.organization.name}</td>
                      <td>{e.apiAccessEnabled ? 'Enabled' : 'Disabled'}</td>
                      <td className="row-actions">
                        <button
                          type="button"
                          className="button small"
                          disabled={busy !== null || current}
                          onClick={() => void impersonate(e)}
                          aria-label={`Impersonate ${e.name}`}
                        >
                          {current ? 'Impersonating' : busy === e.id ? 'Starting…' : 'Impersonate'}
                        </button>{' '}
                        <button
                          type="button"
                          className="button small"
                          disabled={busy !== null}
                          onClick={() => setChoosing(e)}
                          aria-label={`Act as a member of ${e.name}`}
                        >
                          Act as…
                        </button>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        ))}
      {state.status === 'ready' && (
        <LoadMore hasNextPage={state.hasNextPage} loading={state.loadingMore} what="entities" onLoad={() => void loadMore()} />
      )}
      {choosing && (
        <ImpersonateMemberDialog entity={choosing} onImpersonate={(userId) => start(choosing, userId)} onClose={() => setChoosing(null)} />
      )}
    </section>
  );
}
