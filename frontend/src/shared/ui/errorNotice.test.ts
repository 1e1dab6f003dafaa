import { describe, expect, it } from 'vitest';
import { GraphQLRequestError } from '../api/client';
import { errorCopyText, errorInfo } from './errorNotice';

describe('error notice', () => {
  it('reads the code, field, other extensions and request ID', () => {
    const err = new GraphQLRequestError(
      'Name is taken',
      'BAD_USER_INPUT',
      'name',
      [{ message: 'Name is taken', extensions: { code: 'BAD_USER_INPUT', field: 'name', reason: 'duplicate' } }],
      'req_abc',
    );
    const info = errorInfo(err);
    expect(info).toMatchObject({ code: 'BAD_USER_INPUT', field: 'name', extra: ['reason: duplicate'], requestId: 'req_abc', stale: false });
    expect(errorCopyText(info, 'Could not save')).toBe(
      'Could not save: Name is taken · BAD_USER_INPUT · field name · reason: duplicate · request req_abc',
    );
  });

  it('calls CONFLICT and NOT_FOUND stale', () => {
    expect(errorInfo(new GraphQLRequestError('gone', 'NOT_FOUND')).stale).toBe(true);
    expect(errorInfo(new GraphQLRequestError('changed', 'CONFLICT')).stale).toBe(true);
    expect(errorInfo(new GraphQLRequestError('no', 'FORBIDDEN')).stale).toBe(false);
  });

  it('shows a plain error as its message', () => {
    expect(errorInfo(new Error('boom'))).toMatchObject({ message: 'boom', code: null, requestId: null, stale: false });
  });
});
