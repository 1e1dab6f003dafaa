// GraphQL subscriptions over graphql-transport-ws with the maintained `graphql-ws` client.
// Same-origin, so the HttpOnly session cookie signs the socket in; connection_init carries an
// empty payload. One socket per subscription: it reconnects (with backoff) when it drops, and ends
// for good on a server `error`, an authentication/authorization close (44xx) or unsubscribe().

import { createClient, type Client } from 'graphql-ws';
import type { TypedDocumentString } from '../../gql/graphql';
import { GRAPHQL_ENDPOINT, GraphQLRequestError, fromGraphQLErrors, type RawGraphQLError } from './client';

export type SubscriptionStatus = 'connecting' | 'live' | 'reconnecting' | 'closed';

export interface SubscriptionHandlers<TData> {
  next: (data: TData) => void;
  /** The subscription ended with an error; it will not be retried. */
  error: (error: GraphQLRequestError) => void;
  /** The server completed the subscription. */
  complete?: () => void;
  status?: (status: SubscriptionStatus) => void;
}

const ACK_TIMEOUT_MS = 10_000;
const PING_INTERVAL_MS = 25_000;
const MAX_RETRIES = 8;

export function socketUrl(href: string = window.location.href): string {
  const url = new URL(GRAPHQL_ENDPOINT, href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.toString();
}

function isCloseEvent(value: unknown): value is { code: number; reason: string } {
  return typeof value === 'object' && value !== null && 'code' in value && typeof value.code === 'number';
}

/** What the user is told when the subscription ends with `reason` (a close event, errors or an Error). */
export function subscriptionError(reason: unknown): GraphQLRequestError {
  if (reason instanceof GraphQLRequestError) return reason;
  if (Array.isArray(reason)) return fromGraphQLErrors(reason as RawGraphQLError[], 'The subscription failed.');
  if (isCloseEvent(reason)) {
    // 4401 Unauthorized, 4403 Forbidden (no/invalid session, origin refused), 4400 bad message,
    // 4406 subprotocol not acceptable, 4409 duplicate id, 4429 too many init requests.
    switch (reason.code) {
      case 4401:
        return new GraphQLRequestError('Your session has expired. Sign in again.', 'UNAUTHENTICATED');
      case 4403:
        return new GraphQLRequestError(
          'The live connection was refused (you may not have access, or your session expired).',
          'FORBIDDEN',
        );
      case 4400:
      case 4406:
      case 4409:
      case 4429:
        return new GraphQLRequestError(`The live connection was closed: ${reason.reason || reason.code}`, 'INTERNAL');
      default:
        return new GraphQLRequestError('The live connection was lost.', 'NETWORK_ERROR');
    }
  }
  if (reason instanceof Error && reason.message) {
    return new GraphQLRequestError(reason.message, 'NETWORK_ERROR');
  }
  return new GraphQLRequestError('The live connection was lost.', 'NETWORK_ERROR');
}

/** Starts a subscription; returns a function that ends it. */
export function subscribe<TData, TVars>(
  document: TypedDocumentString<TData, TVars>,
  variables: TVars,
  handlers: SubscriptionHandlers<TData>,
): () => void {
  let finished = false;
  const setStatus = (status: SubscriptionStatus) => {
    if (!finished) handlers.status?.(status);
  };

  const client: Client = createClient({
    url: socketUrl(),
    connectionParams: {},
    lazy: true,
    keepAlive: PING_INTERVAL_MS,
    connectionAckWaitTimeout: ACK_TIMEOUT_MS,
    retryAttempts: MAX_RETRIES,
    // graphql-ws retries 4403 (access may be granted later); here it means the session or the
    // origin was refused, which retrying does not change.
    shouldRetry: (reason) => isCloseEvent(reason) && reason.code !== 4403,
    on: {
      connecting: (isRetry) => setStatus(isRetry ? 'reconnecting' : 'connecting'),
      connected: () => setStatus('live'),
    },
  });

  let stop: () => void = () => {};
  function finish(error: GraphQLRequestError | null) {
    if (finished) return;
    handlers.status?.('closed');
    finished = true;
    stop();
    void client.dispose();
    if (error) handlers.error(error);
    else handlers.complete?.();
  }

  stop = client.subscribe<TData>(
    { query: document.toString(), variables: (variables ?? {}) as Record<string, unknown> },
    {
      next: (result) => {
        if (finished) return;
        if (result.errors && result.errors.length > 0) finish(subscriptionError(result.errors));
        else if (result.data) handlers.next(result.data);
      },
      error: (reason) => finish(subscriptionError(reason)),
      complete: () => finish(null),
    },
  );

  return () => {
    if (finished) return;
    finished = true;
    stop();
    void client.dispose();
  };
}
