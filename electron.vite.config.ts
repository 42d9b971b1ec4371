import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import react from '@vitejs/plugin-react';

// ESM-only packages are bundled; everything else in dependencies stays external
// (notably @duckdb/node-api, which is native).
const bundled = ['lowdb', 'steno'];

export default defineConfig({
  main: {
    build: {
      externalizeDeps: { exclude: bundled },
      rollupOptions: {
        // The desktop entry and the headless entry share the core.
        // The journal loader's worker thread is an entry of its own (it imports only ingest code).
        input: {
          index: resolve('src-main/index.ts'),
          serve: resolve('src-main/serve.ts'),
          'ingest-loader': resolve('src-main/core/events/loader-worker.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      rollupOptions: {
        input: { index: resolve('src-main/preload/index.ts') },
        // Sandboxed preloads must be CommonJS.
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: 'src-renderer',
    plugins: [react()],
    build: {
      rollupOptions: { input: { index: resolve('src-renderer/index.html') } },
    },
  },
});
