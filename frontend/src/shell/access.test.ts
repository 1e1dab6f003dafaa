import { describe, expect, it } from 'vitest';
import { DEVELOPERS_MISSING, developersAccess, hasDeveloperRole, tabToOpen, usableTabs } from './access';

const ALL = ['api_keys.manage', 'webhooks.manage', 'logs.read', 'analytics.read', 'audit.read', 'members.manage', 'pii.read'];
const ids = (tabs: { id: string }[]) => tabs.map((t) => t.id);

describe('developer access', () => {
  it('is for owners, admins and custom roles with a developer permission', () => {
    expect(hasDeveloperRole({ role: 'OWNER', permissions: ALL })).toBe(true);
    expect(hasDeveloperRole({ role: 'ADMIN', permissions: ALL })).toBe(true);
    expect(hasDeveloperRole({ role: 'STAFF', permissions: [] })).toBe(false);
    expect(hasDeveloperRole({ role: 'MANAGER', permissions: [] })).toBe(false);
    expect(hasDeveloperRole({ role: 'CUSTOM', permissions: ['logs.read'] })).toBe(true);
    expect(hasDeveloperRole({ role: 'CUSTOM', permissions: ['members.manage', 'pii.read'] })).toBe(false);
  });

  it('offers admins every tab, API keys first', () => {
    const access = developersAccess({ role: 'ADMIN', permissions: ALL, apiAccessEnabled: true });
    expect(access.status).toBe('open');
    expect(ids(access.tabs)).toEqual([
      'api-keys',
      'webhooks',
      'postman',
      'logs',
      'analytics',
      'attention',
      'docs',
      'sdks',
      'audit-log',
      'team',
      'settings',
    ]);
  });

  it('offers a custom role only the tabs its permissions open', () => {
    expect(ids(usableTabs({ role: 'CUSTOM', permissions: ['logs.read', 'analytics.read'] }))).toEqual([
      'logs',
      'analytics',
      'attention',
      'docs',
      'sdks',
    ]);
    expect(ids(usableTabs({ role: 'CUSTOM', permissions: ['audit.read'] }))).toEqual(['docs', 'sdks', 'audit-log']);
    expect(ids(usableTabs({ role: 'CUSTOM', permissions: ['api_keys.manage'] }))).toEqual(['api-keys', 'postman', 'docs', 'sdks']);
  });

  it('offers the reading tabs (Docs, SDKs) to no one outside the Developers page', () => {
    expect(ids(usableTabs({ role: 'CUSTOM', permissions: ['members.manage'] }))).toEqual(['team']);
    expect(ids(usableTabs({ role: 'STAFF', permissions: [] }))).toEqual([]);
  });

  it('hides the page from staff whatever the API access', () => {
    expect(developersAccess({ role: 'STAFF', permissions: [], apiAccessEnabled: true })).toEqual({ status: 'no-role', tabs: [] });
  });

  it('with API access off leaves owners only the settings tab, custom roles nothing', () => {
    const owner = developersAccess({ role: 'OWNER', permissions: ALL, apiAccessEnabled: false });
    expect(owner.status).toBe('api-disabled');
    expect(ids(owner.tabs)).toEqual(['settings']);
    const custom = developersAccess({ role: 'CUSTOM', permissions: ['logs.read'], apiAccessEnabled: false });
    expect(custom.tabs).toEqual([]);
  });

  it('opens the requested tab when usable, else the default, else the first', () => {
    const tabs = usableTabs({ role: 'ADMIN', permissions: ALL });
    expect(tabToOpen(tabs, 'logs', 'api-keys')).toBe('logs');
    expect(tabToOpen(tabs, 'nope', 'api-keys')).toBe('api-keys');
    const logsOnly = usableTabs({ role: 'CUSTOM', permissions: ['logs.read'] });
    expect(tabToOpen(logsOnly, 'api-keys', 'api-keys')).toBe('logs');
    expect(tabToOpen([], undefined, 'api-keys')).toBeNull();
  });

  it('says why with the product wording', () => {
    expect(DEVELOPERS_MISSING).toContain('confirm your role is owner or admin and the entity has API access enabled');
  });
});
