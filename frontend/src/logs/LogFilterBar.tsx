import { useId, useState } from 'react';
import type { KeyLabel } from '../shared/entityInfo';
import { useDebouncedField } from '../shared/url/useDebouncedField';
import type { UpdateOptions } from '../shared/url/useSearchState';
import { LOG_RANGES, fromLocalInput, logRange, toLocalInput } from './logUtils';
import { routeTemplates, type ApiRoute } from './apiRoutes';
import {
  CUSTOM_RANGE,
  METHODS,
  NO_FILTERS,
  STATUS_CLASSES,
  clean,
  filterErrors,
  isFiltered,
  type LogFilters,
  type TextFilter,
} from './filters';
import './logs.css';

const DEBOUNCE_MS = 400;

interface Props {
  filters: LogFilters;
  setFilters: (patch: Partial<LogFilters>, options?: UpdateOptions) => void;
  routes: readonly ApiRoute[];
  /** Keys of the page's mode, to pick one by name and start (empty without `api_keys.manage`). */
  keys: readonly KeyLabel[];
}

/** Labels for text filters, also used by the filter summary. */
export const TEXT_LABELS: Record<TextFilter, string> = {
  status: 'Exact status',
  errorCode: 'Error code',
  pathPrefix: 'Path contains',
  minLatencyMs: 'Min latency (ms)',
  maxLatencyMs: 'Max latency (ms)',
  ip: 'Client IP or CIDR',
  requestId: 'Request ID',
  apiKeyId: 'API key',
};

const MORE: readonly TextFilter[] = ['status', 'errorCode', 'pathPrefix', 'minLatencyMs', 'maxLatencyMs', 'ip', 'requestId'];

const PLACEHOLDERS: Partial<Record<TextFilter, string>> = {
  status: '404',
  errorCode: 'insufficient_scope',
  pathPrefix: '/orders (or a full /v1/… path)',
  minLatencyMs: '0',
  maxLatencyMs: '∞',
  ip: '203.0.113.0/24',
  requestId: 'req_…',
};

/** Every filter of the Logs tab (the text ones debounced), all kept in the URL. */
export function LogFilterBar({ filters, setFilters, routes, keys }: Props) {
  const uid = useId();
  const debounced = Object.fromEntries(
    MORE.map((name) => {
      // MORE is fixed, so these hooks run in the same order on every render.
      const field = useDebouncedField(filters[name], (value) => setFilters({ [name]: value }, { coalesce: name }), DEBOUNCE_MS);
      return [name, field];
    }),
  ) as Record<(typeof MORE)[number], [string, (text: string) => void]>;
  const moreSet = MORE.filter((name) => clean(filters[name]) !== null).length;
  const [showMore, setShowMore] = useState(moreSet > 0);
  const errors = filterErrors(filters);
  const templates = routeTemplates(routes);
  const routeKnown = !filters.route || templates.includes(filters.route);
  const keyKnown = !filters.apiKeyId || keys.some((k) => k.id === filters.apiKeyId);

  function clearFilters() {
    for (const name of MORE) debounced[name][1]('');
    setFilters(NO_FILTERS);
  }

  function chooseRange(range: LogFilters['range']) {
    if (range === CUSTOM_RANGE) {
      // Start from the preset shown so far.
      const now = Date.now();
      const ms = logRange(filters.range).ms;
      setFilters({
        range,
        from: filters.from || new Date(now - ms).toISOString(),
        to: filters.to || new Date(now).toISOString(),
      });
    } else {
      setFilters({ range, from: '', to: '' });
    }
  }

  const typing = MORE.some((name) => debounced[name][0].trim() !== '');

  return (
    <div className="log-filters" role="search" aria-label="Filter logs">
      <div className="filters">
        <div className="filter">
          <label htmlFor={`${uid}-range`}>Time range</label>
          <select id={`${uid}-range`} value={filters.range} onChange={(e) => chooseRange(e.target.value as LogFilters['range'])}>
            {LOG_RANGES.map((r) => (
              <option key={r.id} value={r.id}>
                {r.label}
              </option>
            ))}
            <option value={CUSTOM_RANGE}>Custom…</option>
          </select>
        </div>
        {filters.range === CUSTOM_RANGE && (
          <>
            <div className="filter">
              <label htmlFor={`${uid}-from`}>From</label>
              <input
                id={`${uid}-from`}
                type="datetime-local"
                value={toLocalInput(filters.from)}
                aria-invalid={errors.range ? true : undefined}
                aria-describedby={errors.range ? `${uid}-range-error` : undefined}
                onChange={(e) => setFilters({ from: fromLocalInput(e.target.value) }, { coalesce: 'from' })}
              />
            </div>
            <div className="filter">
              <label htmlFor={`${uid}-to`}>To</label>
              <input
                id={`${uid}-to`}
                type="datetime-local"
                value={toLocalInput(filters.to)}
                aria-invalid={errors.range ? true : undefined}
                aria-describedby={errors.range ? `${uid}-range-error` : undefined}
                onChange={(e) => setFilters({ to: fromLocalInput(e.target.value) }, { coalesce: 'to' })}
              />
            </div>
          </>
        )}
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
        <div className="filter filter-wide">
          <label htmlFor={`${uid}-route`}>Endpoint</label>
          <select id={`${uid}-route`} value={filters.route} onChange={(e) => setFilters({ route: e.target.value })}>
            <option value="">All endpoints</option>
            {!routeKnown && <option value={filters.route}>{filters.route}</option>}
            {templates.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </div>
        <div className="filter filter-wide">
          <label htmlFor={`${uid}-key`}>API key</label>
          {keys.length > 0 || filters.apiKeyId ? (
            <select id={`${uid}-key`} value={filters.apiKeyId} onChange={(e) => setFilters({ apiKeyId: e.target.value })}>
              <option value="">All keys</option>
              {!keyKnown && <option value={filters.apiKeyId}>{filters.apiKeyId}</option>}
              {keys.map((k) => (
                <option key={k.id} value={k.id}>
                  {`${k.name} (${k.start}…${k.last4})`}
                </option>
              ))}
            </select>
          ) : (
            <select id={`${uid}-key`} value="" disabled title="Listing keys needs the api_keys.manage permission">
              <option value="">All keys</option>
            </select>
          )}
        </div>
        <button
          type="button"
          className="button small"
          aria-expanded={showMore}
          aria-controls={`${uid}-more`}
          onClick={() => setShowMore((v) => !v)}
        >
          {showMore ? 'Fewer filters' : `More filters${moreSet ? ` (${moreSet})` : ''}`}
        </button>
        {(isFiltered(filters) || typing) && (
          <button type="button" className="button small clear-filters" onClick={clearFilters}>
            Clear filters
          </button>
        )}
      </div>
      {errors.range && (
        <p className="field-error" id={`${uid}-range-error`} aria-live="polite">
          Custom range: {errors.range} Showing the last 24 hours instead.
        </p>
      )}
      {showMore && (
        <div className="filters more-filters" id={`${uid}-more`}>
          {MORE.map((name) => {
            const [value, setValue] = debounced[name];
            const error = errors[name];
            return (
              <div key={name} className="filter filter-text">
                <label htmlFor={`${uid}-f-${name}`}>{TEXT_LABELS[name]}</label>
                <input
                  id={`${uid}-f-${name}`}
                  type="search"
                  inputMode={name === 'status' || name.endsWith('LatencyMs') ? 'numeric' : undefined}
                  placeholder={PLACEHOLDERS[name]}
                  value={value}
                  aria-invalid={error ? true : undefined}
                  aria-describedby={error ? `${uid}-f-${name}-error` : undefined}
                  onChange={(e) => setValue(e.target.value)}
                />
                {error && (
                  <span className="field-error small-text" id={`${uid}-f-${name}-error`}>
                    {error}
                  </span>
                )}
              </div>
            );
          })}
        </div>
      )}
    </div>
  );
}
