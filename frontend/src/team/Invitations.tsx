import { useState } from 'react';
import { gqlRequest } from '../shared/api/client';
import { RevokeInvitationDocument, type InvitationFieldsFragment } from '../gql/graphql';
import { roleLabel } from '../auth/viewer';
import { formatDate } from '../shared/format';
import { Modal } from '../shared/ui/Modal';
import { ErrorNotice } from '../shared/ui/ErrorNotice';

type Invitation = InvitationFieldsFragment;

/** Pending invitations, with Revoke. */
export function Invitations({
  invitations,
  onChanged,
}: {
  invitations: readonly Invitation[];
  onChanged: (message: string | null) => void;
}) {
  const [revoking, setRevoking] = useState<Invitation | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  async function revoke(inv: Invitation) {
    setBusy(true);
    setError(null);
    try {
      await gqlRequest(RevokeInvitationDocument, { input: { id: inv.id } });
      setRevoking(null);
      onChanged(`Withdrew the invitation to ${inv.email}.`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="invitations-title" className="team-section">
      <h2 id="invitations-title">Pending invitations</h2>
      {invitations.length === 0 ? (
        <p className="muted">No pending invitations.</p>
      ) : (
        <div className="table-wrap">
          <table className="table stack" aria-label="Pending invitations">
            <thead>
              <tr>
                <th scope="col">Email</th>
                <th scope="col">Role</th>
                <th scope="col">Expires</th>
                <th scope="col">Invited by</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {invitations.map((inv) => (
                <tr key={inv.id}>
                  <td data-label="Email">{inv.email}</td>
                  <td data-label="Role">{roleLabel(inv.role, inv.customRole)}</td>
                  <td data-label="Expires">{formatDate(inv.expiresAt)}</td>
                  <td data-label="Invited by">{inv.invitedBy?.email ?? '—'}</td>
                  <td className="row-actions">
                    <button
                      type="button"
                      className="button small"
                      onClick={() => {
                        setError(null);
                        setRevoking(inv);
                      }}
                      aria-label={`Withdraw the invitation to ${inv.email}`}
                    >
                      Withdraw
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {revoking && (
        <Modal title={`Withdraw the invitation to ${revoking.email}?`} onClose={busy ? undefined : () => setRevoking(null)}>
          <p>The link in the invitation stops working. You can invite them again later.</p>
          {error !== null && <ErrorNotice error={error} prefix="Could not withdraw" onStale={() => onChanged(null)} />}
          <div className="form-actions">
            <button type="button" className="button" onClick={() => setRevoking(null)} disabled={busy}>
              Cancel
            </button>
            <button type="button" className="button danger" onClick={() => void revoke(revoking)} disabled={busy}>
              {busy ? 'Withdrawing…' : 'Withdraw invitation'}
            </button>
          </div>
        </Modal>
      )}
    </section>
  );
}
