import { describe, expect, it } from 'vitest';
import { DOWNLOADS, collectionName, environmentHoldsNoKey, runCommands } from './formats';

describe('collection downloads', () => {
  it('offers every format the server makes, once', () => {
    const formats = DOWNLOADS.map((d) => d.format);
    expect(new Set(formats).size).toBe(formats.length);
    expect([...formats].sort()).toEqual(['BRUNO', 'BRUNO_CLASSIC', 'INSOMNIA', 'POSTMAN', 'POSTMAN_ENVIRONMENT']);
  });

  it('names the files after the entity and the page mode', () => {
    expect(collectionName('acme', 'test')).toBe('acme-test');
    expect(collectionName('acme', 'live')).toBe('acme-live');
  });

  it('runs newman and bru with the key from $API_KEY, never a key in the command', () => {
    const commands = runCommands('acme', 'live');
    expect(commands.map((c) => c.tool)).toEqual(['newman (Postman)', 'bru (Bruno)']);
    for (const { command } of commands) {
      expect(command).toContain('--env-var api_key=$API_KEY');
      expect(command).toContain('acme-live');
      expect(command).not.toMatch(/pk_(live|test)_/);
    }
    expect(commands[0].command).toContain('-e acme-live.postman_environment.json');
  });

  it('tells an environment with an empty api_key from one holding a key', () => {
    expect(environmentHoldsNoKey({ values: [{ key: 'base_url', value: 'x' }, { key: 'api_key', value: '' }] })).toBe(true);
    expect(environmentHoldsNoKey({ values: [{ key: 'api_key', value: 'pk_test_acme_abc' }] })).toBe(false);
  });
});
