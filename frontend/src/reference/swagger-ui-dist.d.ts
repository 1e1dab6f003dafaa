// swagger-ui-dist ships no types; the few options the reference page uses.
declare module 'swagger-ui-dist/swagger-ui-es-bundle.js' {
  interface SwaggerRequest {
    url: string;
    headers: Record<string, string>;
    [key: string]: unknown;
  }
  interface SwaggerUIOptions {
    domNode?: HTMLElement;
    spec?: Record<string, unknown>;
    url?: string;
    validatorUrl?: string | null;
    persistAuthorization?: boolean;
    tryItOutEnabled?: boolean;
    deepLinking?: boolean;
    displayRequestDuration?: boolean;
    withCredentials?: boolean;
    requestInterceptor?: (request: SwaggerRequest) => SwaggerRequest;
  }
  const SwaggerUIBundle: (options: SwaggerUIOptions) => unknown;
  export default SwaggerUIBundle;
}
