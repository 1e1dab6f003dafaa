import { describe, expect, it } from 'vitest';
import { chooseEntity, entityOptions, roleLabel, type EntitySummary, type Viewer } from './viewer';

const entity = (id: string, name: string): EntitySummary => ({
  id,
  name,
  code: id,
  apiAccessEnabled: true,
  organization: { id: 'org_1', name: 'Org' },
});

function viewer(impersonating: EntitySummary | null = null): Viewer {
  return {
    user: { id: 'usr_1', email: 'a@example.com', name: 'A' },
    isSiteAdmin: impersonating !== null,
    memberships: [
      { id: 'mem_1', role: 'OWNER', customRole: null, entity: entity('ent_a', 'Acme') },
      { id: 'mem_2', role: 'CUSTOM', customRole: { id: 'rol_1', name: 'Auditor' }, entity: entity('ent_b', 'Beta') },
    ],
    impersonating,
    impersonator: null,
  };
}

describe('viewer', () => {
  it('labels roles', () => {
    expect(roleLabel('OWNER', null)).toBe('Owner');
    expect(roleLabel('CUSTOM', { name: 'Auditor' })).toBe('Auditor');
    expect(roleLabel('CUSTOM', null)).toBe('Custom');
  });

  it('lists memberships, and an impersonated entity first', () => {
    expect(entityOptions(viewer()).map((o) => o.label)).toEqual(['Acme — Owner', 'Beta — Auditor']);
    expect(entityOptions(viewer(entity('ent_x', 'Xeno'))).map((o) => o.entity.id)).toEqual(['ent_x', 'ent_a', 'ent_b']);
  });

  it('opens the requested entity only if the viewer may', () => {
    expect(chooseEntity(viewer(), 'ent_b', 'ent_a')).toBe('ent_b');
    expect(chooseEntity(viewer(), 'ent_other', 'ent_b')).toBe('ent_b');
    expect(chooseEntity(viewer(), 'ent_other', 'ent_gone')).toBe('ent_a');
    expect(chooseEntity({ ...viewer(), memberships: [] }, 'ent_a', null)).toBeNull();
  });

  it('always shows the impersonated entity while impersonating', () => {
    expect(chooseEntity(viewer(entity('ent_x', 'Xeno')), 'ent_a', 'ent_b')).toBe('ent_x');
  });
});
