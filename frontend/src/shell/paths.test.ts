import { describe, expect, it } from 'vitest';
import { DEFAULT_TAB, isTab, modeParam, tabPath, withMode } from './paths';

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

  it('sets the mode first and keeps the other parameters in order', () => {
    expect(withMode('', 'test')).toBe('?mode=test');
    expect(withMode('?range=7d&mode=test&status=4xx', 'live')).toBe('?mode=live&range=7d&status=4xx');
  });

  it('knows its tabs and opens on API keys', () => {
    expect(isTab('api-keys')).toBe(true);
    expect(isTab('settings')).toBe(true);
    expect(isTab('nope')).toBe(false);
    expect(isTab(undefined)).toBe(false);
    expect(DEFAULT_TAB).toBe('api-keys');
  });
});
