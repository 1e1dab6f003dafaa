import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';

const page = (name: string) => fileURLToPath(new URL(name, import.meta.url));

// The backend serves frontend/dist at "/" (SPA fallback) and GraphQL at "/graphql"; a browser GET
// of /graphql gets dist/graphiql.html, /docs/reference gets dist/reference.html (Swagger UI). Everything is bundled: no CDN at run time.
export default defineConfig({
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Monaco (GraphiQL's editor) is large; it is only loaded by graphiql.html.
    chunkSizeWarningLimit: 4096,
    rolldownOptions: {
      input: {
        portal: page('index.html'),
        graphiql: page('graphiql.html'),
        reference: page('reference.html'),
      },
      onwarn(warning, warn) {
        // GraphiQL's packages carry React Compiler directives ("use no memo") that bundling drops.
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
    },
  },
  worker: { format: 'es' },
  server: {
    proxy: {
      '/graphql': { target: 'http://127.0.0.1:8000', ws: true },
      '/v1': { target: 'http://127.0.0.1:8000' },
    },
  },
});
