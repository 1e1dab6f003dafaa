/** A dismissible confirmation line ("Revoked …", "Export started …"). */
export function Flash({ message, onDismiss }: { message: string | null; onDismiss: () => void }) {
  if (!message) return null;
  return (
    <div className="flash" role="status">
      <span>{message}</span>
      <button type="button" className="modal-close" aria-label="Dismiss" onClick={onDismiss}>
        ×
      </button>
    </div>
  );
}
