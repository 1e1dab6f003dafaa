// A small graphql-transport-ws client (https://github.com/enisdenjo/graphql-ws/blob/master/PROTOCOL.md)
// on the browser WebSocket. Same-origin, so the HttpOnly session cookie signs the socket in;
// connection_init carries an empty payload.
//
//   connection_init → connection_ack → subscribe {id} → next* → complete | error
//
// One socket per subscription. The socket reconnects (with backoff) when it drops after having
// been acknowledged; a server `error`, an authentication/authorization close (44xx) or
// unsubscribe() end it for good.

import { GRAPHQL_ENDPOINT, GraphQLRequestError, type ErrorCode } from './graphql';

export type SubscriptionStatus = 'connecting' | 'live' | 'reconnecting' | 'closed';

export interface SubscriptionHandlers<TData> {
  next: (data: TData) => void;
  /** The subscription ended with an error; it will not be retried. */
  error: (error: GraphQLRequestError) => void;
  /** The server completed the subscription. */
  complete?: () => void;
  status?: (status: SubscriptionStatus) => void;
}

interface RawError {
  message?: string;
  extensions?: { code?: string; field?: string };
}

const PROTOCOL = 'graphql-transport-ws';
const ACK_TIMEOUT_MS = 10_000;
const PING_INTERVAL_MS = 25_000;
const MAX_RETRIES = 8;
const MAX_UNACKED_RETRIES = 4;

function socketUrl(): string {
  const url = new URL(GRAPHQL_ENDPOINT, window.location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.toString();
}

function toError(payload: unknown): GraphQLRequestError {
  const errors: RawError[] = Array.isArray(payload) ? (payload as RawError[]) : [payload as RawError];
  const first = errors[0] ?? {};
  const code = (first.extensions?.code as ErrorCode | undefined) ?? 'INTERNAL';
  return new GraphQLRequestError(first.message || 'The subscription failed.', code, first.extensions?.field, errors);
}

function closeError(event: CloseEvent): GraphQLRequestError | null {
  // 4401 Unauthorized, 4403 Forbidden (no/invalid session, origin refused), 4400 bad message,
  // 4406 subprotocol not acceptable, 4409 duplicate id, 4429 too many init requests.
  switch (event.code) {
    case 4401:
      return new GraphQLRequestError('Your session has expired. Sign in again.', 'UNAUTHENTICATED');
    case 4403:
      return new GraphQLRequestError(
        "The live connection was refused (you may not have access, or your session expired).",
        'FORBIDDEN',
      );
    case 4400:
    case 4406:
    case 4409:
    case 4429:
      return new GraphQLRequestError(`The live connection was closed: ${event.reason || event.code}`, 'INTERNAL');
    default:
      return null;
  }
}

/** Starts a subscription; returns a function that ends it. */
export function subscribe<TData>(
  query: string,
  variables: Record<string, unknown>,
  handlers: SubscriptionHandlers<TData>,
): () => void {
  let socket: WebSocket | null = null;
  let disposed = false;
  let retries = 0;
  let retryTimer: number | undefined;
  let ackTimer: number | undefined;
  let pingTimer: number | undefined;
  let seq = 0;

  const setStatus = (status: SubscriptionStatus) => handlers.status?.(status);

  function clearTimers() {
    window.clearTimeout(ackTimer);
    window.clearInterval(pingTimer);
    ackTimer = undefined;
    pingTimer = undefined;
  }

  function finish(error: GraphQLRequestError | null) {
    if (disposed) return;
    disposed = true;
    clearTimers();
    window.clearTimeout(retryTimer);
    const ws = socket;
    socket = null;
    if (ws && ws.readyState <= WebSocket.OPEN) ws.close(1000, 'Normal Closure');
    setStatus('closed');
    if (error) handlers.error(error);
    else handlers.complete?.();
  }

  function connect() {
    if (disposed) return;
    const id = String(++seq);
    let acknowledged = false;
    setStatus(retries === 0 ? 'connecting' : 'reconnecting');

    let ws: WebSocket;
    try {
      ws = new WebSocket(socketUrl(), PROTOCOL);
    } catch {
      finish(new GraphQLRequestError('Could not open the live connection.', 'NETWORK_ERROR'));
      return;
    }
    socket = ws;
    const send = (message: object) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
    };

    ws.onopen = () => {
      send({ type: 'connection_init', payload: {} });
      ackTimer = window.setTimeout(() => ws.close(4408, 'Connection acknowledgement timeout'), ACK_TIMEOUT_MS);
    };

    ws.onmessage = (event: MessageEvent) => {
      if (socket !== ws) return;
      let message: { type?: string; id?: string; payload?: unknown };
      try {
        message = JSON.parse(String(event.data));
      } catch {
        ws.close(4400, 'Invalid message');
        return;
      }
      switch (message.type) {
        case 'connection_ack':
          acknowledged = true;
          retries = 0;
          window.clearTimeout(ackTimer);
          send({ id, type: 'subscribe', payload: { query, variables } });
          pingTimer = window.setInterval(() => send({ type: 'ping' }), PING_INTERVAL_MS);
          setStatus('live');
          break;
        case 'ping':
          send({ type: 'pong' });
          break;
        case 'pong':
          break;
        case 'next': {
          if (message.id !== id) break;
          const payload = message.payload as { data?: TData | null; errors?: RawError[] } | undefined;
          if (payload?.errors && payload.errors.length > 0) {
            finish(toError(payload.errors));
          } else if (payload?.data) {
            handlers.next(payload.data);
          }
          break;
        }
        case 'error':
          if (message.id === id) finish(toError(message.payload));
          break;
        case 'complete':
          if (message.id === id) finish(null);
          break;
        default:
          break;
      }
    };

    ws.onclose = (event: CloseEvent) => {
      if (socket !== ws) return;
      socket = null;
      clearTimers();
      if (disposed) return;
      const fatal = closeError(event);
      if (fatal) {
        finish(fatal);
        return;
      }
      // Attempts that are never acknowledged (server down, handshake refused) give up sooner.
      if (retries >= MAX_RETRIES || (!acknowledged && retries >= MAX_UNACKED_RETRIES)) {
        finish(new GraphQLRequestError('The live connection was lost.', 'NETWORK_ERROR'));
        return;
      }
      const delay = Math.min(1000 * 2 ** retries, 30_000);
      retries += 1;
      setStatus('reconnecting');
      retryTimer = window.setTimeout(connect, delay);
    };
  }

  connect();

  return () => {
    if (disposed) return;
    const ws = socket;
    disposed = true;
    clearTimers();
    window.clearTimeout(retryTimer);
    socket = null;
    if (ws) {
      if (ws.readyState === WebSocket.OPEN) {
        try {
          ws.send(JSON.stringify({ id: String(seq), type: 'complete' }));
        } catch {
          /* closing anyway */
        }
      }
      if (ws.readyState <= WebSocket.OPEN) ws.close(1000, 'Normal Closure');
    }
  };
}
