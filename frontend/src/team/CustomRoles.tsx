import { useId, useState, type FormEvent } from 'react';
import { GraphQLRequestError, gqlRequest } from '../shared/api/client';
import {
  CreateCustomRoleDocument,
  DeleteCustomRoleDocument,
  UpdateCustomRoleDocument,
  type TeamSetupQuery,
} from '../gql/graphql';
import { Modal } from '../shared/ui/Modal';
import { ErrorNotice } from '../shared/ui/ErrorNotice';
import { FieldError } from '../shared/ui/FormField';
import {
  createRoleInput,
  draftFromRole,
  toggle,
  updateRoleInput,
  validateRoleDraft,
  type CustomRole,
  type RoleDraft,
} from './teamUtils';

type Permission = TeamSetupQuery['permissionCatalog'][number];
type ScopeResource = TeamSetupQuery['scopeCatalog'][number];

interface Props {
  entityId: string;
  roles: readonly CustomRole[];
  permissions: readonly Permission[];
  scopes: readonly ScopeResource[];
  /** After any change (and after a stale-data error): reload the roles and the members. */
  onChanged: (message: string | null) => void;
}

/** The entity's custom roles: named permission sets, optionally limiting the scopes their holders grant. */
export function CustomRoles({ entityId, roles, permissions, scopes, onChanged }: Props) {
  const [editing, setEditing] = useState<CustomRole | 'new' | null>(null);
  const [deleting, setDeleting] = useState<CustomRole | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  async function remove(role: CustomRole) {
    setBusy(true);
    setError(null);
    try {
      await gqlRequest(DeleteCustomRoleDocument, { input: { entityId, id: role.id } });
      setDeleting(null);
      onChanged(`Deleted the role ${role.name}.`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="custom-roles-title" className="team-section">
      <div className="section-head">
        <h2 id="custom-roles-title">Custom roles</h2>
        <button type="button" className="button" onClick={() => setEditing('new')}>
          Create role
        </button>
      </div>
      <p className="muted">
        A custom role holds only the permissions you pick. You can create or assign only roles that hold no more than your own.
      </p>
      {roles.length === 0 ? (
        <p className="muted">No custom roles yet.</p>
      ) : (
        <div className="table-wrap">
          <table className="table stack" aria-label="Custom roles">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Permissions</th>
                <th scope="col">Grantable scopes</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {roles.map((r) => (
                <tr key={r.id}>
                  <td data-label="Name">{r.name}</td>
                  <td data-label="Permissions" className="mono small">{r.permissions.join(', ') || '—'}</td>
                  <td data-label="Grantable scopes" className="mono small">{r.grantableScopes === null ? 'every scope' : r.grantableScopes.join(', ') || 'none'}</td>
                  <td className="row-actions">
                    <button type="button" className="button small" onClick={() => setEditing(r)} aria-label={`Edit role ${r.name}`}>
                      Edit
                    </button>
                    <button
                      type="button"
                      className="button small danger"
                      onClick={() => {
                        setError(null);
                        setDeleting(r);
                      }}
                      aria-label={`Delete role ${r.name}`}
                    >
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      {editing && (
        <RoleFormDialog
          entityId={entityId}
          role={editing === 'new' ? null : editing}
          permissions={permissions}
          scopes={scopes}
          onDone={(message) => {
            setEditing(null);
            onChanged(message);
          }}
          onStale={() => onChanged(null)}
          onClose={() => setEditing(null)}
        />
      )}
      {deleting && (
        <Modal title={`Delete the role ${deleting.name}?`} onClose={busy ? undefined : () => setDeleting(null)}>
          <p>Members holding it must be given another role first; the API refuses otherwise.</p>
          {error !== null && <ErrorNotice error={error} prefix="Could not delete the role" onStale={() => onChanged(null)} />}
          <div className="form-actions">
            <button type="button" className="button" onClick={() => setDeleting(null)} disabled={busy}>
              Cancel
            </button>
            <button type="button" className="button danger" onClick={() => void remove(deleting)} disabled={busy}>
              {busy ? 'Deleting…' : 'Delete role'}
            </button>
          </div>
        </Modal>
      )}
    </section>
  );
}

function RoleFormDialog({
  entityId,
  role,
  permissions,
  scopes,
  onDone,
  onStale,
  onClose,
}: {
  entityId: string;
  role: CustomRole | null;
  permissions: readonly Permission[];
  scopes: readonly ScopeResource[];
  onDone: (message: string) => void;
  onStale: () => void;
  onClose: () => void;
}) {
  const uid = useId();
  const initial = draftFromRole(role);
  const [draft, setDraft] = useState<RoleDraft>(initial);
  const [submitted, setSubmitted] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const errors = submitted ? validateRoleDraft(draft) : {};
  const serverField = error instanceof GraphQLRequestError ? error.field : undefined;
  const dirty = JSON.stringify(draft) !== JSON.stringify(initial);
  const grantsKeys = draft.permissions.includes('api_keys.manage');

  async function submit(event: FormEvent) {
    event.preventDefault();
    setSubmitted(true);
    if (Object.keys(validateRoleDraft(draft)).length > 0) return;
    setBusy(true);
    setError(null);
    try {
      if (role) {
        await gqlRequest(UpdateCustomRoleDocument, { input: updateRoleInput(entityId, role.id, draft) });
        onDone(`Saved the role ${draft.name.trim()}.`);
      } else {
        await gqlRequest(CreateCustomRoleDocument, { input: createRoleInput(entityId, draft) });
        onDone(`Created the role ${draft.name.trim()}.`);
      }
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  }

  return (
    <Modal
      title={role ? `Edit the role ${role.name}` : 'Create a custom role'}
      onClose={busy || dirty ? undefined : onClose}
      className="modal-wide"
    >
      <form onSubmit={submit} noValidate>
        {error !== null && <ErrorNotice error={error} prefix="Could not save the role" onStale={onStale} />}
        <div className="field">
          <label htmlFor={`${uid}-name`}>Name</label>
          <input
            id={`${uid}-name`}
            value={draft.name}
            onChange={(e) => setDraft({ ...draft, name: e.target.value })}
            aria-invalid={errors.name || serverField === 'name' ? true : undefined}
            aria-describedby={errors.name ? `${uid}-name-error` : undefined}
            data-autofocus=""
          />
          <FieldError id={`${uid}-name`} error={errors.name} />
        </div>
        <fieldset className="fieldset" aria-describedby={errors.permissions ? `${uid}-perms-error` : undefined}>
          <legend>Permissions</legend>
          {permissions.map((p) => (
            <label key={p.name} className="checkbox block">
              <input
                type="checkbox"
                checked={draft.permissions.includes(p.name)}
                onChange={(e) => setDraft({ ...draft, permissions: toggle(draft.permissions, p.name, e.target.checked) })}
              />{' '}
              <span className="mono">{p.name}</span> <span className="muted">{p.description}</span>
            </label>
          ))}
          <FieldError id={`${uid}-perms`} error={errors.permissions} />
        </fieldset>
        <fieldset className="fieldset" disabled={!grantsKeys}>
          <legend>Scopes holders may grant on keys</legend>
          {!grantsKeys && <p className="hint">Only with api_keys.manage.</p>}
          <label className="checkbox block">
            <input
              type="radio"
              name={`${uid}-limit`}
              checked={!draft.limitScopes}
              onChange={() => setDraft({ ...draft, limitScopes: false })}
            />{' '}
            Every scope
          </label>
          <label className="checkbox block">
            <input
              type="radio"
              name={`${uid}-limit`}
              checked={draft.limitScopes}
              onChange={() => setDraft({ ...draft, limitScopes: true })}
            />{' '}
            Only these scopes
          </label>
          {draft.limitScopes && (
            <div className="role-scope-grid">
              {scopes.map((res) => (
                <div key={res.resource} className="role-scope-group">
                  <span className="role-scope-resource">{res.resource}</span>
                  {res.scopes.map((s) => (
                    <label key={s.name} className="checkbox" title={s.description}>
                      <input
                        type="checkbox"
                        checked={draft.scopes.includes(s.name)}
                        onChange={(e) => setDraft({ ...draft, scopes: toggle(draft.scopes, s.name, e.target.checked) })}
                      />{' '}
                      <span className="mono">{s.name}</span>
                    </label>
                  ))}
                </div>
              ))}
            </div>
          )}
          <FieldError id={`${uid}-scopes`} error={errors.scopes} />
        </fieldset>
        <div className="form-actions">
          <button type="button" className="button" onClick={onClose} disabled={busy}>
            Cancel
          </button>
          <button type="submit" className="button primary" disabled={busy}>
            {busy ? 'Saving…' : role ? 'Save role' : 'Create role'}
          </button>
        </div>
      </form>
    </Modal>
  );
}
