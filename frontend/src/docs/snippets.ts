// The SDKs tab's per-operation snippets: languages, grouping by resource, and the checks that a
// snippet shown for copying reads the key from $API_KEY.

export const LANGUAGES = ['curl', 'python', 'javascript'] as const;
export type SnippetLanguage = (typeof LANGUAGES)[number];

export const LANGUAGE_LABELS: Record<SnippetLanguage, string> = {
  curl: 'curl',
  python: 'Python (httpx)',
  javascript: 'JavaScript (fetch)',
};

export interface OperationLike {
  operationId: string;
  tags: readonly string[];
  summary: string;
  path: string;
}

/** Operations grouped by their first tag (`other` without one), groups and operations in order. */
export function groupByResource<T extends OperationLike>(operations: readonly T[]): [string, T[]][] {
  const groups = new Map<string, T[]>();
  for (const op of operations) {
    const tag = op.tags[0] ?? 'other';
    const list = groups.get(tag) ?? [];
    list.push(op);
    groups.set(tag, list);
  }
  return [...groups.entries()];
}

/** Operations whose id, summary or path contains `query` (any case). */
export function filterOperations<T extends OperationLike>(operations: readonly T[], query: string): T[] {
  const q = query.trim().toLowerCase();
  if (!q) return [...operations];
  return operations.filter((op) =>
    [op.operationId, op.summary, op.path, ...op.tags].some((s) => s.toLowerCase().includes(q)),
  );
}

/** True when a snippet reads the key from the environment and holds nothing shaped like a key. */
export function usesEnvKey(snippet: string): boolean {
  return /API_KEY/.test(snippet) && !/\b[a-z]{2,8}_(live|test)_[a-z0-9]+_[A-Za-z0-9]{20,}/.test(snippet);
}
