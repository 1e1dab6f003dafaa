import { useEffect, useRef, useState } from 'react';

/**
 * A text box bound to a value kept elsewhere (the URL): typing updates the box at once and commits
 * the text after `delayMs` without typing; when the value changes from outside (Back, a link, "Clear
 * filters") the box follows it.
 */
export function useDebouncedField(
  value: string,
  commit: (text: string) => void,
  delayMs: number,
): [string, (text: string) => void] {
  const [text, setText] = useState(value);
  const committed = useRef(value);
  const commitRef = useRef(commit);
  useEffect(() => {
    commitRef.current = commit;
  });

  useEffect(() => {
    if (value !== committed.current) {
      committed.current = value;
      setText(value);
    }
  }, [value]);

  useEffect(() => {
    if (text === committed.current) return;
    const timer = window.setTimeout(() => {
      committed.current = text;
      commitRef.current(text);
    }, delayMs);
    return () => window.clearTimeout(timer);
  }, [text, delayMs]);

  return [text, setText];
}
