import { resolve } from 'node:path';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The lab is a static single-page app; the engine runs in a module Web Worker.
// Entries: the lab (index.html), the benchmark page (bench.html, driven by `npm run bench`) and the
// Hub loader page (hub.html, driven by e2e/hub.spec.mjs and `npm run bench:hub`) and the engine check page
// (check.html, driven by e2e/webgpu.spec.mjs).
export default defineConfig({
  plugins: [react()],
  base: './',
  worker: { format: 'es' },
  build: {
    target: 'es2022',
    chunkSizeWarningLimit: 4000,
    rolldownOptions: {
      input: {
        main: resolve(import.meta.dirname, 'index.html'),
        bench: resolve(import.meta.dirname, 'bench.html'),
        // hub.html: a thin page over the Hub loaders (issue #7), driven by e2e/hub.spec.mjs and bench/hub.mjs
        hub: resolve(import.meta.dirname, 'hub.html'),
        // check.html: engine checks in the browser (WebGPU vs WASM, torch golden, shapes fingerprint), e2e/webgpu.spec.mjs
        check: resolve(import.meta.dirname, 'check.html'),
      },
    },
  },
  server: { host: '127.0.0.1', port: 5173 },
  preview: { host: '127.0.0.1' },
});
