import { describe, expect, it } from 'vitest';
import { isTab, modeParam, tabPath } from './paths';

describe('paths', () => {
  it('builds tab URLs, carrying the mode', () => {
    expect(tabPath('ent_1', 'logs')).toBe('/entities/ent_1/developers/logs');
    expect(tabPath('ent 1', 'logs', 'test')).toBe('/entities/ent%201/developers/logs?mode=test');
  });

  it('reads only a valid mode', () => {
    expect(modeParam('?mode=TEST&range=1h')).toBe('test');
    expect(modeParam('?mode=all')).toBeNull();
    expect(modeParam(new URLSearchParams('mode=live'))).toBe('live');
  });

  it('knows its tabs', () => {
    expect(isTab('api-keys')).toBe(true);
    expect(isTab('settings')).toBe(false);
    expect(isTab(undefined)).toBe(false);
  });
});
