/** Times one bench case on the current tfjs backend (browser and Node alike). */
import { tf } from '../engine/tf';
import { settle, type BenchCase } from './cases';

export interface BenchResult {
  case: string;
  description: string;
  backend: string;
  /** First iteration (includes shader compilation / kernel set-up). */
  firstMs: number;
  iters: number;
  /** Per-iteration times of the timed iterations (ms). */
  samplesMs: number[];
  medianMs: number;
  minMs: number;
  /** From the median time. */
  gflops?: number;
  itemsPerSec?: number;
  itemUnit?: string;
  /** Tensors alive after teardown minus before setup (should be 0). */
  leakedTensors: number;
}

/** A case the runner did not run: its estimated time was over its cap. */
export interface BenchSkip {
  case: string;
  description: string;
  backend: string;
  skipped: string;
  /** Estimated time of setup + first + one timed iteration (ms). */
  estimateMs: number;
  /** matMul GFLOP/s of the probe the estimate used. */
  probeGflops: number;
}

export interface RunOptions {
  minIters?: number;
  minTimeMs?: number;
  /** Stop after this much timed work even if minIters is not reached (at least one iteration runs). */
  maxTimeMs?: number;
  /** Override the case's timeCapMs (Infinity: never skip). */
  timeCapMs?: number;
}

/**
 * How much of the probe's matMul rate a whole ViT-B/32 step reaches (layer norms, softmax,
 * transposes and small matMuls are slower per FLOP). Measured on the 2-core VM (bench/README.md):
 * wasm 0.43 (forward) – 0.52 (forward+backward), SwiftShader 0.48, cpu 0.27 (its 512³ probe runs
 * faster than bigger matMuls); the lowest, rounded down, so the estimate errs towards skipping.
 */
export const TRANSFORMER_EFFICIENCY = 0.25;
const PROBE_N = 512;
const probes = new Map<string, number>();

/** matMul 512³ GFLOP/s on the current backend (after one untimed call that compiles), memoised. */
export async function probeGflops(): Promise<number> {
  const backend = tf.getBackend();
  const known = probes.get(backend);
  if (known !== undefined) return known;
  const a = tf.randomUniform([PROBE_N, PROBE_N], -1, 1, 'float32', 3);
  const once = async () => {
    const t0 = performance.now();
    const c = tf.matMul(a, a);
    await settle(c);
    c.dispose();
    return performance.now() - t0;
  };
  await once();
  let ms = Infinity;
  for (let i = 0, spent = 0; i < 3 && spent < 1000; i++) {
    const t = await once();
    ms = Math.min(ms, t);
    spent += t;
  }
  a.dispose();
  const g = (2 * PROBE_N ** 3) / (ms * 1e6);
  probes.set(backend, g);
  return g;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export async function runCase(c: BenchCase<unknown>, opts: RunOptions = {}): Promise<BenchResult | BenchSkip> {
  const minIters = opts.minIters ?? c.minIters ?? 5;
  const minTimeMs = opts.minTimeMs ?? c.minTimeMs ?? 2000;
  const maxTimeMs = opts.maxTimeMs ?? c.maxTimeMs ?? 20000;
  const backend = tf.getBackend();
  const cap = opts.timeCapMs ?? c.timeCapMs ?? Infinity;
  if (c.plannedFlops !== undefined && Number.isFinite(cap)) {
    const g = await probeGflops();
    const estimateMs = (2 * c.plannedFlops) / (g * TRANSFORMER_EFFICIENCY * 1e6);
    if (estimateMs > cap) {
      const s = (ms: number) => `${(ms / 1000).toFixed(0)} s`;
      return {
        case: c.name,
        description: c.description,
        backend,
        skipped: `estimated ${s(estimateMs)} for two iterations (${(c.plannedFlops / 1e9).toFixed(1)} GFLOP each at ${g.toFixed(2)} GFLOP/s matMul × ${TRANSFORMER_EFFICIENCY}) > cap ${s(cap)}`,
        estimateMs,
        probeGflops: g,
      };
    }
  }
  const before = tf.memory().numTensors;
  const state = await c.setup({ backend });
  let result: BenchResult;
  try {
    let t = performance.now();
    await c.run(state);
    const firstMs = performance.now() - t;
    const samplesMs: number[] = [];
    const start = performance.now();
    for (;;) {
      const elapsed = performance.now() - start;
      if (samplesMs.length >= 1 && elapsed >= maxTimeMs) break;
      if (samplesMs.length >= minIters && elapsed >= minTimeMs) break;
      t = performance.now();
      await c.run(state);
      samplesMs.push(performance.now() - t);
    }
    const medianMs = median(samplesMs);
    const flops = c.flops?.(state);
    const items = c.items?.(state);
    result = {
      case: c.name,
      description: c.description,
      backend,
      firstMs,
      iters: samplesMs.length,
      samplesMs,
      medianMs,
      minMs: Math.min(...samplesMs),
      ...(flops !== undefined ? { gflops: flops / (medianMs * 1e6) } : {}),
      ...(items !== undefined ? { itemsPerSec: items / (medianMs / 1000), itemUnit: c.itemUnit ?? 'items' } : {}),
      leakedTensors: 0,
    };
  } finally {
    c.teardown?.(state);
  }
  result.leakedTensors = tf.memory().numTensors - before;
  return result;
}
