import { defineConfig } from 'vitest/config';

// Unit tests run the engine in Node on the tfjs WASM backend (tests/setup.ts).
// Vitest is pinned to 4.x: it supports Node 20, which the README promises (Vitest 5 needs Node 22).
export default defineConfig({
  test: {
    environment: 'node',
    include: ['tests/**/*.test.ts'],
    setupFiles: ['tests/setup.ts'],
    pool: 'forks',
    testTimeout: 600_000,
    hookTimeout: 600_000,
    reporters: ['default'],
  },
});
