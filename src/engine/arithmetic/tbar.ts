/**
 * TBAR — Trigger removal by Backdoor ARithmetic (TBAR paper §4, §5.1, appendix A.2).
 *
 *   forget set  = triggered images, every one labelled with the target class (paper: 2000 held-out
 *                 training images; here config.splits.forget, capped by the data, disjoint from the
 *                 attack's training images — see data/splits.ts). All forget images carry the trigger:
 *                 appendix B.1 shows purely triggered forget sets give the best trade-off.
 *   θ_{b+t}     = fine-tune θ_b on the forget set, with the TBAR hyper-parameters (the paper uses the
 *                 attack's: "the same configurations are used for TBAR training")
 *   τ̂_t         = θ_{b+t} − θ_b                                                          (eq. 4)
 *   θ̂_c(α)      = θ_b − α·τ̂_t                                                            (eq. 5)
 * α is then picked on validation data by the sweep (sweep.ts).
 *
 * Per-epoch curve (Fig. 3, TBAR beside gradient ascent): after each forget epoch e, τ̂_t(e) =
 * θ_{b+t}(e) − θ_b, α is chosen on the validation split over a coarse grid with the known-trigger rule
 * (Fig. 3 is the known-trigger setting) and θ_b − α·τ̂_t(e) is scored once on the test split.
 */
import type { tf } from '../tf';
import type { ClipModel } from '../clip/model';
import { trainingSet, type BatchOptions, type TrainingSet } from '../data/batches';
import type { ImageSplit } from '../data/splits';
import type { FinetuneConfig } from '../experiment/config';
import type { Scores, SweepPoint, TbarResult, TrainProgress } from '../experiment/results';
import { finetuneVision } from '../train/finetune';
import { selectKnownTrigger, sweepPoint, type ValScores } from './sweep';
import { cloneWeights, disposeWeights, loadArithmetic, TaskVector, type WeightMap } from './taskVector';

/** The forget set as a training set: every image triggered, every label = target. */
export function forgetSet(split: ImageSplit, target: number, batch: BatchOptions): TrainingSet {
  return trainingSet(split, new Int32Array(split.rows.length).fill(target), { ...batch, rows: 'all' });
}

/** Scores of the model's CURRENT weights: validation (with the proxy ASR under TBAR+DECREE) and test. */
export interface Scorer {
  val(): Promise<ValScores>;
  test(): Promise<Scores>;
}

export interface TbarPerEpochOptions {
  /** Coarse α grid (ascending). */
  alphas: number[];
  asrThreshold: number;
  score: Scorer;
}

export interface TbarOptions {
  model: ClipModel;
  head: tf.Tensor2D;
  /** θ_b (vision tower), not modified. */
  thetaB: WeightMap;
  forget: TrainingSet;
  hp: FinetuneConfig;
  /** Gradient accumulation when the device cannot hold a batch of hp.batchSize (train/loop.ts). */
  microBatchSize?: number;
  /** Data-order seed of the forget-set fine-tuning. */
  seed: number;
  onProgress?: (p: TrainProgress) => void;
  /** When given: the per-epoch points of Fig. 3. */
  perEpoch?: TbarPerEpochOptions;
  onEpochPoint?: (p: TbarResult['perEpoch'][number]) => void;
  signal?: AbortSignal;
}

export interface TbarRun {
  /** τ̂_t (owned by the caller). */
  tauHat: TaskVector;
  losses: number[];
  perEpoch: TbarResult['perEpoch'];
}

/**
 * θ_b − α·τ̂ for each α of the grid on validation, the known-trigger choice, and its test scores.
 * Leaves the model at θ_b − α_chosen·τ̂.
 */
export async function selectOnValScoreOnTest(model: ClipModel, thetaB: WeightMap, tau: TaskVector, o: TbarPerEpochOptions): Promise<{ alpha: number; test: Scores; points: SweepPoint[] }> {
  const points: SweepPoint[] = [];
  for (const alpha of o.alphas) {
    loadArithmetic(model, thetaB, [[tau, -alpha]]);
    points.push(sweepPoint(alpha, await o.score.val()));
  }
  const { alpha } = selectKnownTrigger(points, o.asrThreshold);
  loadArithmetic(model, thetaB, [[tau, -alpha]]);
  return { alpha, test: await o.score.test(), points };
}

/**
 * Fine-tune θ_b on the forget set and return τ̂_t = θ_{b+t} − θ_b (eq. 4). The model is left at θ_b.
 */
export async function estimateTriggerVector(o: TbarOptions): Promise<TbarRun> {
  const { model, thetaB } = o;
  const perEpoch: TbarResult['perEpoch'] = [];
  model.setWeights(thetaB);
  try {
    const { losses } = await finetuneVision({
      model,
      head: o.head,
      data: o.forget,
      hp: o.hp,
      microBatchSize: o.microBatchSize,
      seed: o.seed,
      stage: 'tbar',
      onProgress: o.onProgress,
      signal: o.signal,
      onEpochEnd: o.perEpoch
        ? async (epoch) => {
            const current = cloneWeights(model); // θ_{b+t} after this epoch
            const tau = TaskVector.fromDifference(current, thetaB); // eq. 4 at epoch e
            try {
              const { alpha, test } = await selectOnValScoreOnTest(model, thetaB, tau, o.perEpoch!);
              const point = { epoch: epoch + 1, alpha, test };
              perEpoch.push(point);
              o.onEpochPoint?.(point);
            } finally {
              model.setWeights(current);
              tau.dispose();
              disposeWeights(current);
            }
          }
        : undefined,
    });
    const thetaBT = model.getWeights(); // live θ_{b+t}
    const tauHat = TaskVector.fromDifference(thetaBT, thetaB); // eq. 4
    return { tauHat, losses, perEpoch };
  } finally {
    model.setWeights(thetaB);
  }
}
