import { describe, expect, it } from 'vitest';
import { formatSearch, parseSearch } from '../shared/url/searchState';
import { EXPIRING_WITHIN_DAYS, KEY_FILTERS, PAGE_SIZE, isFiltered, keysVariables } from './filters';

const parse = (query: string) => parseSearch(KEY_FILTERS, new URLSearchParams(query));

describe('API key filters', () => {
  it('shows the active test keys by default (revoked and expired ones hidden)', () => {
    const filters = parse('');
    expect(isFiltered(filters)).toBe(false);
    expect(keysVariables('ent_1', filters, null)).toEqual({
      id: 'ent_1',
      mode: 'TEST',
      status: ['ACTIVE'],
      expiringWithinDays: null,
      search: null,
      first: PAGE_SIZE,
      after: null,
    });
    expect(formatSearch(KEY_FILTERS, filters).toString()).toBe('');
  });

  it('reads the page mode from ?mode', () => {
    expect(keysVariables('ent_1', parse('mode=live'), null).mode).toBe('LIVE');
    expect(keysVariables('ent_1', parse('mode=staging'), null).mode).toBe('TEST');
  });

  it('keeps the page mode in the URL as it was (never adds or drops it)', () => {
    expect(formatSearch(KEY_FILTERS, { ...parse('mode=live'), status: 'ALL' }).toString()).toBe('mode=live&status=all');
    expect(formatSearch(KEY_FILTERS, { ...parse('mode=test'), search: 'x' }).toString()).toBe('mode=test&q=x');
    expect(formatSearch(KEY_FILTERS, { ...parse(''), search: 'x' }).toString()).toBe('q=x');
  });

  it('shows every status with status=all', () => {
    const filters = parse('status=all');
    expect(isFiltered(filters)).toBe(true);
    expect(keysVariables('ent_1', filters, null)).toMatchObject({ status: null, expiringWithinDays: null });
    expect(formatSearch(KEY_FILTERS, filters).toString()).toBe('status=all');
  });

  it('turns "expiring soon" into active keys expiring within the window', () => {
    const filters = parse('mode=test&status=expiring&q=%20sync%20');
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
    expect(keysVariables('ent_1', parse('status=revoked'), null)).toMatchObject({
      status: ['REVOKED'],
      expiringWithinDays: null,
    });
  });
});
