// Minimal GraphQL client: same-origin POST /graphql, session via HttpOnly cookie.

export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'BAD_USER_INPUT'
  | 'CONFLICT'
  | 'RATE_LIMITED'
  | 'NETWORK_ERROR'
  | 'INTERNAL';

interface RawGraphQLError {
  message?: string;
  path?: (string | number)[];
  extensions?: { code?: string; field?: string };
}

export class GraphQLRequestError extends Error {
  readonly code: ErrorCode;
  readonly field?: string;
  readonly errors: RawGraphQLError[];

  constructor(message: string, code: ErrorCode, field?: string, errors: RawGraphQLError[] = []) {
    super(message);
    this.name = 'GraphQLRequestError';
    this.code = code;
    this.field = field;
    this.errors = errors;
  }

  /** True if any of the returned errors carries the given code. */
  has(code: ErrorCode): boolean {
    return this.code === code || this.errors.some((e) => e.extensions?.code === code);
  }
}

type UnauthenticatedListener = () => void;
let onUnauthenticated: UnauthenticatedListener | null = null;

/** Registers a callback run when any request fails with UNAUTHENTICATED (e.g. expired session). */
export function setUnauthenticatedHandler(listener: UnauthenticatedListener | null): void {
  onUnauthenticated = listener;
}

export const GRAPHQL_ENDPOINT = '/graphql';

export async function gqlRequest<TData, TVars extends Record<string, unknown> = Record<string, unknown>>(
  query: string,
  variables?: TVars,
  options: { notifyUnauthenticated?: boolean } = {},
): Promise<TData> {
  const { notifyUnauthenticated = true } = options;
  let response: Response;
  try {
    response = await fetch(GRAPHQL_ENDPOINT, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ query, variables: variables ?? {} }),
    });
  } catch {
    throw new GraphQLRequestError('Could not reach the server. Check your connection and try again.', 'NETWORK_ERROR');
  }

  let body: { data?: TData | null; errors?: RawGraphQLError[] } | null = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }

  if (body?.errors && body.errors.length > 0) {
    const first = body.errors[0];
    const code = (first.extensions?.code as ErrorCode | undefined) ?? 'INTERNAL';
    const error = new GraphQLRequestError(
      first.message || 'Something went wrong.',
      code,
      first.extensions?.field,
      body.errors,
    );
    if (notifyUnauthenticated && error.has('UNAUTHENTICATED') && onUnauthenticated) {
      onUnauthenticated();
    }
    throw error;
  }

  if (!response.ok || !body || body.data === undefined || body.data === null) {
    throw new GraphQLRequestError(`Unexpected server response (HTTP ${response.status}).`, 'INTERNAL');
  }
  return body.data;
}
