/**
 * The engine on a GPU from Node: tfjs's WebGPU backend on Dawn (npm package `webgpu`, the WebGPU
 * implementation inside Chrome), so a machine with a GPU but no browser can measure what the lab does
 * in Chrome there.
 *
 *   npx tsx bench/gpu.ts [--backends webgpu,wasm] [--quick] [--no-cases | --cases a,b] [--no-experiment]
 *                        [--eval-batch N] [--flags '{"WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE":64}'] [--out results.json]
 *                        [--model micro|b32] [--config '{"splits":{"train":512}}'] [--stages attack,tbar,sweep]
 *                        [--gpu-memory GiB]
 *
 * Per backend:
 *   1. the backend's BackendInfo (adapter, limits);
 *   2. the engine self-test against its float64 reference (max |Δ| of logits and probabilities);
 *   3. bench cases (src/bench/cases.ts): the cost of one small op; matMul 1024³ and 4096³; the micro
 *      CLIP's vision tower (the lab's built-in model) forward at batch 64 / 512 and forward+backward at
 *      64; ViT-B/32's forward and forward+backward at batch 2 / 32 / 128, one AdamW update of its
 *      vision tower, one DECREE step at batch 32;
 *   4. the lab's default experiment, every stage as "Run everything" runs it (evaluation batch as the
 *      app's worker picks it: eval/batchPlan.ts), with each stage's seconds, its host→GPU uploads
 *      (tensors made from JS values; into a pooled buffer one also ends the compute pass; an op with
 *      one took ~0.7 ms on the H100, 80 µs without) and the
 *      figures it gives (CA/ASR of θ_b and of the cleaned model). `--model b32` swaps in ViT-B/32's
 *      vision tower with random weights, to time a full-size tower through the same stages.
 * `--quick` keeps matMul 1024³ and the batch-2 cases. Writes everything to --out as JSON.
 *
 * Without a GPU, point Dawn at Chromium's SwiftShader (tests/nodeBackend.ts); that is slow, so use
 * `--quick` there. Run from the repository root (the micro CLIP is read from public/).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BENCH_B32_CONFIG, adamwStepCase, clipVisionCase, decreeStepCase, matmulCase, opOverheadCase, type BenchCase } from '../src/bench/cases';
import { runCase, type BenchResult, type BenchSkip } from '../src/bench/runner';
import type { BackendInfo } from '../src/engine/backend';
import { parseClipConfig, withOverrides, type CLIPConfig } from '../src/engine/clip/config';
import { evalBatchPlan, type EvalBatchPlan } from '../src/engine/eval/batchPlan';
import { deviceBudget } from '../src/engine/memory/plan';
import { ClipModel } from '../src/engine/clip/model';
import { defaultExperimentConfig } from '../src/engine/experiment/defaults';
import { BUILTIN_SOURCES, builtinModelLoader, type ModelLoader } from '../src/engine/experiment/sources';
import { deviceBatchFitter } from '../src/engine/hub/sources';
import { ExperimentSession } from '../src/engine/experiment/session';
import { runSelfTest, selfTestReference } from '../src/engine/selfTest';
import { tf } from '../src/engine/tf';
import { initNodeBackend, type NodeBackendName } from '../tests/nodeBackend';
import { nodeFileSource } from '../tests/util/nodeFiles';
import { stageTimer } from '../tests/util/stageTimer';
import { printTable } from './table.mjs';

interface Args {
  backends: NodeBackendName[];
  quick: boolean;
  cases: boolean;
  /** Run only the cases of these names. */
  only?: string[];
  experiment: boolean;
  /** The experiment session's evaluation batch (default EVAL_BATCH_SIZE). */
  evalBatch?: number;
  /** tfjs flags to set once the backend runs, e.g. {"WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE": 64}. */
  flags?: Record<string, number | boolean>;
  /** The experiment's model: the built-in micro CLIP, or its text tower with ViT-B/32's vision tower. */
  model?: 'micro' | 'b32';
  /** Merged into the default experiment config, e.g. {"splits":{"train":512},"attack":{"epochs":1}}. */
  configPatch?: object;
  /** Stages to run after loading (default: all, in order). */
  stages?: Stage[];
  /** The GPU's memory for the device budget (WebGPU does not report it; the lab assumes 4 GiB). */
  gpuMemoryGiB?: number;
  out?: string;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { backends: ['webgpu'], quick: false, cases: true, experiment: true };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--backends') a.backends = argv[++i].split(',') as NodeBackendName[];
    else if (argv[i] === '--quick') a.quick = true;
    else if (argv[i] === '--out') a.out = argv[++i];
    else if (argv[i] === '--no-cases') a.cases = false;
    else if (argv[i] === '--cases') a.only = argv[++i].split(',');
    else if (argv[i] === '--eval-batch') a.evalBatch = Number(argv[++i]);
    else if (argv[i] === '--flags') a.flags = JSON.parse(argv[++i]);
    else if (argv[i] === '--model') a.model = argv[++i] as Args['model'];
    else if (argv[i] === '--config') a.configPatch = JSON.parse(argv[++i]);
    else if (argv[i] === '--stages') a.stages = argv[++i].split(',') as Stage[];
    else if (argv[i] === '--gpu-memory') a.gpuMemoryGiB = Number(argv[++i]);
    else if (argv[i] === '--no-experiment') a.experiment = false;
    else throw new Error(`unknown argument ${argv[i]} (see the header of bench/gpu.ts)`);
  }
  return a;
}

function microClip() {
  const json = JSON.parse(readFileSync(path.join(process.cwd(), 'public/models/micro-clip/config.json'), 'utf8'));
  return { id: 'micro', label: 'micro CLIP', config: parseClipConfig(json) };
}

function cases(quick: boolean): BenchCase<unknown>[] {
  const micro = microClip();
  const list: BenchCase<unknown>[] = [
    opOverheadCase(200),
    opOverheadCase(200, false),
    matmulCase(1024),
    clipVisionCase('forward', 64, micro),
    clipVisionCase('train', 64, micro),
    clipVisionCase('forward', 2),
    clipVisionCase('train', 2),
    adamwStepCase(),
  ] as BenchCase<unknown>[];
  if (quick) return list;
  return [
    ...list,
    clipVisionCase('forward', 512, micro),
    matmulCase(4096),
    clipVisionCase('forward', 32),
    clipVisionCase('forward', 128),
    clipVisionCase('train', 32),
    clipVisionCase('train', 128),
    decreeStepCase(32),
  ] as BenchCase<unknown>[];
}

async function selfTest() {
  const ref = selfTestReference({ seed: 1 });
  const r = await runSelfTest({ seed: 1 });
  const maxDiff = (a: number[], b: number[]) => Math.max(...a.map((v, i) => Math.abs(v - b[i])));
  return { logitsMaxAbsDiff: maxDiff(r.logits, ref.logits), probsMaxAbsDiff: maxDiff(r.probs, ref.probs), checksumDiff: Math.abs(r.checksum - ref.checksum) };
}

/** `patch` merged into `base`, plain objects key by key (the --config option). */
function mergeInto<T extends object>(base: T, patch: object): T {
  for (const [k, v] of Object.entries(patch)) {
    const cur = (base as Record<string, unknown>)[k];
    if (v && typeof v === 'object' && !Array.isArray(v) && cur && typeof cur === 'object') mergeInto(cur as object, v);
    else (base as Record<string, unknown>)[k] = v;
  }
  return base;
}

type Stage = 'zeroShot' | 'attack' | 'tbar' | 'sweep' | 'disentangle' | 'gradientAscent';
const STAGES: Stage[] = ['zeroShot', 'attack', 'tbar', 'sweep', 'disentangle', 'gradientAscent'];

/**
 * `--model b32`: the built-in micro CLIP with its vision tower replaced by ViT-B/32's (12 layers,
 * 768 wide, 224 px; random weights, seed 1), its tokenizer and text tower kept. For timing a
 * full-size tower through the lab's own stages; its CA and ASR mean nothing.
 */
const randomB32Loader: ModelLoader = async (source, ctx) => {
  const micro = await builtinModelLoader(source, ctx);
  const config = withOverrides(micro.model.config, { vision: BENCH_B32_CONFIG.vision_config });
  micro.model.dispose();
  return { ...micro, model: ClipModel.random(config, 1), name: 'micro CLIP text tower + ViT-B/32 vision tower (random)', id: undefined };
};

/**
 * Host→GPU uploads so far: tensors made from JS values (a number in `tf.mul(x, 2)` included) that a
 * kernel then reads, counted by wrapping the WebGPU backend's uploadToGPU (null on other backends).
 */
function uploadCounter(): (() => number) | null {
  const backend = tf.backend() as { uploadToGPU?: (id: object) => void; tensorMap?: { get(id: object): { resource?: unknown; values?: unknown } | undefined } };
  const upload = backend.uploadToGPU?.bind(backend);
  if (!upload || !backend.tensorMap) return null;
  let n = 0;
  backend.uploadToGPU = (id) => {
    const d = backend.tensorMap!.get(id);
    if (d && d.resource == null && d.values != null) n++;
    upload(id);
  };
  return () => n;
}

/**
 * The lab's experiment, stage by stage as "Run everything" runs them (seconds and figures); the
 * evaluation batch as the app's worker picks it (memory/plan.ts chooseEvalBatchSize), unless given.
 */
async function experiment(info: BackendInfo | undefined, args: Args) {
  const config = mergeInto(defaultExperimentConfig(), args.configPatch ?? {});
  const budget = info ? deviceBudget(info, args.gpuMemoryGiB ? { gpuMemoryBytes: args.gpuMemoryGiB * 2 ** 30 } : {}) : deviceBudget({ name: 'wasm' });
  let evalBatch: EvalBatchPlan | undefined;
  const session = new ExperimentSession({
    files: nodeFileSource(path.join(process.cwd(), 'public')),
    sources: args.model === 'b32' ? { ...BUILTIN_SOURCES, models: { builtin: randomB32Loader } } : BUILTIN_SOURCES,
    evalBatch: (model: CLIPConfig) => {
      const plan = evalBatchPlan(model, info, budget);
      if (args.evalBatch) plan.size = args.evalBatch;
      evalBatch = plan;
      return plan;
    },
    // As the app's worker: fine-tuning batches limited to the device's memory.
    fitBatch: deviceBatchFitter(() => budget),
  });
  const stages = new Set(args.stages ?? STAGES);
  const seconds: Record<string, number> = {};
  const gpuBytes: Record<string, { inUse?: number; allocated?: number }> = {};
  const uploads: Record<string, number> = {};
  const uploaded = uploadCounter();
  const timed = stageTimer(seconds, 2);
  const time = async <T>(stage: string, f: () => Promise<T>): Promise<T> => {
    const before = uploaded?.() ?? 0;
    const r = await timed(stage, f);
    if (uploaded) uploads[stage] = uploaded() - before;
    const m = tf.memory() as tf.MemoryInfo & { numBytesInGPU?: number; numBytesAllocatedInGPU?: number };
    gpuBytes[stage] = { inUse: m.numBytesInGPU, allocated: m.numBytesAllocatedInGPU };
    const gib = (x?: number) => (x === undefined ? '—' : (x / 2 ** 30).toFixed(2));
    const up = uploaded ? ` · ${uploads[stage]} uploads` : '';
    console.log(`  ${stage}: ${seconds[stage]} s${up} · GPU buffers in use ${gib(m.numBytesInGPU)} GiB, allocated ${gib(m.numBytesAllocatedInGPU)} GiB`);
    return r;
  };
  const run = <T>(stage: Stage, f: () => Promise<T>): Promise<T | undefined> => (stages.has(stage) ? time(stage, f) : Promise.resolve(undefined));
  try {
    await time('load', async () => {
      await session.loadModel(config);
      await session.loadData(config);
    });
    const zeroShot = await run('zeroShot', () => session.zeroShot(config));
    const attack = await run('attack', () => session.attack(config, false));
    await run('tbar', () => session.tbar(config));
    const sweep = await run('sweep', () => session.sweep(config));
    const xi = await run('disentangle', () => session.disentangle(config));
    const ga = await run('gradientAscent', () => session.gradientAscent(config));
    const total = +Object.values(seconds).reduce((s, x) => s + x, 0).toFixed(2);
    return {
      model: args.model ?? 'micro',
      config,
      evalBatch,
      seconds,
      uploads,
      gpuBytes,
      total,
      zeroShotCa: zeroShot?.test.ca,
      backdoored: attack && { ca: attack.test.ca, asr: attack.test.asr },
      cleaned: sweep && { alpha: sweep.alpha, ca: sweep.test.ca, asr: sweep.test.asr, asrRemoved: sweep.asrRemoved, caRetained: sweep.caRetained },
      xi: xi && { alphaStar: xi.alphaStar, size: xi.size, centre: xi.cells.find((c) => c.alphaC === 0 && c.alphaT === 0)?.xi },
      gradientAscentLast: ga?.points.at(-1)?.test,
    };
  } finally {
    session.dispose();
  }
}

const args = parseArgs(process.argv.slice(2));
const report: Record<string, unknown> = {
  date: new Date().toISOString(),
  node: process.version,
  cpus: `${os.cpus().length} × ${os.cpus()[0]?.model}`,
  backends: {},
};
const rows: (BenchResult | BenchSkip)[] = [];
for (const b of args.backends) {
  console.log(`\n== ${b}`);
  const info = await initNodeBackend(b);
  if (info) console.log(`  ${info.reason}`);
  const st = await selfTest();
  console.log(`  self-test vs float64: logits max |Δ| ${st.logitsMaxAbsDiff.toExponential(2)}, probs ${st.probsMaxAbsDiff.toExponential(2)}`);
  const results: (BenchResult | BenchSkip)[] = [];
  for (const [k, v] of Object.entries(args.flags ?? {})) tf.env().set(k, v);
  const chosen = args.cases ? cases(args.quick).filter((c) => !args.only || args.only.includes(c.name)) : [];
  for (const c of chosen) {
    const r = await runCase(c, { timeCapMs: args.quick ? undefined : Infinity });
    console.log('skipped' in r ? `  ${c.name} skipped: ${r.skipped}` : `  ${c.name}: ${r.medianMs.toFixed(1)} ms${r.gflops ? ` · ${r.gflops.toFixed(1)} GFLOP/s` : ''}`);
    results.push(r);
  }
  rows.push(...results);
  let exp;
  if (args.experiment) {
    console.log(`  experiment (${args.model ?? 'micro'}):`);
    exp = await experiment(info, args);
    console.log(`  ${JSON.stringify(exp)}`);
  }
  (report.backends as Record<string, unknown>)[b] = { info, flags: args.flags, selfTest: st, cases: results, experiment: exp, memory: tf.memory() };
}
console.log('');
printTable(rows);
if (args.out) writeFileSync(args.out, JSON.stringify(report, null, 2));
// Dawn keeps the process alive while its device exists.
process.exit(0);
