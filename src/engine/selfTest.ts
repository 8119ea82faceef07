/**
 * A small deterministic tfjs computation that says "this backend computes correctly": a seeded chain
 * of matMul + tanh layers ending in a softmax. Every backend must give the same numbers (to float32
 * rounding); the e2e suite compares WebGPU against WASM, the unit tests compare against a float64
 * reference in plain JavaScript (`selfTestReference`).
 *
 *   X₀ ~ N(0,1)                      [S, S]
 *   Xᵢ₊₁ = tanh(Xᵢ · Wᵢ),  Wᵢ ~ N(0, 1/S)   i < depth
 *   logits = 4 · X_depth · W_out             [S, S]
 *   probs  = softmax(logits, axis = -1)
 */
import { Rng } from './rng';
import { tf } from './tf';

export interface SelfTestParams {
  seed: number;
  /** Matrix side S (default 64). */
  size?: number;
  /** Number of matMul+tanh layers (default 8). */
  depth?: number;
}

export interface SelfTestResult {
  backend: string;
  size: number;
  depth: number;
  /** logits[0, :] — S numbers. */
  logits: number[];
  /** softmax(logits)[0, :] — S numbers summing to 1. */
  probs: number[];
  /** mean |logits| over the whole matrix. */
  checksum: number;
  /** Wall time of the computation (ms), first call includes shader compilation on WebGPU. */
  ms: number;
}

interface Draws {
  x0: Float32Array; // [S, S]
  ws: Float32Array[]; // depth × [S, S]
  wOut: Float32Array; // [S, S]
}

function draw(seed: number, size: number, depth: number): Draws {
  const rng = new Rng(seed).fork('self-test');
  const n = size * size;
  const std = 1 / Math.sqrt(size);
  return {
    x0: rng.normalArray(n),
    ws: Array.from({ length: depth }, () => rng.normalArray(n, 0, std)),
    wOut: rng.normalArray(n, 0, std),
  };
}

/**
 * Run the self-test on the current tfjs backend. `onStep(i)` is awaited after each layer (the worker
 * uses it to report progress and to honour cancellation).
 */
export async function runSelfTest(
  params: SelfTestParams,
  onStep?: (step: number, of: number) => Promise<void> | void,
): Promise<SelfTestResult> {
  const size = params.size ?? 64;
  const depth = params.depth ?? 8;
  const d = draw(params.seed, size, depth);
  const t0 = performance.now();
  let x: tf.Tensor = tf.tensor2d(d.x0, [size, size]); // [S, S]
  try {
    for (let i = 0; i < depth; i++) {
      const w = d.ws[i];
      const next = tf.tidy(() => tf.tanh(tf.matMul(x, tf.tensor2d(w, [size, size]))));
      x.dispose();
      x = next;
      if (onStep) await onStep(i + 1, depth);
    }
    const [logits, probs] = tf.tidy(() => {
      const l = tf.mul(tf.matMul(x, tf.tensor2d(d.wOut, [size, size])), 4); // [S, S]
      return [l, tf.softmax(l, -1)];
    });
    const checksumT = tf.tidy(() => tf.mean(tf.abs(logits)));
    const [lv, pv, cv] = await Promise.all([logits.data(), probs.data(), checksumT.data()]);
    tf.dispose([logits, probs, checksumT]);
    return {
      backend: tf.getBackend(),
      size,
      depth,
      logits: Array.from(lv.subarray(0, size)),
      probs: Array.from(pv.subarray(0, size)),
      checksum: cv[0],
      ms: performance.now() - t0,
    };
  } finally {
    x.dispose();
  }
}

/** The same computation in float64 plain JavaScript (independent of tfjs), for tests. */
export function selfTestReference(params: SelfTestParams): Pick<SelfTestResult, 'logits' | 'probs' | 'checksum'> {
  const size = params.size ?? 64;
  const depth = params.depth ?? 8;
  const d = draw(params.seed, size, depth);
  const mm = (a: ArrayLike<number>, b: ArrayLike<number>): Float64Array => {
    const c = new Float64Array(size * size);
    for (let i = 0; i < size; i++)
      for (let k = 0; k < size; k++) {
        const aik = a[i * size + k];
        for (let j = 0; j < size; j++) c[i * size + j] += aik * b[k * size + j];
      }
    return c;
  };
  let x: Float64Array = Float64Array.from(d.x0);
  for (let i = 0; i < depth; i++) x = mm(x, d.ws[i]).map(Math.tanh);
  const logits = mm(x, d.wOut).map((v) => 4 * v);
  const row = Array.from(logits.subarray(0, size));
  const m = Math.max(...row);
  const e = row.map((v) => Math.exp(v - m));
  const z = e.reduce((s, v) => s + v, 0);
  const checksum = logits.reduce((s, v) => s + Math.abs(v), 0) / logits.length;
  return { logits: row, probs: e.map((v) => v / z), checksum };
}
