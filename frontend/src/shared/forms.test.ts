import { describe, expect, it } from 'vitest';
import { GraphQLRequestError } from './api/client';
import { toFormErrors } from './forms';

const MAP = { ipAllowlist: 'allowlist', name: 'name' } as const;

describe('toFormErrors', () => {
  it('puts a field error next to its field', () => {
    const err = new GraphQLRequestError('10.0.0.1/8 has host bits set', 'BAD_USER_INPUT', 'ipAllowlist');
    expect(toFormErrors(err, MAP)).toEqual({ general: null, fields: { allowlist: '10.0.0.1/8 has host bits set' } });
  });

  it('puts errors for unknown fields and other codes in the general alert', () => {
    expect(toFormErrors(new GraphQLRequestError('Nope', 'BAD_USER_INPUT', 'other'), MAP)).toEqual({
      general: 'Nope',
      fields: {},
    });
    expect(toFormErrors(new GraphQLRequestError('Role too low', 'FORBIDDEN'), MAP).general).toBe(
      "You don't have permission to do this. Role too low",
    );
    expect(toFormErrors(new Error('boom'), MAP)).toEqual({ general: 'boom', fields: {} });
  });
});
