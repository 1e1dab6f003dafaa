import { describe, expect, it } from 'vitest';
import { socketUrl, subscriptionError } from './subscribe';

describe('subscriptions', () => {
  it('connects to /graphql on the same host, over wss for https pages', () => {
    expect(socketUrl('http://127.0.0.1:8000/entities/x/developers/logs')).toBe('ws://127.0.0.1:8000/graphql');
    expect(socketUrl('https://portal.example/')).toBe('wss://portal.example/graphql');
  });

  it('explains why the tail ended', () => {
    expect(subscriptionError({ code: 4401, reason: 'Unauthorized' })).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(subscriptionError({ code: 4403, reason: 'Forbidden' })).toMatchObject({ code: 'FORBIDDEN' });
    expect(subscriptionError({ code: 4429, reason: 'Too many' })).toMatchObject({
      code: 'INTERNAL',
      message: 'The live connection was closed: Too many',
    });
    expect(subscriptionError({ code: 1006, reason: '' })).toMatchObject({
      code: 'NETWORK_ERROR',
      message: 'The live connection was lost.',
    });
    expect(
      subscriptionError([{ message: 'No logs.read', extensions: { code: 'FORBIDDEN' } }]),
    ).toMatchObject({ code: 'FORBIDDEN', message: 'No logs.read' });
  });
});
