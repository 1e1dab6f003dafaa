import { useEffect, useId, useRef, type ReactNode } from 'react';

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/** The focusable elements of `root`, in document order (hidden ones left out). */
export function focusables(root: HTMLElement): HTMLElement[] {
  return Array.from(root.querySelectorAll<HTMLElement>(FOCUSABLE)).filter(
    (el) => !el.closest('[hidden]') && !el.closest('[inert]') && el.getAttribute('aria-hidden') !== 'true',
  );
}

/**
 * `[data-autofocus]`, else the body's first field; null for a dialog without fields (the browser
 * then focuses its first control, the close button, never a destructive action).
 */
export function initialFocusTarget(dialog: HTMLElement): HTMLElement | null {
  const marked = dialog.querySelector<HTMLElement>('[data-autofocus]');
  if (marked) return marked;
  const body = dialog.querySelector<HTMLElement>('.modal-body');
  if (body) {
    const field = focusables(body).find((el) => el.matches('input, select, textarea'));
    if (field) return field;
  }
  return null;
}

interface Props {
  title: string;
  /** Escape / the close button. Omit to make the dialog closable only through its own buttons. */
  onClose?: () => void;
  children: ReactNode;
  className?: string;
  /** Renders below the title. */
  description?: ReactNode;
}

/**
 * A modal built on the native <dialog> element (focus trap, inert background, Escape handling),
 * opened with showModal() while mounted. Render it conditionally; unmounting closes it and returns
 * the focus to the element that had it when the dialog opened.
 */
export function Modal({ title, onClose, children, className, description }: Props) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const descriptionId = useId();
  const onCloseRef = useRef(onClose);
  useEffect(() => {
    onCloseRef.current = onClose;
  });

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    // Focus goes back to what opened the dialog once it is gone.
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (!dialog.open) dialog.showModal();
    // React's autoFocus runs before the dialog is shown (and so does nothing): a field marked
    // `data-autofocus`, else the first field of the body, gets the focus (not the close button).
    initialFocusTarget(dialog)?.focus();

    // Tab and Shift+Tab cycle inside the dialog (the native dialog lets the focus leave the page).
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.key !== 'Tab') return;
      const items = focusables(dialog);
      if (items.length === 0) {
        event.preventDefault();
        return;
      }
      const first = items[0];
      const last = items[items.length - 1];
      const active = document.activeElement;
      if (event.shiftKey && (active === first || !dialog.contains(active))) {
        event.preventDefault();
        last.focus();
      } else if (!event.shiftKey && (active === last || !dialog.contains(active))) {
        event.preventDefault();
        first.focus();
      }
    };
    dialog.addEventListener('keydown', onKeyDown);

    const onCancel = (event: Event) => {
      // Keep React in charge of whether the dialog is shown.
      event.preventDefault();
      onCloseRef.current?.();
    };
    const onNativeClose = () => {
      // The browser may close a dialog without a cancelable event (close watchers); reopen it if
      // React still wants it open and it isn't dismissible, else report the close.
      if (!ref.current?.isConnected) return;
      if (onCloseRef.current) onCloseRef.current();
      else if (!dialog.open) dialog.showModal();
    };
    dialog.addEventListener('cancel', onCancel);
    dialog.addEventListener('close', onNativeClose);
    return () => {
      dialog.removeEventListener('cancel', onCancel);
      dialog.removeEventListener('close', onNativeClose);
      dialog.removeEventListener('keydown', onKeyDown);
      if (dialog.open) dialog.close();
      const focused = document.activeElement;
      if (opener?.isConnected && (!focused || focused === document.body || dialog.contains(focused))) opener.focus();
    };
  }, []);

  return (
    <dialog
      ref={ref}
      className={className ? `modal ${className}` : 'modal'}
      aria-labelledby={titleId}
      aria-describedby={description ? descriptionId : undefined}
    >
      <div className="modal-head">
        <h2 id={titleId}>{title}</h2>
        {onClose && (
          <button type="button" className="modal-close" aria-label="Close" onClick={onClose}>
            ×
          </button>
        )}
      </div>
      {description && (
        <div id={descriptionId} className="modal-description">
          {description}
        </div>
      )}
      <div className="modal-body">{children}</div>
    </dialog>
  );
}
