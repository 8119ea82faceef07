/**
 * DECREE trigger inversion (Feng et al., CVPR 2023; TBAR paper §6 and appendix A.3.5): find the
 * smallest stamp — a mask m and a pattern p over the whole input — such that clean images stamped
 * with it all get nearly the same embedding from the (suspect) vision encoder:
 *
 *   x'     = (1 − m)·x + m·p                       m ∈ [0, 1]^{S×S}, p ∈ [0, 1]^{S×S×3}, raw pixels
 *   m, p   = tanh(u)/(2 − ε) + ½                   (unconstrained u, as DECREE / Neural Cleanse)
 *   sim    = mean_{i≠j} ⟨ê(x'_i), ê(x'_j)⟩          ê = L2-normalised image embedding
 *   loss   = −sim + λ·mean(m)                      mean(m) = PL1, DECREE's normalised ℓ1 (below)
 *
 * λ follows DECREE's cost schedule (that of Neural Cleanse): 0 until the stamped embeddings reach
 * `simThreshold` for `patience` steps, then `initCost`; afterwards ×`costMultiplier` after `patience`
 * steps at or above the threshold and ÷`costMultiplier`^1.5 after `patience` steps below it. The
 * smallest mask that held the threshold is kept. With `restarts` > 1 the whole search runs again from
 * new random stamps and the smallest kept stamp over all runs wins: the minimal stamp is DECREE's
 * premise, and one run from one random start can settle on a larger, natural shortcut.
 *
 * Reported size (appendix A.3.5, Table 6): ℓ1 = Σ m over the 3 channels (the mask broadcast to RGB),
 * PL1 = ℓ1 / (3·S·S) ∈ [0, 1]. A backdoored encoder admits a far smaller stamp than a clean one (the
 * paper: PL1 2–9% backdoored vs 14.7% for zero-shot ViT-B/32), which is DECREE's detection signal.
 *
 * Only the stamp is optimised (gradients w.r.t. the input); the encoder's weights are read, never
 * changed. Deterministic from `seed` (initial stamp, image order) on a given backend.
 */
import { tf } from '../tf';
import { checkpoint } from '../cancel';
import type { ClipModel } from '../clip/model';
import { l2Normalize, withFrozenWeights } from '../clip/model';
import { normalize } from '../clip/preprocess';
import { rawBatch } from '../data/batches';
import type { ImageSplit } from '../data/splits';
import { Rng } from '../rng';

export interface DecreeSettings {
  /** Optimisation steps. */
  steps: number;
  /** Clean images per step. */
  batchSize: number;
  /** Adam learning rate on the tanh parameters (Neural Cleanse: 0.1, betas 0.5/0.9). */
  lr: number;
  /** Mean pairwise cosine similarity the stamped embeddings must reach. */
  simThreshold: number;
  /** λ once the threshold is first held. */
  initCost: number;
  costMultiplier: number;
  /** Steps the similarity must stay above / below the threshold before λ changes. */
  patience: number;
  /** Independent runs from new random stamps; the smallest stamp wins. */
  restarts: number;
}

export interface DecreeProgress {
  /** 0-based run and the number of runs. */
  restart: number;
  restarts: number;
  step: number;
  steps: number;
  similarity: number;
  /** PL1 of the current mask. */
  pl1: number;
  cost: number;
  etaMs: number;
}

export interface DecreeOptions extends DecreeSettings {
  model: ClipModel;
  /** Clean images (the defender's data); their triggers, if any, are not used. */
  images: ImageSplit;
  imageSize: number;
  seed: number;
  onProgress?: (p: DecreeProgress) => void;
  signal?: AbortSignal;
}

export interface InvertedTrigger {
  size: number;
  /** m, row-major [S, S] in [0, 1]. */
  mask: Float32Array;
  /** p, row-major [S, S, 3] in [0, 1]. */
  pattern: Float32Array;
  /** ℓ1 = 3·Σ m and PL1 = ℓ1 / (3·S·S) (appendix A.3.5). */
  l1: number;
  pl1: number;
  /** Mean pairwise cosine similarity of the stamped embeddings at the kept stamp. */
  similarity: number;
  /** False when no step held the similarity threshold (then the most similar stamp is kept). */
  reachedThreshold: boolean;
  steps: number;
  /** Every run's kept stamp: PL1, similarity, whether it held the threshold (the winner among them). */
  runs: { pl1: number; similarity: number; reachedThreshold: boolean }[];
}

export class DecreeError extends Error {
  readonly code = 'bad-decree';
  constructor(message: string) {
    super(message);
    this.name = 'DecreeError';
  }
}

const EPSILON = 1e-7;
let variableId = 0;

/** u ↦ tanh(u)/(2 − ε) + ½ ∈ (0, 1). */
function squash(u: tf.Tensor): tf.Tensor {
  return tf.add(tf.div(tf.tanh(u), 2 - EPSILON), 0.5);
}

/** DECREE's cost schedule (that of Neural Cleanse): λ and its counters. */
export interface CostSchedule {
  cost: number;
  /** Consecutive steps at or above the threshold while λ is still 0. */
  held: number;
  up: number;
  down: number;
}

/**
 * The schedule after one step: λ = 0 until the threshold is held `patience` steps in a row, then
 * `initCost`; afterwards ×`costMultiplier` after `patience` steps at or above it, ÷`costMultiplier`^1.5
 * after `patience` steps below it (the counters restart after each change).
 */
export function nextCost(s: CostSchedule, above: boolean, o: Pick<DecreeSettings, 'initCost' | 'costMultiplier' | 'patience'>): CostSchedule {
  if (s.cost === 0) {
    const held = above ? s.held + 1 : 0;
    return held >= o.patience ? { cost: o.initCost, held, up: 0, down: 0 } : { ...s, held };
  }
  const up = above ? s.up + 1 : 0;
  const down = above ? 0 : s.down + 1;
  if (up >= o.patience) return { ...s, cost: s.cost * o.costMultiplier, up: 0, down };
  if (down >= o.patience) return { ...s, cost: s.cost / o.costMultiplier ** 1.5, up, down: 0 };
  return { ...s, up, down };
}

/** Mean of ⟨e_i, e_j⟩ over i ≠ j for L2-normalised rows e [B, E] (B ≥ 2). */
export function meanPairwiseCosine(e: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const B = e.shape[0];
    const s = tf.sum(tf.matMul(e, tf.transpose(e))); // Σ_ij ⟨e_i, e_j⟩, diagonal = B
    return tf.div(tf.sub(s, B), B * (B - 1)) as tf.Scalar;
  });
}

/**
 * One DECREE objective on a batch of raw clean images [B, S, S, 3]: the stamp from its tanh parameters,
 * the stamped images' mean pairwise cosine similarity, PL1 = mean(m), and loss = −sim + λ·PL1. Call it
 * inside tf.variableGrads (or a tidy); the caller keeps what it needs.
 */
export function decreeLoss(
  model: ClipModel,
  raw: tf.Tensor4D,
  maskU: tf.Tensor,
  patternU: tf.Tensor,
  lambda: number,
): { loss: tf.Scalar; similarity: tf.Scalar; pl1: tf.Scalar; mask: tf.Tensor; pattern: tf.Tensor } {
  const mask = squash(maskU); // [1, S, S, 1]
  const pattern = squash(patternU); // [1, S, S, 3]
  const stamped = tf.add(tf.mul(raw, tf.sub(1, mask)), tf.mul(mask, pattern)) as tf.Tensor4D;
  // The encoder is fixed: only the stamp's gradient is needed (withFrozenWeights skips every dW).
  const similarity = meanPairwiseCosine(l2Normalize(withFrozenWeights(() => model.encodeImage(normalize(stamped)))));
  const pl1 = tf.mean(mask) as tf.Scalar;
  return { loss: tf.add(tf.neg(similarity), tf.mul(pl1, lambda)) as tf.Scalar, similarity, pl1, mask, pattern };
}

function checkSettings(o: DecreeSettings, images: number): void {
  const int = (name: string, v: number, lo: number) => {
    if (!Number.isInteger(v) || v < lo) throw new DecreeError(`${name} must be a whole number ≥ ${lo}, got ${v}`);
  };
  int('steps', o.steps, 1);
  int('batchSize', o.batchSize, 2);
  int('patience', o.patience, 1);
  int('restarts', o.restarts, 1);
  if (images < 2) throw new DecreeError(`DECREE needs at least 2 clean images, got ${images}`);
  if (!(o.lr > 0)) throw new DecreeError(`lr must be positive, got ${o.lr}`);
  if (!(o.simThreshold > 0 && o.simThreshold < 1)) throw new DecreeError(`simThreshold must be in (0, 1), got ${o.simThreshold}`);
  if (!(o.initCost > 0)) throw new DecreeError(`initCost must be positive, got ${o.initCost}`);
  if (!(o.costMultiplier > 1)) throw new DecreeError(`costMultiplier must be > 1, got ${o.costMultiplier}`);
}

/** Invert the trigger of `model` (see the file comment). Cancellable between steps. */
export async function invertTrigger(o: DecreeOptions): Promise<InvertedTrigger> {
  checkSettings(o, o.images.rows.length);
  const runs: InvertedTrigger[] = [];
  for (let k = 0; k < o.restarts; k++) runs.push(await invertOnce(o, k, new Rng(o.seed).fork(`restart ${k}`)));
  // The smallest stamp that held the threshold; if none did, the most similar one.
  const held = runs.filter((r) => r.reachedThreshold);
  const best = held.length ? held.reduce((a, b) => (b.pl1 < a.pl1 ? b : a)) : runs.reduce((a, b) => (b.similarity > a.similarity ? b : a));
  return { ...best, runs: runs.map((r) => ({ pl1: r.pl1, similarity: r.similarity, reachedThreshold: r.reachedThreshold })) };
}

async function invertOnce(o: DecreeOptions, restart: number, rng: Rng): Promise<InvertedTrigger> {
  const n = o.images.rows.length;
  const S = o.imageSize;
  const B = Math.min(o.batchSize, n);
  // Random initial stamp, as DECREE: m, p ~ U(0, 1) mapped through arctanh.
  const atanh = (v: number) => Math.atanh((v - 0.5) * (2 - EPSILON));
  const variable = (label: string, shape: [number, number, number, number]) => {
    const init = tf.tensor4d(rng.fork(label).uniformArray(shape.reduce((a, b) => a * b)).map(atanh), shape);
    try {
      return tf.variable(init, true, `decree/${label}/${variableId++}`); // tfjs variable names are global
    } finally {
      init.dispose();
    }
  };
  const maskU = variable('mask', [1, S, S, 1]);
  const patternU = variable('pattern', [1, S, S, 3]);
  const optimizer = tf.train.adam(o.lr, 0.5, 0.9);
  const order = rng.fork('order');
  let perm: number[] = [];
  const nextIndices = (): Int32Array => {
    const idx = new Int32Array(B);
    for (let i = 0; i < B; i++) {
      if (perm.length === 0) perm = order.permutation(n);
      idx[i] = perm.pop()!;
    }
    return idx;
  };
  let schedule: CostSchedule = { cost: 0, held: 0, up: 0, down: 0 };
  type Kept = { mask: Float32Array; pattern: Float32Array; pl1: number; sim: number };
  let best: Kept | null = null; // the smallest stamp that held the threshold
  let closest: Kept | null = null; // the most similar stamp (kept when none held it)
  const t0 = performance.now();
  try {
    for (let step = 0; step < o.steps; step++) {
      await checkpoint(o.signal);
      const raw = rawBatch(o.images, nextIndices(), { imageSize: S });
      // The stamp this step evaluates (before its update), its similarity and PL1.
      let kept: tf.Tensor[] = [];
      try {
        const lambda = schedule.cost;
        const { grads, value } = tf.variableGrads(() => {
          const t = decreeLoss(o.model, raw, maskU, patternU, lambda);
          kept = [t.mask, t.pattern, t.similarity, t.pl1].map((x) => tf.keep(x.clone()));
          return t.loss;
        }, [maskU, patternU]);
        optimizer.applyGradients(grads as unknown as Parameters<typeof optimizer.applyGradients>[0]);
        tf.dispose([...Object.values(grads), value]);
        const [mT, pT, simT, pl1T] = kept;
        const [sim] = await simT.data();
        const [pl1] = await pl1T.data();
        if (!Number.isFinite(sim) || !Number.isFinite(pl1)) throw new DecreeError(`DECREE diverged at step ${step + 1} (similarity ${sim})`);
        const above = sim >= o.simThreshold;
        // The stamp that produced `sim` is the one before this step's update.
        const read = async (): Promise<Kept> => ({ mask: (await mT.data()) as Float32Array, pattern: (await pT.data()) as Float32Array, pl1, sim });
        if (above && (!best || pl1 < best.pl1)) best = await read();
        else if (!best && (!closest || sim > closest.sim)) closest = await read();
        schedule = nextCost(schedule, above, o);
        const ms = performance.now() - t0;
        o.onProgress?.({ restart, restarts: o.restarts, step: step + 1, steps: o.steps, similarity: sim, pl1, cost: schedule.cost, etaMs: (ms / (step + 1)) * (o.steps - step - 1 + o.steps * (o.restarts - restart - 1)) });
      } finally {
        raw.dispose();
        tf.dispose(kept);
      }
    }
    const kept = (best ?? closest)!; // steps ≥ 1, so one of them is set
    return {
      size: S,
      mask: kept.mask,
      pattern: kept.pattern,
      l1: kept.pl1 * 3 * S * S,
      pl1: kept.pl1,
      similarity: kept.sim,
      reachedThreshold: best !== null,
      steps: o.steps,
      runs: [],
    };
  } finally {
    optimizer.dispose();
    maskU.dispose();
    patternU.dispose();
  }
}
