import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The backend serves frontend/dist at "/" (SPA fallback) and GraphQL at "/graphql".
export default defineConfig({
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
  },
  server: {
    proxy: {
      '/graphql': 'http://127.0.0.1:8000',
    },
  },
});
