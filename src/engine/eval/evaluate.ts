/**
 * Run a model on a split, clean or triggered, batched on the device, and score it (TBAR paper
 * appendix A.2.1 "Evaluation"; SPEC "Metrics"):
 *   CA  = accuracy of argmax zero-shot logits on the clean images of the split;
 *   ASR = share of the triggered images whose TRUE class ≠ target that are predicted as the target
 *         (target-class images are not run at all: they are not in ASR's denominator).
 * Prediction = argmax (ties → lowest index), via metrics.predict. Cancellable between chunks of batches.
 */
import { tf } from '../tf';
import type { ClipModel } from '../clip/model';
import { zeroShotLogits } from '../clip/zeroshot';
import { checkpoint } from '../cancel';
import { modelBatch, range, type TriggerRows } from '../data/batches';
import { withoutClass, type ImageSplit } from '../data/splits';
import type { Trigger } from '../triggers/types';
import type { Scores } from '../experiment/results';
import { accuracy, attackSuccessRate, confusionMatrix, perClassAccuracy, predict } from './metrics';
import type { InputCache, InputKey } from './inputCache';
import type { ClassCounts } from './byClass';

/** Evaluation batch size on WASM, where small batches are fastest per image (cache), and on software
 *  WebGPU; on a hardware GPU the worker takes up to 512 where memory allows (eval/batchPlan.ts). */
export const EVAL_BATCH_SIZE = 64;
/** Batches per chunk between cancellation checks. */
const CHUNK_BATCHES = 4;

export interface EvalContext {
  model: ClipModel;
  /** Zero-shot head [C, E]. */
  head: tf.Tensor2D;
  /** Model input side S. */
  imageSize: number;
  trigger?: Trigger | null;
  batchSize?: number;
  /**
   * Run a short last batch padded to `batchSize` (repeating its first image) and keep only its own
   * rows. On WebGPU a new batch shape costs new buffers, which tfjs keeps for good
   * (webgpuMemory.ts), and new shader compilations; rows do not interact, so predictions are the same.
   */
  padToBatch?: boolean;
  /** Keep the model inputs for the next model on the same images (the α sweep, ξ's grid). */
  inputs?: InputCache;
  signal?: AbortSignal;
}

/** Argmax predictions of the model's current weights on every example of `split`. */
export async function predictSplit(ctx: EvalContext, split: ImageSplit, rows: TriggerRows = 'none'): Promise<Int32Array> {
  const n = split.rows.length;
  const bs = ctx.batchSize ?? EVAL_BATCH_SIZE;
  const out = new Int32Array(n);
  const chunk = bs * CHUNK_BATCHES;
  for (let start = 0; start < n; start += chunk) {
    await checkpoint(ctx.signal);
    const m = Math.min(chunk, n - start);
    const pred = await predict(m, bs, (local) => {
      const n = local.length;
      const size = ctx.padToBatch ? bs : n;
      const idx = Int32Array.from({ length: size }, (_, i) => start + local[i < n ? i : 0]);
      const make = () => modelBatch(split, idx, { imageSize: ctx.imageSize, trigger: ctx.trigger, rows });
      const pixels = ctx.inputs ? ctx.inputs.batch(inputKey(ctx, split, idx, rows), make) : make();
      const logits = zeroShotLogits(ctx.model, ctx.head, pixels); // [size, C]
      return size === n ? logits : (tf.slice(logits, [0, 0], [n, -1]) as tf.Tensor2D); // [n, C]
    });
    out.set(pred, start);
  }
  return out;
}

/** What the pixels of the batch of split positions `idx` depend on (eval/inputCache.ts). */
function inputKey(ctx: EvalContext, split: ImageSplit, idx: Int32Array, rows: TriggerRows): InputKey {
  return {
    pool: split.pool,
    imageSize: ctx.imageSize,
    trigger: ctx.trigger,
    triggered: idx.map((i) => (rows === 'all' ? 1 : rows === 'none' ? 0 : rows[i])),
    poolRows: idx.map((i) => split.rows[i]),
    sampleIds: idx.map((i) => split.sampleIds[i]),
  };
}

/** Softmax probabilities [n·C] (row-major) of the model's current weights on every example of `split`. */
export async function probabilitiesSplit(ctx: EvalContext, split: ImageSplit, rows: TriggerRows = 'none'): Promise<Float32Array> {
  const n = split.rows.length;
  const bs = ctx.batchSize ?? EVAL_BATCH_SIZE;
  const C = ctx.head.shape[0];
  const out = new Float32Array(n * C);
  for (let start = 0; start < n; start += bs) {
    await checkpoint(ctx.signal);
    const idx = range(Math.min(bs, n - start), start);
    const probs = tf.tidy(() => tf.softmax(zeroShotLogits(ctx.model, ctx.head, modelBatch(split, idx, { imageSize: ctx.imageSize, trigger: ctx.trigger, rows }))));
    try {
      out.set((await probs.data()) as Float32Array, start * C);
    } finally {
      probs.dispose();
    }
  }
  return out;
}

export interface DetailedScores extends Scores {
  /** Clean images scored, and of the triggered ones: hits / count (count = images of class ≠ target). */
  cleanCount: number;
  asrHits: number;
  asrCount: number;
}

/** CA on the clean split and ASR on its triggered non-target images. Needs ctx.trigger. */
export async function scoreSplit(ctx: EvalContext, split: ImageSplit, target: number): Promise<DetailedScores> {
  return (await scoreWithPredictions(ctx, split, target)).scores;
}

/** scoreSplit, plus its clean predictions counted by true class (byClass.ts): the same passes and figures. */
export async function scoreSplitByClass(ctx: EvalContext, split: ImageSplit, target: number, numClasses: number): Promise<DetailedScores & { byClass: ClassCounts }> {
  const { scores, clean } = await scoreWithPredictions(ctx, split, target);
  const pc = perClassAccuracy(clean, split.labels, numClasses);
  return { ...scores, byClass: { correct: Array.from(pc.correct), total: Array.from(pc.total) } };
}

async function scoreWithPredictions(ctx: EvalContext, split: ImageSplit, target: number): Promise<{ scores: DetailedScores; clean: Int32Array }> {
  const clean = await predictSplit(ctx, split, 'none');
  const asr = await asrOnSplit(ctx, split, target);
  return { scores: { ca: accuracy(clean, split.labels), asr: asr.rate, cleanCount: clean.length, asrHits: asr.hits, asrCount: asr.count }, clean };
}

/** CA only. */
export async function cleanAccuracy(ctx: EvalContext, split: ImageSplit): Promise<number> {
  return accuracy(await predictSplit(ctx, split, 'none'), split.labels);
}

/** ASR only: triggered images of classes ≠ target, share predicted as target. */
export async function asrOnSplit(ctx: EvalContext, split: ImageSplit, target: number): Promise<{ rate: number; hits: number; count: number }> {
  if (!ctx.trigger) throw new Error('ASR needs a trigger');
  const victims = withoutClass(split, target);
  const pred = await predictSplit(ctx, victims, 'all');
  return attackSuccessRate(pred, victims.labels, target);
}

export interface FullEvaluation {
  scores: DetailedScores;
  /** Per true class accuracy on the clean images (NaN for a class with no image). */
  perClass: number[];
  /** confusion[true][predicted] on the clean images. */
  confusion: number[][];
  cleanPred: Int32Array;
}

/** CA, ASR, per-class accuracy and confusion matrix on a split. */
export async function evaluateSplit(ctx: EvalContext, split: ImageSplit, target: number, numClasses: number): Promise<FullEvaluation> {
  const cleanPred = await predictSplit(ctx, split, 'none');
  const asr = await asrOnSplit(ctx, split, target);
  const pc = perClassAccuracy(cleanPred, split.labels, numClasses);
  return {
    scores: { ca: accuracy(cleanPred, split.labels), asr: asr.rate, cleanCount: cleanPred.length, asrHits: asr.hits, asrCount: asr.count },
    perClass: pc.accuracy.map((a) => (a === null ? NaN : a)),
    confusion: confusionMatrix(cleanPred, split.labels, numClasses).map((r) => Array.from(r)),
    cleanPred,
  };
}
