// The interactive API reference: Swagger UI, bundled (no CDN), rendering /v1/openapi.json.
// Authorize takes an API key (Bearer or X-API-Key, one of them); it lives in memory only
// (persistAuthorization is off), and "Try it out" calls this origin's /v1.
import SwaggerUIBundle from 'swagger-ui-dist/swagger-ui-es-bundle.js';
import 'swagger-ui-dist/swagger-ui.css';
import './reference.css';

type Server = { url: string; description?: string };

async function load(): Promise<void> {
  const root = document.getElementById('reference');
  if (!root) return;
  let spec: Record<string, unknown>;
  try {
    const response = await fetch('/v1/openapi.json', { credentials: 'omit' });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    spec = (await response.json()) as Record<string, unknown>;
  } catch (error) {
    root.textContent = `The OpenAPI document could not be loaded (${String(error)}).`;
    return;
  }
  // "Try it out" against the origin this page came from first (the configured public URL may
  // be another name for it, which the page's Content-Security-Policy would refuse).
  const here = `${window.location.origin}/v1`;
  const servers = ((spec.servers as Server[] | undefined) ?? []).filter((s) => s.url !== here);
  spec.servers = [{ url: here, description: 'This server' }, ...servers];
  root.textContent = '';
  SwaggerUIBundle({
    domNode: root,
    spec,
    validatorUrl: null, // the default posts the document to an external validator
    persistAuthorization: false,
    tryItOutEnabled: false,
    deepLinking: true,
    displayRequestDuration: true,
    withCredentials: false,
    // never send the portal's cookies with data-plane requests
    requestInterceptor: (request) => ({ ...request, credentials: 'omit' }),
  });
}

void load();
