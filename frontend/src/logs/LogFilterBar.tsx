import { useId } from 'react';
import { useDebouncedField } from '../shared/url/useDebouncedField';
import type { UpdateOptions } from '../shared/url/useSearchState';
import { LOG_RANGES } from './logUtils';
import { METHODS, STATUS_CLASSES, isFiltered, type LogFilters, type TextFilter } from './filters';

const DEBOUNCE_MS = 400;

interface Props {
  filters: LogFilters;
  setFilters: (patch: Partial<LogFilters>, options?: UpdateOptions) => void;
}

/** Mode, range, status, method and the text filters (debounced) of the Logs tab. */
export function LogFilterBar({ filters, setFilters }: Props) {
  const uid = useId();
  const commit = (name: TextFilter) => (value: string) => setFilters({ [name]: value }, { coalesce: name });
  const [path, setPath] = useDebouncedField(filters.pathPrefix, commit('pathPrefix'), DEBOUNCE_MS);
  const [requestId, setRequestId] = useDebouncedField(filters.requestId, commit('requestId'), DEBOUNCE_MS);
  const [apiKeyId, setApiKeyId] = useDebouncedField(filters.apiKeyId, commit('apiKeyId'), DEBOUNCE_MS);

  function clearFilters() {
    setPath('');
    setRequestId('');
    setApiKeyId('');
    setFilters({ statusClass: '', method: '', pathPrefix: '', requestId: '', apiKeyId: '' });
  }

  return (
    <div className="filters" role="search" aria-label="Filter logs">
      <div className="filter">
        <label htmlFor={`${uid}-range`}>Time range</label>
        <select
          id={`${uid}-range`}
          value={filters.range}
          onChange={(e) => setFilters({ range: e.target.value as LogFilters['range'] })}
        >
          {LOG_RANGES.map((r) => (
            <option key={r.id} value={r.id}>
              {r.label}
            </option>
          ))}
        </select>
      </div>
      <div className="filter">
        <label htmlFor={`${uid}-status`}>Status</label>
        <select
          id={`${uid}-status`}
          value={filters.statusClass}
          onChange={(e) => setFilters({ statusClass: e.target.value as LogFilters['statusClass'] })}
        >
          <option value="">All</option>
          {STATUS_CLASSES.map((s) => (
            <option key={s.value} value={s.value}>
              {s.label}
            </option>
          ))}
        </select>
      </div>
      <div className="filter">
        <label htmlFor={`${uid}-method`}>Method</label>
        <select
          id={`${uid}-method`}
          value={filters.method}
          onChange={(e) => setFilters({ method: e.target.value as LogFilters['method'] })}
        >
          <option value="">All</option>
          {METHODS.map((m) => (
            <option key={m} value={m}>
              {m}
            </option>
          ))}
        </select>
      </div>
      <div className="filter filter-text">
        <label htmlFor={`${uid}-path`}>Path prefix</label>
        <input
          id={`${uid}-path`}
          type="search"
          placeholder="/v1/entities/…/orders"
          value={path}
          onChange={(e) => setPath(e.target.value)}
        />
      </div>
      <div className="filter filter-text">
        <label htmlFor={`${uid}-request`}>Request ID</label>
        <input
          id={`${uid}-request`}
          type="search"
          placeholder="req_…"
          value={requestId}
          onChange={(e) => setRequestId(e.target.value)}
        />
      </div>
      <div className="filter filter-text">
        <label htmlFor={`${uid}-key`}>API key ID</label>
        <input
          id={`${uid}-key`}
          type="search"
          placeholder="key_…"
          value={apiKeyId}
          onChange={(e) => setApiKeyId(e.target.value)}
        />
      </div>
      {(isFiltered(filters) || path || requestId || apiKeyId) && (
        <button type="button" className="button small clear-filters" onClick={clearFilters}>
          Clear filters
        </button>
      )}
    </div>
  );
}
