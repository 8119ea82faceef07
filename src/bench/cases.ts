/**
 * Benchmark cases: a registry that runs in the browser (bench.html, `npm run bench`) and in Node
 * (`npx tsx bench/node.ts`). A case sets up its tensors once, then `run` is timed repeatedly.
 *
 * To add a case (e.g. the CLIP ViT-B/32 vision tower forward/backward once src/engine/clip/model.ts
 * lands): write a `BenchCase` with `flops` (per iteration, for GFLOP/s) and `items` (images per
 * iteration, for images/s) and push it onto `CASES` (or call `registerCase`).
 */
import { tf } from '../engine/tf';

export interface BenchContext {
  /** The tfjs backend the case runs on ('webgpu' | 'wasm' | 'cpu'). */
  backend: string;
}

export interface BenchCase<S = unknown> {
  name: string;
  description: string;
  /** Backends to skip (e.g. too slow to be useful). */
  skip?: string[];
  setup(ctx: BenchContext): Promise<S> | S;
  /** One timed iteration. Must not resolve before the device has finished (await a small read). */
  run(state: S): Promise<void>;
  /** Floating-point operations in one iteration (multiply-add = 2). */
  flops?: (state: S) => number;
  /** Items (e.g. images) processed in one iteration, with their unit for the table. */
  items?: (state: S) => number;
  itemUnit?: string;
  teardown?(state: S): void;
  /** Timing hints (defaults in runner.ts). */
  minIters?: number;
  minTimeMs?: number;
  maxTimeMs?: number;
}

/** Wait for `t` to be computed by reading one element (a full read-back would be timed too). */
export async function settle(t: tf.Tensor): Promise<void> {
  const one = tf.tidy(() => tf.slice(tf.reshape(t, [-1]), [0], [1]));
  await one.data();
  one.dispose();
}

function matmulCase(n: number): BenchCase<{ a: tf.Tensor2D; b: tf.Tensor2D }> {
  return {
    name: `matmul-${n}`,
    description: `float32 matMul ${n}×${n} · ${n}×${n} (no transpose flags)`,
    setup: () => ({
      a: tf.randomUniform([n, n], -1, 1, 'float32', 1) as tf.Tensor2D,
      b: tf.randomUniform([n, n], -1, 1, 'float32', 2) as tf.Tensor2D,
    }),
    async run({ a, b }) {
      const c = tf.matMul(a, b);
      await settle(c);
      c.dispose();
    },
    flops: () => 2 * n * n * n,
    teardown: ({ a, b }) => tf.dispose([a, b]),
  };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- heterogeneous registry
export const CASES: BenchCase<any>[] = [matmulCase(1024)];

export function registerCase<S>(c: BenchCase<S>): void {
  if (CASES.some((x) => x.name === c.name)) throw new Error(`bench case '${c.name}' is already registered`);
  CASES.push(c as BenchCase<unknown>);
}

export function findCase(name: string): BenchCase<unknown> {
  const c = CASES.find((x) => x.name === name);
  if (!c) throw new Error(`unknown bench case '${name}' (have: ${CASES.map((x) => x.name).join(', ')})`);
  return c;
}
