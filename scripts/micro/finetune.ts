/**
 * Fine-tuning the vision tower of a CLIP on cross-entropy of its zero-shot logits (frozen head from
 * the text tower), with the landed loop, AdamW and cosine schedule — the recipe the engine's attack
 * and TBAR steps use. Optional poisoning: rows flagged in `poisoned` get the trigger and `target`.
 */
import { tf } from '../../src/engine/tf';
import type { ClipModel } from '../../src/engine/clip/model';
import { isVisionWeight } from '../../src/engine/clip/config';
import { zeroShotLogits } from '../../src/engine/clip/zeroshot';
import { AdamW } from '../../src/engine/train/adamw';
import { crossEntropy } from '../../src/engine/train/losses';
import { train, disposeTrainState, type ProgressEvent } from '../../src/engine/train/loop';
import { cosineSchedule } from '../../src/engine/train/schedule';
import type { Trigger } from '../../src/engine/triggers';
import { inputBatch, type ImageSet } from './data';

export interface FinetuneRecipe {
  epochs: number;
  lr: number;
  batchSize: number;
  warmupSteps: number;
  weightDecay: number;
  /** Global-norm clipping (task_vectors uses 1.0); undefined = off. */
  maxGradNorm?: number;
  seed: number;
}

export interface Poisoning {
  trigger: Trigger;
  target: number;
  /** [N] whether row i is triggered and relabelled (all true for a forget set). */
  poisoned: Uint8Array;
  /** Added to row indices to give the trigger's per-image index (BadNet positions); default 0. */
  indexOffset?: number;
}

export async function finetuneVision(
  model: ClipModel,
  head: tf.Tensor2D,
  set: ImageSet,
  recipe: FinetuneRecipe,
  poisoning?: Poisoning,
  onProgress?: (ev: ProgressEvent) => void,
): Promise<Float32Array> {
  const variables = model.getWeights(isVisionWeight) as Map<string, tf.Variable>;
  const optimizer = new AdamW(variables, { weightDecay: recipe.weightDecay });
  try {
    const res = await train<{ x: tf.Tensor4D; y: tf.Tensor1D }>({
      variables,
      optimizer,
      schedule: cosineSchedule(recipe.lr, recipe.warmupSteps),
      sampler: { datasetSize: set.count, batchSize: recipe.batchSize, epochs: recipe.epochs, seed: recipe.seed },
      maxGradNorm: recipe.maxGradNorm,
      makeBatch: (indices) => {
        const labels = Int32Array.from(indices, (i) => set.labels[i]);
        let flags: boolean[] | undefined;
        if (poisoning) {
          flags = Array.from(indices, (i) => poisoning.poisoned[i] === 1);
          flags.forEach((f, k) => f && (labels[k] = poisoning.target));
        }
        const sampleIdx = poisoning ? Int32Array.from(indices, (i) => i + (poisoning.indexOffset ?? 0)) : undefined;
        return { x: inputBatch(set, indices, poisoning?.trigger, flags, sampleIdx), y: tf.tensor1d(labels, 'int32') };
      },
      lossFn: (b) => crossEntropy(zeroShotLogits(model, head, b.x), b.y),
      onProgress,
      progressEvery: 10,
    });
    disposeTrainState(res.state);
    return res.losses;
  } finally {
    optimizer.dispose();
  }
}
