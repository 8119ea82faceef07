/**
 * Fine-tuning of the CLIP vision tower with the text tower frozen (TBAR paper §5.1, appendix A.2.1):
 * the zero-shot head (class text embeddings, computed once) is a fixed classifier, and the loss is
 * cross-entropy on logits = exp(logit_scale) · normalize(f_vision(x)) · headᵀ, as task_vectors'
 * finetune.py does with its ImageClassifier. Only `vision_model.*` and `visual_projection.weight` are
 * trained (logit_scale and the text tower stay fixed).
 *
 * Optimiser and schedule as task_vectors / the paper: AdamW (torch-exact, weight decay decoupled),
 * task_vectors' cosine_lr with linear warmup, global-norm gradient clipping, batches drawn by the
 * loop's seeded sampler (last partial batch kept). The same function runs every fine-tuning stage:
 * the attack (poisoned training split → θ_b), the clean baseline, TBAR (forget set → θ_{b+t}) and
 * gradient ascent (direction 'ascent', appendix A.3.4).
 *
 * `onEpochEnd` pauses training between epochs (TBAR's per-epoch curve, gradient ascent's per-epoch
 * scores). It is implemented with the loop's exact resume (state carried over, so the run equals an
 * uninterrupted one bit for bit); the hook may change the model's weights but must restore them.
 */
import { tf } from '../tf';
import { isVisionWeight } from '../clip/config';
import type { ClipModel } from '../clip/model';
import { zeroShotLogits } from '../clip/zeroshot';
import { CancelledError } from '../cancel';
import type { TrainBatch, TrainingSet } from '../data/batches';
import type { FinetuneConfig } from '../experiment/config';
import type { TrainProgress } from '../experiment/results';
import { releaseFreeGpuBuffers } from '../webgpuMemory';
import { AdamW } from './adamw';
import { crossEntropy } from './losses';
import { disposeTrainState, planSteps, train, type TrainResult, type TrainState } from './loop';
import { cosineSchedule } from './schedule';

export interface FinetuneOptions {
  model: ClipModel;
  /** Zero-shot head [C, E], rows L2-normalised (frozen). */
  head: tf.Tensor2D;
  data: TrainingSet;
  hp: FinetuneConfig;
  /** Sampler seed (data order). */
  seed: number;
  stage: TrainProgress['stage'];
  /** 'ascent' for gradient-ascent unlearning (θ ← θ + η∇L, via AdamW on −L; see loop.ts). */
  direction?: 'descent' | 'ascent';
  onProgress?: (p: TrainProgress) => void;
  /** Called after each epoch (0-based, the last one included) with that epoch's weights live. */
  onEpochEnd?: (epoch: number) => Promise<void>;
  signal?: AbortSignal;
  /** Run each batch of `hp.batchSize` in chunks of this many and sum their gradients (loop.ts), when the device holds no more. */
  microBatchSize?: number;
}

export interface FinetuneResult {
  /** Loss of every step (L itself, also during ascent). */
  losses: number[];
  totalSteps: number;
}

/** The trainable set: the vision tower's live variables by HF name. */
export function visionVariableMap(model: ClipModel): Map<string, tf.Variable> {
  return model.getWeights(isVisionWeight) as Map<string, tf.Variable>;
}

/** Mean cross-entropy of the zero-shot logits (the fine-tuning loss). */
export function zeroShotLoss(model: ClipModel, head: tf.Tensor2D, pixels: tf.Tensor4D, labels: tf.Tensor1D): tf.Scalar {
  return crossEntropy(zeroShotLogits(model, head, pixels), labels);
}

/**
 * Fine-tune the vision tower in place. Throws CancelledError when `signal` fires (weights: those of
 * the last completed step) and TrainingDivergedError on a NaN/Inf step (weights: the last good step).
 */
export async function finetuneVision(opts: FinetuneOptions): Promise<FinetuneResult> {
  const { model, head, data, hp, seed, stage, onProgress, onEpochEnd, signal } = opts;
  const variables = visionVariableMap(model);
  const sampler = { datasetSize: data.count, batchSize: hp.batchSize, epochs: hp.epochs, seed };
  const plan = planSteps(sampler);
  const optimizer = new AdamW(variables, { weightDecay: hp.weightDecay });
  const schedule = cosineSchedule(hp.lr, hp.warmupSteps);
  const losses: number[] = [];
  const t0 = performance.now();
  let pausedMs = 0; // time spent in onEpochEnd, excluded from the ETA
  let state: TrainState | null = null;
  try {
    // One segment per epoch when the caller wants to look in between, else one segment.
    const segments = onEpochEnd ? hp.epochs : 1;
    for (let seg = 0; seg < segments; seg++) {
      const stopAt = onEpochEnd ? (seg + 1) * plan.stepsPerEpoch : plan.totalSteps;
      const pause = new AbortController();
      const onAbort = () => pause.abort();
      signal?.addEventListener('abort', onAbort);
      if (signal?.aborted) pause.abort();
      try {
        const res: TrainResult = await train<TrainBatch>({
          variables,
          lossFn: (b) => zeroShotLoss(model, head, b.pixels, b.labels),
          sampler,
          makeBatch: (indices) => data.batch(indices),
          optimizer,
          schedule,
          maxGradNorm: hp.maxGradNorm > 0 ? hp.maxGradNorm : undefined,
          microBatchSize: opts.microBatchSize,
          direction: opts.direction ?? 'descent',
          resumeFrom: state ?? undefined,
          signal: pause.signal,
          onProgress: (ev) => {
            const elapsedMs = performance.now() - t0;
            const trainMs = elapsedMs - pausedMs;
            onProgress?.({
              stage,
              step: ev.step,
              totalSteps: ev.totalSteps,
              epoch: ev.epoch,
              loss: ev.loss,
              lr: ev.lr,
              imagesPerSec: ev.imagesPerSec,
              elapsedMs,
              etaMs: (trainMs / ev.step) * (ev.totalSteps - ev.step),
            });
            if (ev.step >= stopAt && ev.step < ev.totalSteps) pause.abort(); // end of this epoch
          },
        });
        for (const l of res.losses) losses.push(l);
        if (state) disposeTrainState(state);
        state = res.state;
        if (signal?.aborted) throw new CancelledError();
      } finally {
        signal?.removeEventListener('abort', onAbort);
      }
      if (onEpochEnd) {
        const p0 = performance.now();
        await onEpochEnd(seg);
        pausedMs += performance.now() - p0;
      }
    }
    return { losses, totalSteps: plan.totalSteps };
  } finally {
    if (state) disposeTrainState(state);
    optimizer.dispose();
    // The step's buffers (activations, gradients, AdamW's temporaries) are sized for training; what
    // follows (evaluation) uses other sizes. On WebGPU give them back (webgpuMemory.ts).
    releaseFreeGpuBuffers();
  }
}
