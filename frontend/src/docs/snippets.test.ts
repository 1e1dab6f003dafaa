import { describe, expect, it } from 'vitest';
import { LANGUAGES, filterOperations, groupByResource, usesEnvKey } from './snippets';

const op = (operationId: string, tags: string[], path = `/x/${operationId}`) => ({
  operationId,
  tags,
  summary: `Do ${operationId}`,
  path,
});

describe('snippets', () => {
  it('offers curl, Python and JavaScript', () => {
    expect(LANGUAGES).toEqual(['curl', 'python', 'javascript']);
  });

  it('groups operations by resource in order', () => {
    const groups = groupByResource([op('listOrders', ['orders']), op('whoami', []), op('getOrder', ['orders'])]);
    expect(groups.map(([tag, ops]) => [tag, ops.map((o) => o.operationId)])).toEqual([
      ['orders', ['listOrders', 'getOrder']],
      ['other', ['whoami']],
    ]);
  });

  it('filters by id, summary, path or tag', () => {
    const ops = [op('listOrders', ['orders'], '/entities/{entity_id}/orders'), op('listProducts', ['products'])];
    expect(filterOperations(ops, 'ORDERS').map((o) => o.operationId)).toEqual(['listOrders']);
    expect(filterOperations(ops, ' ')).toHaveLength(2);
  });

  it('accepts snippets reading $API_KEY and refuses one holding a key', () => {
    expect(usesEnvKey('curl -H "Authorization: Bearer $API_KEY" https://x')).toBe(true);
    expect(usesEnvKey('key = os.environ["API_KEY"]')).toBe(true);
    expect(usesEnvKey('curl -H "Authorization: Bearer pk_test_acme_AbCdEfGhIjKlMnOpQrStUvWxYz0123"')).toBe(false);
  });
});
