import { useCallback, useRef, useState } from 'react';

export type CopyStatus = 'idle' | 'copied' | 'failed';

/** Selects the text inside `el`, so the user can press Ctrl+C when the clipboard is unavailable. */
export function selectContents(el: Node | null): void {
  const selection = window.getSelection();
  if (!el || !selection) return;
  const range = document.createRange();
  range.selectNodeContents(el);
  selection.removeAllRanges();
  selection.addRange(range);
}

/**
 * Copies `text` to the clipboard. Where the Clipboard API is unavailable (an insecure context, a
 * refused permission) the element behind `ref` is selected instead and the status says "failed".
 */
export function useCopyToClipboard<E extends HTMLElement = HTMLElement>(text: string) {
  const [status, setStatus] = useState<CopyStatus>('idle');
  const ref = useRef<E>(null);

  const copy = useCallback(async () => {
    try {
      if (!window.isSecureContext || !navigator.clipboard?.writeText) throw new Error('Clipboard unavailable');
      await navigator.clipboard.writeText(text);
      setStatus('copied');
    } catch {
      setStatus('failed');
      selectContents(ref.current);
    }
  }, [text]);

  const select = useCallback(() => selectContents(ref.current), []);

  return { status, copy, select, ref };
}
