import { describe, expect, it } from 'vitest';
import { formatSearch, oneOf, parseSearch, text } from './searchState';
import { keepPageParams } from './useSearchState';

const SPEC = {
  mode: oneOf('mode', ['ALL', 'LIVE', 'TEST'], 'ALL'),
  status: oneOf('status', ['', '2', '4', '5'], '', (v) => (v ? `${v}xx` : '')),
  search: text('q', 10),
};

describe('parseSearch', () => {
  it('gives the defaults for an empty query', () => {
    expect(parseSearch(SPEC, new URLSearchParams(''))).toEqual({ mode: 'ALL', status: '', search: '' });
  });

  it('reads values in any case, by URL form or value', () => {
    expect(parseSearch(SPEC, new URLSearchParams('mode=Test&status=4XX&q=orders'))).toEqual({
      mode: 'TEST',
      status: '4',
      search: 'orders',
    });
    expect(parseSearch(SPEC, new URLSearchParams('status=5')).status).toBe('5');
  });

  it('falls back to the default for values it does not know', () => {
    expect(parseSearch(SPEC, new URLSearchParams('mode=staging&status=3xx'))).toEqual({
      mode: 'ALL',
      status: '',
      search: '',
    });
  });

  it('cuts text to its maximum length', () => {
    expect(parseSearch(SPEC, new URLSearchParams(`q=${'x'.repeat(50)}`)).search).toBe('x'.repeat(10));
  });
});

describe('formatSearch', () => {
  it('leaves defaults and blank text out', () => {
    expect(formatSearch(SPEC, { mode: 'ALL', status: '', search: '  ' }).toString()).toBe('');
  });

  it('writes the URL form of each value', () => {
    expect(formatSearch(SPEC, { mode: 'LIVE', status: '4', search: 'a b' }).toString()).toBe(
      'mode=live&status=4xx&q=a+b',
    );
  });

  it('keeps parameters the spec does not own and replaces the ones it owns', () => {
    const keep = new URLSearchParams('log=req_1&mode=test&q=old');
    expect(formatSearch(SPEC, { mode: 'LIVE', status: '', search: '' }, keep).toString()).toBe('mode=live&log=req_1');
  });

  it('round-trips through parseSearch', () => {
    const values = { mode: 'TEST', status: '5', search: 'orders/1' } as const;
    expect(parseSearch(SPEC, formatSearch(SPEC, values))).toEqual(values);
  });
});

describe('page parameters', () => {
  const TAB = { mode: oneOf('mode', ['LIVE', 'TEST'], 'LIVE'), q: text('q') };

  it('keeps the page mode a tab would drop as its default', () => {
    const current = new URLSearchParams('mode=live&q=a');
    const next = formatSearch(TAB, { mode: 'LIVE', q: 'b' }, current);
    expect(next.toString()).toBe('q=b');
    expect(keepPageParams(TAB, { q: 'b' }, current, next).toString()).toBe('mode=live&q=b');
  });

  it('lets an update that sets the mode itself win', () => {
    const current = new URLSearchParams('mode=test');
    const next = formatSearch(TAB, { mode: 'LIVE', q: '' }, current);
    expect(keepPageParams(TAB, { mode: 'LIVE' }, current, next).toString()).toBe('');
  });
});
