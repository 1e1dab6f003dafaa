import { useCallback, useEffect, useRef, useState } from 'react';
import { EntityAuditExportsDocument, type AuditExportFieldsFragment } from '../gql/graphql';
import { errorMessage, gqlRequest } from '../shared/api/client';

export type AuditExport = AuditExportFieldsFragment;

const POLL_MS = 2000;

export function exportInProgress(e: Pick<AuditExport, 'status'>): boolean {
  return e.status === 'PENDING' || e.status === 'RUNNING';
}

export type ExportsState =
  | { status: 'loading' }
  | { status: 'error'; message: string }
  | { status: 'ready'; exports: AuditExport[] };

/** The entity's audit exports; polls every 2 s while one is being written. */
export function useAuditExports(entityId: string) {
  const [state, setState] = useState<ExportsState>({ status: 'loading' });
  const seq = useRef(0);

  const refresh = useCallback(async () => {
    const mine = ++seq.current;
    try {
      const data = await gqlRequest(EntityAuditExportsDocument, { id: entityId });
      if (mine === seq.current) setState({ status: 'ready', exports: data.entity.auditExports });
    } catch (err) {
      if (mine === seq.current) setState({ status: 'error', message: errorMessage(err) });
    }
  }, [entityId]);

  useEffect(() => {
    void refresh();
    return () => {
      seq.current++;
    };
  }, [refresh]);

  const polling = state.status === 'ready' && state.exports.some(exportInProgress);
  useEffect(() => {
    if (!polling) return;
    const timer = window.setTimeout(() => void refresh(), POLL_MS);
    return () => window.clearTimeout(timer);
  }, [polling, state, refresh]);

  const added = useCallback((e: AuditExport) => {
    seq.current++;
    setState((s) => ({
      status: 'ready',
      exports: [e, ...(s.status === 'ready' ? s.exports.filter((x) => x.id !== e.id) : [])],
    }));
  }, []);

  return { state, refresh, added, polling };
}
