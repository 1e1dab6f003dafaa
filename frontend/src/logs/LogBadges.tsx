import { statusClass } from './logUtils';

export function StatusBadge({ status }: { status: number }) {
  const cls = statusClass(status);
  return (
    <span className={`pill http-status http-${cls}`} title={`HTTP ${status}`}>
      {status}
    </span>
  );
}

export function MethodLabel({ method }: { method: string }) {
  return <span className={`method method-${method.toLowerCase()}`}>{method}</span>;
}
