/** Times one bench case on the current tfjs backend (browser and Node alike). */
import { tf } from '../engine/tf';
import type { BenchCase } from './cases';

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

export interface RunOptions {
  minIters?: number;
  minTimeMs?: number;
  /** Stop after this much timed work even if minIters is not reached (at least one iteration runs). */
  maxTimeMs?: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export async function runCase(c: BenchCase<unknown>, opts: RunOptions = {}): Promise<BenchResult> {
  const minIters = opts.minIters ?? c.minIters ?? 5;
  const minTimeMs = opts.minTimeMs ?? c.minTimeMs ?? 2000;
  const maxTimeMs = opts.maxTimeMs ?? c.maxTimeMs ?? 20000;
  const backend = tf.getBackend();
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
