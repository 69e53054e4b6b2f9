import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The console: Preact, built into dist/web/console and served by the gateway at `/`.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  logLevel: 'error',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact', development: false } },
  build: {
    outDir: fileURLToPath(new URL('../dist/web/console', import.meta.url)),
    emptyOutDir: true,
    manifest: true,
    target: 'es2022',
    // Chromium, Firefox and Safari of the last years all have modulepreload: no polyfill.
    modulePreload: { polyfill: false },
  },
});
