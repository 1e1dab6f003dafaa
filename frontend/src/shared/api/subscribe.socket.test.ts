// @vitest-environment jsdom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TypedDocumentString } from '../../gql/graphql';
import { subscribe, type SubscriptionStatus } from './subscribe';

/** The browser side of a WebSocket, driven by the test as the server. */
class FakeSocket {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  static instances: FakeSocket[] = [];

  readyState = FakeSocket.CONNECTING;
  sent: { type: string; id?: string; payload?: unknown }[] = [];
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: string }) => void) | null = null;
  onclose: ((event: { code: number; reason: string; wasClean: boolean }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;

  constructor(
    readonly url: string,
    readonly protocol: string,
  ) {
    FakeSocket.instances.push(this);
    queueMicrotask(() => {
      this.readyState = FakeSocket.OPEN;
      this.onopen?.({});
    });
  }

  send(data: string) {
    this.sent.push(JSON.parse(data));
  }

  close(code = 1000, reason = '') {
    if (this.readyState === FakeSocket.CLOSED) return;
    this.readyState = FakeSocket.CLOSED;
    queueMicrotask(() => this.onclose?.({ code, reason, wasClean: true }));
  }

  /** The server sends a message. */
  receive(message: object) {
    this.onmessage?.({ data: JSON.stringify(message) });
  }

  /** The server (or the network) closes the socket. */
  drop(code: number, reason = '') {
    this.readyState = FakeSocket.CLOSED;
    this.onclose?.({ code, reason, wasClean: false });
  }

  subscribeMessage() {
    return this.sent.find((m) => m.type === 'subscribe');
  }
}

const TAIL = new TypedDocumentString<{ tail: { id: string } }, { entityId: string }>(
  'subscription T($entityId: ID!) { tail(entityId: $entityId) { id } }',
);

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

function start() {
  const statuses: SubscriptionStatus[] = [];
  const handlers = {
    next: vi.fn(),
    error: vi.fn(),
    complete: vi.fn(),
    status: (s: SubscriptionStatus) => statuses.push(s),
  };
  const stop = subscribe(TAIL, { entityId: 'ent_1' }, handlers);
  return { handlers, statuses, stop };
}

beforeEach(() => {
  FakeSocket.instances = [];
  vi.stubGlobal('WebSocket', FakeSocket);
});
afterEach(() => {
  vi.useRealTimers();
});

describe('subscribe', () => {
  it('signs in with an empty payload, subscribes once acknowledged and delivers data', async () => {
    const { handlers, statuses, stop } = start();
    await flush();
    const socket = FakeSocket.instances[0];
    expect(socket.url).toBe('ws://localhost:3000/graphql');
    expect(socket.protocol).toBe('graphql-transport-ws');
    expect(socket.sent).toEqual([{ type: 'connection_init', payload: {} }]);
    expect(statuses).toEqual(['connecting']);

    socket.receive({ type: 'connection_ack' });
    await flush();
    expect(statuses).toEqual(['connecting', 'live']);
    const sub = socket.subscribeMessage();
    expect(sub?.payload).toEqual({ query: TAIL.toString(), variables: { entityId: 'ent_1' } });

    socket.receive({ id: sub?.id, type: 'next', payload: { data: { tail: { id: 'req_1' } } } });
    expect(handlers.next).toHaveBeenCalledExactlyOnceWith({ tail: { id: 'req_1' } });

    stop();
    await flush();
    expect(socket.sent.at(-1)).toEqual({ id: sub?.id, type: 'complete' });
    expect(socket.readyState).toBe(FakeSocket.CLOSED);
    expect(handlers.error).not.toHaveBeenCalled();
  });

  it('ends with the error of a failed subscription', async () => {
    const { handlers, statuses } = start();
    await flush();
    const socket = FakeSocket.instances[0];
    socket.receive({ type: 'connection_ack' });
    await flush();
    const sub = socket.subscribeMessage();
    socket.receive({ id: sub?.id, type: 'error', payload: [{ message: 'No logs.read', extensions: { code: 'FORBIDDEN' } }] });
    await flush();
    expect(handlers.error).toHaveBeenCalledOnce();
    expect(handlers.error.mock.calls[0][0]).toMatchObject({ code: 'FORBIDDEN', message: 'No logs.read' });
    expect(statuses.at(-1)).toBe('closed');
    expect(handlers.next).not.toHaveBeenCalled();
  });

  it('gives up at once when the server refuses the session (4403)', async () => {
    const { handlers } = start();
    await flush();
    FakeSocket.instances[0].drop(4403, 'Forbidden');
    await flush();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(handlers.error).toHaveBeenCalledOnce();
    expect(handlers.error.mock.calls[0][0]).toMatchObject({ code: 'FORBIDDEN' });
    expect(FakeSocket.instances).toHaveLength(1);
  });

  it('reconnects after the connection drops', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { handlers, statuses, stop } = start();
    await vi.advanceTimersByTimeAsync(0);
    FakeSocket.instances[0].receive({ type: 'connection_ack' });
    await vi.advanceTimersByTimeAsync(0);
    FakeSocket.instances[0].drop(1006);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(FakeSocket.instances).toHaveLength(2);
    expect(statuses).toContain('reconnecting');
    FakeSocket.instances[1].receive({ type: 'connection_ack' });
    await vi.advanceTimersByTimeAsync(0);
    expect(statuses.at(-1)).toBe('live');
    expect(FakeSocket.instances[1].subscribeMessage()).toBeTruthy();
    expect(handlers.error).not.toHaveBeenCalled();
    stop();
  });
});
