import { createContext, useContext } from 'react';
import type { CustomRole, EntitySummaryFieldsFragment, Role, ViewerFieldsFragment } from '../gql/graphql';

export type Viewer = ViewerFieldsFragment;
export type EntitySummary = EntitySummaryFieldsFragment;

export interface ViewerContextValue {
  viewer: Viewer;
  /** After sign-out (null) or when impersonation starts or stops. */
  setViewer: (viewer: Viewer | null) => void;
}

export const ViewerContext = createContext<ViewerContextValue | null>(null);

/** The signed-in viewer; only inside the routes rendered once the viewer is known. */
export function useViewer(): ViewerContextValue {
  const value = useContext(ViewerContext);
  if (!value) throw new Error('useViewer outside a signed-in route');
  return value;
}

export function roleLabel(role: Role, customRole: Pick<CustomRole, 'name'> | null): string {
  if (role === 'CUSTOM') return customRole ? customRole.name : 'Custom';
  return role.charAt(0) + role.slice(1).toLowerCase();
}

export interface EntityOption {
  entity: EntitySummary;
  label: string;
}

/** The entities the viewer can open: their memberships, and the one they impersonate. */
export function entityOptions(viewer: Viewer): EntityOption[] {
  const options: EntityOption[] = viewer.memberships.map((m) => ({
    entity: m.entity,
    label: `${m.entity.name} — ${roleLabel(m.role, m.customRole)}`,
  }));
  const imp = viewer.impersonating;
  if (imp && !options.some((o) => o.entity.id === imp.id)) {
    options.unshift({ entity: imp, label: `${imp.name} — via impersonation` });
  }
  return options;
}

/**
 * The entity to show for a requested id: while impersonating always the impersonated one; else the
 * requested one if the viewer may open it, then the remembered one, then the first.
 */
export function chooseEntity(viewer: Viewer, requested: string | null, remembered: string | null): string | null {
  if (viewer.impersonating) return viewer.impersonating.id;
  const options = entityOptions(viewer);
  for (const id of [requested, remembered]) {
    if (id && options.some((o) => o.entity.id === id)) return id;
  }
  return options[0]?.entity.id ?? null;
}

const SELECTED_ENTITY_KEY = 'portico.selectedEntityId';

export function readStoredEntityId(): string | null {
  try {
    return window.localStorage.getItem(SELECTED_ENTITY_KEY);
  } catch {
    return null;
  }
}

export function storeEntityId(id: string): void {
  try {
    window.localStorage.setItem(SELECTED_ENTITY_KEY, id);
  } catch {
    /* storage unavailable: selection just isn't remembered */
  }
}
