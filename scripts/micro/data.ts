/**
 * Batches of the CPU-side datasets as model inputs, and accuracy / attack-success evaluation of a
 * zero-shot head (the pieces the micro CLIP build and its TBAR feasibility study share).
 */
import { tf } from '../../src/engine/tf';
import { normalize } from '../../src/engine/clip/preprocess';
import type { ClipModel } from '../../src/engine/clip/model';
import { zeroShotLogits } from '../../src/engine/clip/zeroshot';
import type { Trigger } from '../../src/engine/triggers';
import { accuracy, attackSuccessRate, predict } from '../../src/engine/eval/metrics';

export interface ImageSet {
  /** [N, S, S, 3] RGB bytes. */
  images: Uint8Array;
  labels: Int32Array;
  imageSize: number;
  count: number;
}

/** Raw images [n, S, S, 3] in [0, 1] for rows `indices` of `set`. */
export function rawBatch(set: ImageSet, indices: ArrayLike<number>): tf.Tensor4D {
  const S = set.imageSize;
  const per = S * S * 3;
  const n = indices.length;
  const buf = new Float32Array(n * per);
  for (let i = 0; i < n; i++) {
    const src = indices[i] * per;
    const dst = i * per;
    for (let k = 0; k < per; k++) buf[dst + k] = set.images[src + k] / 255;
  }
  return tf.tensor4d(buf, [n, S, S, 3]);
}

/**
 * Model input for rows `indices`: raw → (trigger on the rows where `triggered[i]`) → CLIP normalise.
 * `sampleIndices` are the trigger's per-image indices (default: `indices`).
 */
export function inputBatch(
  set: ImageSet,
  indices: ArrayLike<number>,
  trigger?: Trigger,
  triggered?: ArrayLike<boolean>,
  sampleIndices?: Int32Array,
): tf.Tensor4D {
  return tf.tidy(() => {
    let raw = rawBatch(set, indices);
    if (trigger) {
      const all = trigger.apply(raw, sampleIndices ?? Int32Array.from(indices));
      if (!triggered) raw = all;
      else {
        const mask = tf.tensor4d(Float32Array.from(Array.from(triggered, (t) => (t ? 1 : 0))), [indices.length, 1, 1, 1]);
        raw = tf.add(tf.mul(all, mask), tf.mul(raw, tf.sub(1, mask))) as tf.Tensor4D;
      }
    }
    return normalize(raw);
  });
}

/** Predictions of the zero-shot head on `set` (optionally triggered), batch 250. */
export async function predictSet(model: ClipModel, head: tf.Tensor2D, set: ImageSet, trigger?: Trigger, count = set.count, batch = 250, triggerIndexOffset = 0): Promise<Int32Array> {
  return predict(count, batch, (idx) =>
    zeroShotLogits(model, head, inputBatch(set, idx, trigger, undefined, trigger ? Int32Array.from(idx, (i) => i + triggerIndexOffset) : undefined)),
  );
}

export async function cleanAccuracy(model: ClipModel, head: tf.Tensor2D, set: ImageSet, count = set.count): Promise<number> {
  return accuracy(await predictSet(model, head, set, undefined, count), set.labels.subarray(0, count));
}

export async function attackSuccess(model: ClipModel, head: tf.Tensor2D, set: ImageSet, trigger: Trigger, target: number, count = set.count, triggerIndexOffset = 0): Promise<number> {
  return attackSuccessRate(await predictSet(model, head, set, trigger, count, 250, triggerIndexOffset), set.labels.subarray(0, count), target).rate;
}
