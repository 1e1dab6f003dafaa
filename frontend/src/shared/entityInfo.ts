// Hooks for what the Logs and Analytics tabs need to know about the entity besides their data.

import { useEffect, useState } from 'react';
import { gqlRequest } from './api/client';
import { EntityKeyLabelsDocument, EntityPermissionsDocument, type KeyLabelFieldsFragment } from '../gql/graphql';

export type KeyLabel = KeyLabelFieldsFragment;

const KEY_LABELS_PAGE = 100;

/** The viewer's permission names in the entity; null while loading (or if the query failed). */
export function useViewerPermissions(entityId: string): { permissions: string[] | null; loaded: boolean } {
  const [state, setState] = useState<{ permissions: string[] | null; loaded: boolean }>({
    permissions: null,
    loaded: false,
  });
  useEffect(() => {
    let cancelled = false;
    gqlRequest(EntityPermissionsDocument, { id: entityId }).then(
      (data) => {
        if (!cancelled) setState({ permissions: data.entity?.viewerPermissions ?? [], loaded: true });
      },
      () => {
        if (!cancelled) setState({ permissions: null, loaded: true });
      },
    );
    return () => {
      cancelled = true;
    };
  }, [entityId]);
  return state;
}

/**
 * Names for key ids, best effort: the keys list needs `api_keys.manage`, which a viewer who may read
 * logs does not necessarily have. Without it the tabs show key ids.
 */
export function useKeyLabels(entityId: string, enabled: boolean): ReadonlyMap<string, KeyLabel> {
  const [keys, setKeys] = useState<ReadonlyMap<string, KeyLabel>>(() => new Map());
  useEffect(() => {
    if (!enabled) return;
    let cancelled = false;
    gqlRequest(EntityKeyLabelsDocument, { id: entityId, first: KEY_LABELS_PAGE }, { notifyUnauthenticated: false }).then(
      (data) => {
        if (cancelled || !data.entity) return;
        setKeys(new Map(data.entity.apiKeys.edges.map((e) => [e.node.id, e.node])));
      },
      () => {
        /* no access to the keys list: show ids */
      },
    );
    return () => {
      cancelled = true;
    };
  }, [entityId, enabled]);
  return keys;
}
