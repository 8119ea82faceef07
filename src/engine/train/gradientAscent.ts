/**
 * Gradient-ascent unlearning, the baseline of TBAR paper §5.3/§6 and appendix A.3.4 (after Graves et
 * al. 2021, Jang et al. 2022): maximise the loss on the forget set,
 *
 *   θ^(t+1) = θ^(t) + η ∇_θ L(U_set, θ^(t)),
 *
 * "with the same TBAR hyperparameters" — so the same optimiser (AdamW, via minimising −L, which is
 * torch's AdamW(maximize=True); see loop.ts), learning rate, schedule, batch size, clipping and forget
 * set (triggered images labelled with the target). Starts from θ_b. After each epoch, CA and ASR of
 * the current weights are recorded on the test split (Fig. 3 plots CA and 1 − ASR against epochs).
 */
import type { tf } from '../tf';
import type { ClipModel } from '../clip/model';
import type { TrainingSet } from '../data/batches';
import type { FinetuneConfig } from '../experiment/config';
import type { GaPoint, Scores, TrainProgress } from '../experiment/results';
import type { WeightMap } from '../arithmetic/taskVector';
import { finetuneVision } from './finetune';

export interface GradientAscentOptions {
  model: ClipModel;
  head: tf.Tensor2D;
  /** θ_b (vision tower): the starting point; the model is put back to it at the end. */
  thetaB: WeightMap;
  forget: TrainingSet;
  /** TBAR's hyper-parameters; `epochs` is replaced by `epochs` below. */
  hp: FinetuneConfig;
  /** Gradient accumulation when the device cannot hold a batch of hp.batchSize (train/loop.ts). */
  microBatchSize?: number;
  epochs: number;
  seed: number;
  /** Test-split scores of the model's current weights. */
  scoreTest: () => Promise<Scores>;
  onProgress?: (p: TrainProgress) => void;
  onPoint?: (p: GaPoint) => void;
  signal?: AbortSignal;
  /** Leave the model at the ascended weights instead of θ_b (tests). */
  keepWeights?: boolean;
}

export interface GradientAscentRun {
  points: GaPoint[];
  losses: number[];
}

export async function gradientAscent(o: GradientAscentOptions): Promise<GradientAscentRun> {
  const points: GaPoint[] = [];
  o.model.setWeights(o.thetaB);
  let ok = false;
  try {
    const { losses } = await finetuneVision({
      model: o.model,
      head: o.head,
      data: o.forget,
      hp: { ...o.hp, epochs: o.epochs },
      microBatchSize: o.microBatchSize,
      seed: o.seed,
      stage: 'ga',
      direction: 'ascent',
      onProgress: o.onProgress,
      signal: o.signal,
      onEpochEnd: async (epoch) => {
        const p: GaPoint = { epoch: epoch + 1, test: await o.scoreTest() };
        points.push(p);
        o.onPoint?.(p);
      },
    });
    ok = true;
    return { points, losses };
  } finally {
    if (!(ok && o.keepWeights)) o.model.setWeights(o.thetaB);
  }
}
