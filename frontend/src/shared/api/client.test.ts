import { afterEach, describe, expect, it, vi } from 'vitest';
import { TypedDocumentString } from '../../gql/graphql';
import { GraphQLRequestError, gqlRequest, setUnauthenticatedHandler } from './client';

const DOC = new TypedDocumentString<{ entity: { id: string } | null }, { id: string }>(
  'query E($id: ID!) { entity(id: $id) { id } }',
);

function respond(status: number, body: unknown) {
  const fetchMock = vi.fn(async () => new Response(JSON.stringify(body), { status }));
  vi.stubGlobal('fetch', fetchMock);
  return fetchMock;
}

afterEach(() => setUnauthenticatedHandler(null));

describe('gqlRequest', () => {
  it('posts the document and variables to /graphql with the session cookie', async () => {
    const fetchMock = respond(200, { data: { entity: { id: 'ent_1' } } });
    await expect(gqlRequest(DOC, { id: 'ent_1' })).resolves.toEqual({ entity: { id: 'ent_1' } });
    const [url, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/graphql');
    expect(init.method).toBe('POST');
    expect(init.credentials).toBe('same-origin');
    expect(JSON.parse(String(init.body))).toEqual({ query: DOC.toString(), variables: { id: 'ent_1' } });
  });

  it('raises the first error with its code and field', async () => {
    respond(200, {
      data: null,
      errors: [{ message: 'Bad CIDR', extensions: { code: 'BAD_USER_INPUT', field: 'ipAllowlist' } }],
    });
    const err = await gqlRequest(DOC, { id: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GraphQLRequestError);
    expect(err).toMatchObject({ message: 'Bad CIDR', code: 'BAD_USER_INPUT', field: 'ipAllowlist' });
  });

  it('keeps the X-Request-Id of the response that carried the error', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(
        async () =>
          new Response(JSON.stringify({ data: null, errors: [{ message: 'Gone', extensions: { code: 'NOT_FOUND' } }] }), {
            status: 200,
            headers: { 'X-Request-Id': 'req_abc' },
          }),
      ),
    );
    const err = await gqlRequest(DOC, { id: 'x' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'NOT_FOUND', requestId: 'req_abc' });
  });

  it('tells the app when the session is gone, unless asked not to', async () => {
    const handler = vi.fn();
    setUnauthenticatedHandler(handler);
    respond(200, { data: null, errors: [{ message: 'Sign in', extensions: { code: 'UNAUTHENTICATED' } }] });
    await expect(gqlRequest(DOC, { id: 'x' }, { notifyUnauthenticated: false })).rejects.toThrow('Sign in');
    expect(handler).not.toHaveBeenCalled();
    await expect(gqlRequest(DOC, { id: 'x' })).rejects.toThrow('Sign in');
    expect(handler).toHaveBeenCalledOnce();
  });

  it('reports network failures and non-GraphQL answers', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => Promise.reject(new TypeError('offline'))));
    await expect(gqlRequest(DOC, { id: 'x' })).rejects.toMatchObject({ code: 'NETWORK_ERROR' });
    vi.stubGlobal('fetch', vi.fn(async () => new Response('<html>Bad gateway</html>', { status: 502 })));
    await expect(gqlRequest(DOC, { id: 'x' })).rejects.toMatchObject({
      code: 'INTERNAL',
      message: 'Unexpected server response (HTTP 502).',
    });
  });
});
