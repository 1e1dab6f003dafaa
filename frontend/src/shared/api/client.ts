// The GraphQL client: same-origin POST /graphql, session via the HttpOnly cookie. Documents are the
// typed strings generated from ../schema.graphql (src/gql), so results and variables are checked.

import type { TypedDocumentString } from '../../gql/graphql';

/** `extensions.code` values the server sends, plus the client's own NETWORK_ERROR. */
export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'BAD_USER_INPUT'
  | 'CONFLICT'
  | 'RATE_LIMITED'
  | 'GRAPHQL_PARSE_FAILED'
  | 'GRAPHQL_VALIDATION_FAILED'
  | 'INTERNAL_SERVER_ERROR'
  | 'NETWORK_ERROR'
  | 'INTERNAL';

export interface RawGraphQLError {
  message?: string;
  path?: readonly (string | number)[];
  extensions?: { code?: string; field?: string; [key: string]: unknown };
}

export class GraphQLRequestError extends Error {
  readonly code: ErrorCode;
  readonly field?: string;
  readonly errors: RawGraphQLError[];
  /** The `X-Request-Id` of the HTTP response that carried the error, when there was one. */
  requestId: string | null;

  constructor(message: string, code: ErrorCode, field?: string, errors: RawGraphQLError[] = [], requestId: string | null = null) {
    super(message);
    this.name = 'GraphQLRequestError';
    this.code = code;
    this.field = field;
    this.errors = errors;
    this.requestId = requestId;
  }

  /** True if any of the returned errors carries the given code. */
  has(code: ErrorCode): boolean {
    return this.code === code || this.errors.some((e) => e.extensions?.code === code);
  }
}

/** The error for a list of GraphQL errors (HTTP response or subscription payload). */
export function fromGraphQLErrors(errors: readonly RawGraphQLError[], fallback = 'Something went wrong.'): GraphQLRequestError {
  const first = errors[0] ?? {};
  const code = (first.extensions?.code as ErrorCode | undefined) ?? 'INTERNAL';
  return new GraphQLRequestError(first.message || fallback, code, first.extensions?.field, [...errors]);
}

export function isForbidden(err: unknown): boolean {
  return err instanceof GraphQLRequestError && err.has('FORBIDDEN');
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

type UnauthenticatedListener = () => void;
let onUnauthenticated: UnauthenticatedListener | null = null;

/** Registers a callback run when any request fails with UNAUTHENTICATED (e.g. expired session). */
export function setUnauthenticatedHandler(listener: UnauthenticatedListener | null): void {
  onUnauthenticated = listener;
}

export const GRAPHQL_ENDPOINT = '/graphql';

export interface RequestOptions {
  /** Run the unauthenticated handler on UNAUTHENTICATED (default true). */
  notifyUnauthenticated?: boolean;
}

/** Variables are optional for operations that declare none. */
type VariablesArgs<TVars> = Record<string, never> extends TVars
  ? [variables?: TVars, options?: RequestOptions]
  : [variables: TVars, options?: RequestOptions];

export async function gqlRequest<TData, TVars>(
  document: TypedDocumentString<TData, TVars>,
  ...[variables, options = {}]: VariablesArgs<TVars>
): Promise<TData> {
  const { notifyUnauthenticated = true } = options;
  let response: Response;
  try {
    response = await fetch(GRAPHQL_ENDPOINT, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ query: document.toString(), variables: variables ?? {} }),
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

  const requestId = response.headers?.get?.('x-request-id') ?? null;
  if (body?.errors && body.errors.length > 0) {
    const error = fromGraphQLErrors(body.errors);
    error.requestId = requestId;
    if (notifyUnauthenticated && error.has('UNAUTHENTICATED') && onUnauthenticated) {
      onUnauthenticated();
    }
    throw error;
  }

  if (!response.ok || !body || body.data === undefined || body.data === null) {
    throw new GraphQLRequestError(`Unexpected server response (HTTP ${response.status}).`, 'INTERNAL', undefined, [], requestId);
  }
  return body.data;
}
