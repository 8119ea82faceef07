/**
 * The worker's job handlers (one per JobMap entry). Engine code does the work; handlers adapt it to
 * the protocol (progress, cancellation). Free of browser-only imports so tests can serve it in Node.
 */
import { selectBackend, type WasmPaths } from '../engine/backend';
import { runSelfTest } from '../engine/selfTest';
import type { Handler, Handlers } from './host';
import type { JobName } from './protocol';

/** Placeholder for a job whose engine side has not landed yet (issue #5): rejects with a clear code. */
function notYet<K extends JobName>(job: K): Handler<K> {
  return async () => {
    throw Object.assign(new Error(`the '${job}' job is not implemented yet`), { code: 'not-implemented' });
  };
}

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

    loadModel: notYet('loadModel'),
    loadData: notYet('loadData'),
    previewTrigger: notYet('previewTrigger'),
    zeroShot: notYet('zeroShot'),
    attack: notYet('attack'),
    tbar: notYet('tbar'),
    sweep: notYet('sweep'),
    disentangle: notYet('disentangle'),
    gradientAscent: notYet('gradientAscent'),
    predictSamples: notYet('predictSamples'),
    exportWeights: notYet('exportWeights'),
  };
}
