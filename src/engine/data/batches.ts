/**
 * From bytes on the CPU to a model batch on the device, in the order the method needs (docs/ARCHITECTURE.md):
 *
 *   uint8 [n, S₀, S₀, 3] (the split's rows, gathered on the CPU)
 *     → float [0, 1]                                   (÷ 255)
 *     → resize to the model's S when S₀ ≠ S            (preprocess.resizeAndCrop: PIL bicubic + center crop,
 *                                                       as CLIPImageProcessor; e.g. CIFAR 32 → 224)
 *     → trigger on the poisoned / forget / triggered-eval rows (raw space, at model resolution, with the
 *       rows' global sample ids for per-image randomness)
 *     → normalize (CLIP mean/std), last, right before the vision tower.
 *
 * Everything after the gather runs on the device inside one tf.tidy; the caller owns (and disposes)
 * the returned tensors.
 */
import { tf } from '../tf';
import { normalize, resizeAndCrop } from '../clip/preprocess';
import type { Trigger } from '../triggers/types';
import type { ImageSplit } from './splits';

/** Which rows of a batch carry the trigger: none, all, or a mask over the split's positions. */
export type TriggerRows = 'none' | 'all' | Uint8Array;

export interface BatchOptions {
  /** Model input side S. */
  imageSize: number;
  /** Needed when any row is triggered. */
  trigger?: Trigger | null;
  rows?: TriggerRows;
}

export class BatchError extends Error {
  readonly code = 'bad-batch';
  constructor(message: string) {
    super(message);
    this.name = 'BatchError';
  }
}

/** The split positions `idx` as a float32 tensor of 0..255 values, [n, S₀, S₀, 3]. */
function gatherBytes(split: ImageSplit, idx: Int32Array): tf.Tensor4D {
  const s0 = split.pool.imageSize;
  const per = s0 * s0 * 3;
  const buf = new Float32Array(idx.length * per);
  const src = split.pool.images;
  for (let i = 0; i < idx.length; i++) {
    const pos = idx[i];
    if (!(pos >= 0 && pos < split.rows.length)) throw new BatchError(`position ${pos} is outside the ${split.name} split (${split.rows.length} images)`);
    const row = split.rows[pos];
    buf.set(src.subarray(row * per, (row + 1) * per), i * per);
  }
  return tf.tensor4d(buf, [idx.length, s0, s0, 3]);
}

/**
 * Raw images [n, S, S, 3] in [0, 1] at model resolution for split positions `idx`, triggered where
 * `opts.rows` says. The caller disposes the result.
 */
export function rawBatch(split: ImageSplit, idx: Int32Array, opts: BatchOptions): tf.Tensor4D {
  const S = opts.imageSize;
  const rows = opts.rows ?? 'none';
  let triggered = 0;
  if (rows === 'all') triggered = idx.length;
  else if (rows !== 'none') {
    if (rows.length !== split.rows.length) throw new BatchError(`trigger mask has ${rows.length} entries for a split of ${split.rows.length}`);
    for (const i of idx) triggered += rows[i];
  }
  if (triggered > 0 && !opts.trigger) throw new BatchError('rows are marked as triggered but no trigger was given');
  const bytes = gatherBytes(split, idx);
  try {
    return tf.tidy(() => {
      // [n, S, S, 3] in [0, 1]
      const raw = split.pool.imageSize === S ? (tf.div(bytes, 255) as tf.Tensor4D) : resizeAndCrop(bytes, S);
      if (triggered === 0) return raw;
      const ids = Int32Array.from(idx, (i) => split.sampleIds[i]);
      const stamped = opts.trigger!.apply(raw, ids);
      if (triggered === idx.length) return stamped;
      const mask = tf.tensor4d(Uint8Array.from(idx, (i) => (rows as Uint8Array)[i]), [idx.length, 1, 1, 1], 'bool');
      return tf.where(mask, stamped, raw) as tf.Tensor4D; // [n, S, S, 3]
    });
  } finally {
    bytes.dispose();
  }
}

/** Model input (normalised) [n, S, S, 3] for split positions `idx`. */
export function modelBatch(split: ImageSplit, idx: Int32Array, opts: BatchOptions): tf.Tensor4D {
  return tf.tidy(() => normalize(rawBatch(split, idx, opts)));
}

/** One training batch: normalised pixels [n, S, S, 3] and int32 labels [n]. */
export interface TrainBatch extends tf.NamedTensorMap {
  pixels: tf.Tensor4D;
  labels: tf.Tensor1D;
}

/** A labelled training set as the fine-tuning loop sees it: a size and a batch maker. */
export interface TrainingSet {
  count: number;
  batch(indices: Int32Array): TrainBatch;
}

/**
 * A split with training labels `labels` (e.g. poisoned labels, or the target for a forget set) and
 * the rows that carry the trigger.
 */
export function trainingSet(split: ImageSplit, labels: Int32Array, opts: BatchOptions): TrainingSet {
  if (labels.length !== split.rows.length) throw new BatchError(`${labels.length} labels for a split of ${split.rows.length}`);
  return {
    count: split.rows.length,
    batch(indices) {
      const pixels = modelBatch(split, indices, opts);
      const y = tf.tensor1d(Int32Array.from(indices, (i) => labels[i]), 'int32');
      return { pixels, labels: y };
    },
  };
}

/** 0..n−1. */
export function range(n: number, start = 0): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => start + i);
}

/** Raw [n, S, S, 3] images in [0, 1] → bytes (round(255·x)), for image strips in results. */
export async function toBytes(raw: tf.Tensor4D): Promise<Uint8Array> {
  const t = tf.tidy(() => tf.round(tf.mul(tf.clipByValue(raw, 0, 1), 255)));
  try {
    return Uint8Array.from((await t.data()) as Float32Array);
  } finally {
    t.dispose();
  }
}
