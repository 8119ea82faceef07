/**
 * The worker's job handlers (one per JobMap entry). Engine code does the work; handlers adapt it to
 * the protocol. Every experiment job goes through one ExperimentSession (engine/experiment/session.ts),
 * which holds the model, data, θ_pre, θ_b and τ̂_t, runs one job at a time and raises 'stale-stage'
 * when a stage's input came from a different config. Free of browser-only imports so tests can serve
 * it in Node.
 */
import { selectBackend, type WasmPaths } from '../engine/backend';
import { runSelfTest } from '../engine/selfTest';
import { ExperimentSession } from '../engine/experiment/session';
import { BUILTIN_SOURCES, mergeSources, type FileSource, type SourceRegistry } from '../engine/experiment/sources';
import type { Handlers } from './host';

export interface JobEnv {
  /** Where the tfjs-wasm binaries are (the app passes Vite asset URLs; Node leaves it unset). */
  wasmPaths?: WasmPaths;
  /** The app's static files (the built-in model): fetch relative to the app, or public/ in Node. */
  files?: FileSource;
  /** Extra model/data loaders (Hub, dropped files, CIFAR, folders), merged over the built-in ones. */
  sources?: Partial<SourceRegistry>;
}

export function createHandlers(env: JobEnv = {}, session = new ExperimentSession({ sources: mergeSources(BUILTIN_SOURCES, env.sources ?? {}), files: env.files })): Handlers {
  return {
    init: (params) => selectBackend({ requested: params.backend, wasmPaths: env.wasmPaths }),

    selfTest: (params, ctx) =>
      runSelfTest(params, async (step, of) => {
        ctx.progress({ step, of });
        await ctx.checkpoint();
      }),

    loadModel: (p, ctx) => session.loadModel(p.config, ctx),
    loadData: (p, ctx) => session.loadData(p.config, ctx),
    previewTrigger: (p, ctx) => session.previewTrigger(p.config, p.count, ctx),
    zeroShot: (p, ctx) => session.zeroShot(p.config, ctx),
    attack: (p, ctx) => session.attack(p.config, p.cleanBaseline, ctx),
    tbar: (p, ctx) => session.tbar(p.config, ctx),
    sweep: (p, ctx) => session.sweep(p.config, ctx),
    disentangle: (p, ctx) => session.disentangle(p.config, ctx),
    gradientAscent: (p, ctx) => session.gradientAscent(p.config, ctx),
    predictSamples: (p, ctx) => session.predictSamples(p.config, p.alpha, p.count, ctx),
    exportWeights: async (p, ctx) => {
      const file = await session.exportWeights(p.config, p.what, p.alpha, ctx);
      ctx.transfer(file.bytes.buffer);
      return file;
    },
  };
}
