import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// GraphiQL (React), built from the npm packages into dist/web/graphiql: no CDN at run time.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/graphiql/',
  logLevel: 'error',
  oxc: { jsx: { runtime: 'automatic', importSource: 'react', development: false } },
  define: { 'process.env.NODE_ENV': JSON.stringify('production') },
  build: {
    outDir: fileURLToPath(new URL('../../dist/web/graphiql', import.meta.url)),
    emptyOutDir: true,
    manifest: true,
    target: 'es2022',
    chunkSizeWarningLimit: 4000,
    modulePreload: { polyfill: false },
  },
});
