import { describe, expect, it } from 'vitest';
import { parseSearch, formatSearch } from '../shared/url/searchState';
import { AUDIT_SPEC, actorKind, filterProblem, toEventFilter, toExportInput, toInstant, toLocalInput } from './filters';

const blank = { action: '', actor: '', from: '', to: '' };

describe('audit filters', () => {
  it('round-trips through the URL, leaving blanks out', () => {
    const values = { action: 'member.*', actor: 'ann@example.com', from: '2026-12-01T10:00', to: '' };
    const search = formatSearch(AUDIT_SPEC, values);
    expect(search.toString()).toBe('action=member.*&actor=ann%40example.com&from=2026-12-01T10%3A00');
    expect(parseSearch(AUDIT_SPEC, search)).toEqual(values);
  });

  it('sends an actor with an @ as email, else as id', () => {
    expect(actorKind('ann@example.com')).toBe('email');
    expect(actorKind(' 42 ')).toBe('id');
    expect(actorKind('  ')).toBeNull();
    expect(toEventFilter({ ...blank, actor: 'ann@example.com' })).toEqual({ actorEmail: 'ann@example.com' });
    expect(toEventFilter({ ...blank, actor: 'u1' })).toEqual({ actorId: 'u1' });
  });

  it('turns local times into instants and ignores invalid ones', () => {
    const local = toLocalInput(new Date(2026, 11, 3, 9, 5));
    expect(local).toBe('2026-12-03T09:05');
    expect(toInstant(local)).toBe(new Date(2026, 11, 3, 9, 5).toISOString());
    expect(toInstant('soon')).toBeNull();
    expect(toEventFilter({ ...blank, from: 'soon', action: ' api_key.created ' })).toEqual({ action: 'api_key.created' });
  });

  it('reports a bad or inverted range', () => {
    expect(filterProblem(blank)).toBeNull();
    expect(filterProblem({ ...blank, from: 'x' })).toMatch(/start/);
    expect(filterProblem({ ...blank, from: '2026-12-03T10:00', to: '2026-12-03T09:00' })).toMatch(/before/);
  });

  it('exports the last 30 days by default, with the action and an actor id but not an email', () => {
    const now = Date.UTC(2026, 11, 3, 12, 0, 0);
    const input = toExportInput('e1', { ...blank, action: 'member.*', actor: 'ann@example.com' }, 'NDJSON', now);
    expect(input).toEqual({
      entityId: 'e1',
      format: 'NDJSON',
      from: '2026-11-03T12:00:00.000Z',
      to: '2026-12-03T12:00:00.000Z',
      action: 'member.*',
    });
    expect(toExportInput('e1', { ...blank, actor: 'u7' }, 'CSV', now).actorId).toBe('u7');
  });
});
