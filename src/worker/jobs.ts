/**
 * The worker's job handlers (one per JobMap entry). Engine code does the work; handlers adapt it to
 * the protocol (progress, cancellation). Free of browser-only imports so tests can serve it in Node.
 */
import { selectBackend, type WasmPaths } from '../engine/backend';
import { runSelfTest } from '../engine/selfTest';
import type { Handlers } from './host';

export interface JobEnv {
  /** Where the tfjs-wasm binaries are (the app passes Vite asset URLs; Node leaves it unset). */
  wasmPaths?: WasmPaths;
}

export function createHandlers(env: JobEnv = {}): Handlers {
  return {
    init: (params) => selectBackend({ requested: params.backend, wasmPaths: env.wasmPaths }),

    selfTest: (params, ctx) =>
      runSelfTest(params, async (step, of) => {
        ctx.progress({ step, of });
        await ctx.checkpoint();
      }),
  };
}
