import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The build runs from the repo root (`vite build --config web/vite.config.ts`),
// so every path is anchored to this file rather than to the working directory.
const root = fileURLToPath(new URL('.', import.meta.url));
const outDir = fileURLToPath(new URL('./dist', import.meta.url));

const apiServer = 'http://localhost:3000';
const proxy = { '/api': apiServer, '/docs': apiServer, '/tiles': apiServer };

export default defineConfig({
  root,
  base: '/',
  // MapLibre alone is ~800 kB minified (~280 kB gzip), and the map is the app: one chunk is fine.
  build: { outDir, emptyOutDir: true, chunkSizeWarningLimit: 1500 },
  server: { proxy },
  preview: { proxy },
});
