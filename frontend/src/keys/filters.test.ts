import { describe, expect, it } from 'vitest';
import { formatSearch, parseSearch } from '../shared/url/searchState';
import { EXPIRING_WITHIN_DAYS, KEY_FILTERS, PAGE_SIZE, isFiltered, keysVariables } from './filters';

const parse = (query: string) => parseSearch(KEY_FILTERS, new URLSearchParams(query));

describe('API key filters', () => {
  it('shows the active test keys by default (revoked and expired ones hidden)', () => {
    const filters = parse('');
    expect(isFiltered(filters)).toBe(false);
    expect(keysVariables('ent_1', filters, 'TEST', null)).toEqual({
      id: 'ent_1',
      mode: 'TEST',
      status: ['ACTIVE'],
      expiringWithinDays: null,
      search: null,
      createdById: null,
      first: PAGE_SIZE,
      after: null,
    });
    expect(formatSearch(KEY_FILTERS, filters).toString()).toBe('');
  });

  it('asks for the page mode it is given (the page owns ?mode, not the filters)', () => {
    expect(keysVariables('ent_1', parse('mode=test'), 'LIVE', null).mode).toBe('LIVE');
    const keep = new URLSearchParams('mode=live');
    expect(formatSearch(KEY_FILTERS, { ...parse('mode=live'), status: 'ALL' }, keep).toString()).toBe('status=all&mode=live');
  });

  it('shows every status with status=all', () => {
    const filters = parse('status=all');
    expect(isFiltered(filters)).toBe(true);
    expect(keysVariables('ent_1', filters, 'TEST', null)).toMatchObject({ status: null, expiringWithinDays: null });
    expect(formatSearch(KEY_FILTERS, filters).toString()).toBe('status=all');
  });

  it('turns "expiring soon" into active keys expiring within the window', () => {
    const filters = parse('mode=test&status=expiring&q=%20sync%20');
    expect(isFiltered(filters)).toBe(true);
    expect(keysVariables('ent_1', filters, 'TEST', 'cursor')).toMatchObject({
      mode: 'TEST',
      status: ['ACTIVE'],
      expiringWithinDays: EXPIRING_WITHIN_DAYS,
      search: 'sync',
      after: 'cursor',
    });
  });

  it('narrows to the keys one user created (createdById)', () => {
    const filters = parse('creator=usr_1');
    expect(isFiltered(filters)).toBe(true);
    expect(keysVariables('ent_1', filters, 'TEST', null).createdById).toBe('usr_1');
    expect(formatSearch(KEY_FILTERS, filters).toString()).toBe('creator=usr_1');
  });

  it('takes the "expiring soon" window from the policy when given', () => {
    expect(keysVariables('ent_1', parse('status=expiring'), 'TEST', null, 30).expiringWithinDays).toBe(30);
  });

  it('passes a plain status through', () => {
    expect(keysVariables('ent_1', parse('status=revoked'), 'TEST', null)).toMatchObject({
      status: ['REVOKED'],
      expiringWithinDays: null,
    });
  });
});
