import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The lab is a static single-page app; the engine runs in a module Web Worker.
export default defineConfig({
  plugins: [react()],
  base: './',
  worker: { format: 'es' },
  build: { target: 'es2022', chunkSizeWarningLimit: 4000 },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
});
