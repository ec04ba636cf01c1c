/**
 * Vite config of the web viewer: the app in render/viewer/ builds to dist/viewer/ at the package root,
 * with relative asset URLs so the server can serve it from any path.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  root: here('./'),
  base: './',
  logLevel: 'warn',
  build: {
    outDir: here('../../dist/viewer'),
    emptyOutDir: true,
    target: 'es2022',
    // pixi.js alone is ~600 kB minified; one chunk keeps the served file list short.
    chunkSizeWarningLimit: 2000,
    sourcemap: false,
  },
  server: {
    host: '127.0.0.1',
    // `npm run dev:viewer` next to `rxgym watch --port 8080` gets the API and the live socket from it.
    proxy: { '/api': 'http://127.0.0.1:8080', '/ws': { target: 'ws://127.0.0.1:8080', ws: true } },
  },
});
