import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The build runs from the repo root (`vite build --config web/vite.config.ts`),
// so every path is anchored to this file rather than to the working directory.
const root = fileURLToPath(new URL('.', import.meta.url));
const outDir = fileURLToPath(new URL('./dist', import.meta.url));

const apiServer = 'http://localhost:3000';
const proxy = { '/api': apiServer, '/docs': apiServer };

export default defineConfig({
  root,
  base: '/',
  build: { outDir, emptyOutDir: true },
  server: { proxy },
  preview: { proxy },
});
