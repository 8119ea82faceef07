import { defineConfig } from 'vitest/config';

// Vitest 5 declares Node ^22.12 but we support Node 20 (README): it runs there except that its
// reporter calls Map.groupBy (Node 21+) when printing failures, and crashes instead of reporting them.
// This config is loaded in Vitest's main process, so the polyfill lands where the reporter runs.
if (typeof (Map as { groupBy?: unknown }).groupBy !== 'function') {
  Object.defineProperty(Map, 'groupBy', {
    configurable: true,
    writable: true,
    value<K, T>(items: Iterable<T>, key: (item: T, index: number) => K): Map<K, T[]> {
      const out = new Map<K, T[]>();
      let i = 0;
      for (const item of items) {
        const k = key(item, i++);
        const group = out.get(k);
        if (group) group.push(item);
        else out.set(k, [item]);
      }
      return out;
    },
  });
}

// Unit tests run the engine in Node on the tfjs WASM backend (tests/setup.ts).
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
