import { describe, expect, it } from 'vitest';
import { parseSearch } from '../shared/url/searchState';
import { EXPIRING_WITHIN_DAYS, KEY_FILTERS, PAGE_SIZE, isFiltered, keysVariables } from './filters';

describe('API key filters', () => {
  it('asks for every key when nothing is filtered', () => {
    const filters = parseSearch(KEY_FILTERS, new URLSearchParams(''));
    expect(isFiltered(filters)).toBe(false);
    expect(keysVariables('ent_1', filters, null)).toEqual({
      id: 'ent_1',
      mode: null,
      status: null,
      expiringWithinDays: null,
      search: null,
      first: PAGE_SIZE,
      after: null,
    });
  });

  it('turns "expiring soon" into active keys expiring within the window', () => {
    const filters = parseSearch(KEY_FILTERS, new URLSearchParams('mode=test&status=expiring&q=%20sync%20'));
    expect(isFiltered(filters)).toBe(true);
    expect(keysVariables('ent_1', filters, 'cursor')).toMatchObject({
      mode: 'TEST',
      status: ['ACTIVE'],
      expiringWithinDays: EXPIRING_WITHIN_DAYS,
      search: 'sync',
      after: 'cursor',
    });
  });

  it('passes a plain status through', () => {
    const filters = parseSearch(KEY_FILTERS, new URLSearchParams('status=revoked'));
    expect(keysVariables('ent_1', filters, null)).toMatchObject({ status: ['REVOKED'], expiringWithinDays: null });
  });
});
