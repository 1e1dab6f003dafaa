// The data plane's routes (method + template), read once from its public OpenAPI document
// (GET /v1/openapi.json): what the Logs tab's endpoint filter offers.

import { useEffect, useState } from 'react';

export interface ApiRoute {
  method: string;
  /** The template the logs record, e.g. `/entities/{entity_id}/orders`. */
  route: string;
}

const HTTP_METHODS = new Set(['get', 'post', 'put', 'patch', 'delete']);

/** The routes of an OpenAPI document, sorted by template then method. */
export function routesOf(doc: unknown): ApiRoute[] {
  const paths = (doc as { paths?: Record<string, Record<string, unknown>> } | null)?.paths;
  if (!paths || typeof paths !== 'object') return [];
  const out: ApiRoute[] = [];
  for (const [route, item] of Object.entries(paths)) {
    if (!item || typeof item !== 'object') continue;
    for (const method of Object.keys(item)) if (HTTP_METHODS.has(method)) out.push({ method: method.toUpperCase(), route });
  }
  return out.sort((a, b) => a.route.localeCompare(b.route) || a.method.localeCompare(b.method));
}

/** Distinct templates, in order. */
export function routeTemplates(routes: readonly ApiRoute[]): string[] {
  return [...new Set(routes.map((r) => r.route))];
}

let cached: Promise<ApiRoute[]> | null = null;

function loadRoutes(): Promise<ApiRoute[]> {
  cached ??= fetch('/v1/openapi.json', { headers: { Accept: 'application/json' }, credentials: 'omit' })
    .then((r) => (r.ok ? r.json() : null))
    .then(routesOf)
    .catch(() => {
      cached = null; // try again next time
      return [];
    });
  return cached;
}

/** The API's routes; empty while loading or when the document cannot be read. */
export function useApiRoutes(): ApiRoute[] {
  const [routes, setRoutes] = useState<ApiRoute[]>([]);
  useEffect(() => {
    let cancelled = false;
    void loadRoutes().then((r) => {
      if (!cancelled) setRoutes(r);
    });
    return () => {
      cancelled = true;
    };
  }, []);
  return routes;
}
