/**
 * The worker's job handlers (one per JobMap entry). Engine code does the work; handlers adapt it to
 * the protocol. Every experiment job goes through one ExperimentSession (engine/experiment/session.ts),
 * which holds the model, data, θ_pre, θ_b and τ̂_t, runs one job at a time and raises 'stale-stage'
 * when a stage's input came from a different config. Free of browser-only imports so tests can serve
 * it in Node.
 */
import { selectBackend, type BackendInfo, type WasmPaths } from '../engine/backend';
import { runSelfTest } from '../engine/selfTest';
import { ExperimentSession } from '../engine/experiment/session';
import { BUILTIN_SOURCES, mergeSources, type FileSource, type SourceRegistry } from '../engine/experiment/sources';
import { cachedHead, deviceBatchFitter, hubSources, type HubSourceOptions } from '../engine/hub/sources';
import { evalBatchPlan } from '../engine/eval/batchPlan';
import { deviceBudget, type DeviceBudget } from '../engine/memory/plan';
import type { Handlers } from './host';

export interface JobEnv {
  /** Where the tfjs-wasm binaries are (the app passes Vite asset URLs; Node leaves it unset). */
  wasmPaths?: WasmPaths;
  /** The app's static files (the built-in model): fetch relative to the app, or public/ in Node. */
  files?: FileSource;
  /**
   * The Hub module (issue #7): models from the Hub or the user's files, CIFAR and dropped folders, the
   * zero-shot head cached per model, fine-tuning batches limited to the device's memory. The app's
   * worker passes {}; tests pass their own fetch, caches and image decoder. Absent: built-ins only.
   */
  hub?: HubSourceOptions;
  /** Extra model/data loaders, merged over the built-in (and Hub) ones. */
  sources?: Partial<SourceRegistry>;
}

export function createHandlers(env: JobEnv = {}, given?: ExperimentSession): Handlers {
  let backend: BackendInfo | undefined;
  let device: DeviceBudget | undefined;
  const budget = () => device;
  const session =
    given ??
    new ExperimentSession({
      sources: mergeSources(BUILTIN_SOURCES, env.hub ? hubSources({ device: budget, ...env.hub }) : {}, env.sources ?? {}),
      files: env.files,
      evalBatch: (model) => evalBatchPlan(model, backend, device),
      ...(env.hub && { buildHead: cachedHead(env.hub.headCache), fitBatch: deviceBatchFitter(budget) }),
    });
  const files = (f: File[] | undefined) => (f?.length ? f : undefined);
  return {
    init: async (params) => {
      const info: BackendInfo = await selectBackend({ requested: params.backend, wasmPaths: env.wasmPaths });
      backend = info;
      device = deviceBudget(info, params.gpuMemoryBytes ? { gpuMemoryBytes: params.gpuMemoryBytes } : {});
      return info;
    },

    selfTest: (params, ctx) =>
      runSelfTest(params, async (step, of) => {
        ctx.progress({ step, of });
        await ctx.checkpoint();
      }),

    loadModel: (p, ctx) => session.loadModel(p.config, ctx, files(p.files)),
    loadData: (p, ctx) => session.loadData(p.config, ctx, files(p.files)),
    previewTrigger: (p, ctx) => session.previewTrigger(p.config, p.count, ctx),
    zeroShot: (p, ctx) => session.zeroShot(p.config, ctx),
    attack: (p, ctx) => session.attack(p.config, p.cleanBaseline, ctx, files(p.files)),
    decree: (p, ctx) => session.decree(p.config, ctx),
    tbar: (p, ctx) => session.tbar(p.config, ctx, {}, files(p.files)),
    sweep: (p, ctx) => session.sweep(p.config, ctx),
    disentangle: (p, ctx) => session.disentangle(p.config, ctx),
    gradientAscent: (p, ctx) => session.gradientAscent(p.config, ctx),
    predictSamples: (p, ctx) => session.predictSamples(p.config, p.alpha, p.count, ctx),
    xiCellSamples: (p, ctx) => session.xiCellSamples(p.config, p.alphaC, p.alphaT, p.count, ctx),
    exportWeights: async (p, ctx) => {
      const file = await session.exportWeights(p.config, p.what, p.alpha, ctx);
      ctx.transfer(file.bytes.buffer);
      return file;
    },
  };
}
