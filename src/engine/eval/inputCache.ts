/**
 * Model inputs kept on the device while one stage runs many models on the same images: the α sweep
 * (one model θ_b − α·τ̂_t per grid point, eq. 5) and ξ's grid (one model per cell, eq. 2) score the
 * same validation images, clean and triggered, dozens to hundreds of times. Without the cache each
 * model re-gathers, resizes, triggers and normalises every batch (data/batches.ts modelBatch): on the
 * micro CLIP on WASM that is 9–10 ms of every 200 images' 40 ms (for CIFAR at 224 px each batch
 * also holds a bicubic resize, not measured apart).
 *
 * A batch is keyed by what determines its pixels — the image pool, the model input side, the trigger
 * (for triggered rows) and the pool rows and sample ids it holds — so two split objects over the same
 * images (withoutClass makes a new one per call) share entries, and a batch never comes back for
 * other images. Entries are kept until `budgetBytes` is reached; later batches are made per use, as
 * without a cache. The session's budget is the smaller of the caps below and what the memory plan
 * leaves (eval/batchPlan.ts inputCacheBytes; a fine-tuning step's spare bytes in the stages that
 * train). Predictions are unchanged: a cached batch is the tensor modelBatch made.
 */
import { tf } from '../tf';
import type { LabelledImages } from '../data/types';
import type { Trigger } from '../triggers/types';

/** Device memory the sweep's and ξ's inputs may hold (ViT-B/32: 0.6 MB per image, ~440 images). */
export const INPUT_CACHE_BYTES = 256 * 2 ** 20;
/** The same while the stage also fine-tunes (TBAR's per-epoch α search, gradient ascent): activations
 *  and AdamW's moments need the memory; the micro CLIP's validation and test inputs take 34 MB. */
export const TRAINING_INPUT_CACHE_BYTES = 64 * 2 ** 20;

/** What a batch's pixels depend on. */
export interface InputKey {
  pool: LabelledImages;
  imageSize: number;
  trigger: Trigger | null | undefined;
  /** 1 where the batch row carries the trigger, 0 where it is clean. */
  triggered: ArrayLike<number>;
  /** Pool row of each batch row (padding included). */
  poolRows: ArrayLike<number>;
  /** Sample id of each batch row (the trigger's per-image randomness). */
  sampleIds: ArrayLike<number>;
}

export class InputCache {
  private readonly entries = new Map<string, tf.Tensor4D>();
  private readonly ids = new WeakMap<object, number>();
  private nextId = 1;
  private bytesHeld = 0;
  private hitCount = 0;
  private missCount = 0;
  private disposed = false;

  constructor(readonly budgetBytes = INPUT_CACHE_BYTES) {}

  /**
   * The batch for `key`: the cached tensor (do not dispose it), or `make()`'s, which is cached (kept
   * out of the caller's tf.tidy) while the budget allows and otherwise returned to the caller as is.
   */
  batch(key: InputKey, make: () => tf.Tensor4D): tf.Tensor4D {
    if (this.disposed) throw new Error('InputCache: used after dispose');
    const k = this.keyOf(key);
    const hit = this.entries.get(k);
    if (hit) {
      this.hitCount++;
      return hit;
    }
    this.missCount++;
    const t = make();
    const bytes = t.size * 4;
    if (this.bytesHeld + bytes <= this.budgetBytes) {
      this.entries.set(k, tf.keep(t));
      this.bytesHeld += bytes;
    }
    return t;
  }

  /** Batches held, their bytes, and lookups that found / did not find a batch. */
  stats(): { batches: number; bytes: number; hits: number; misses: number } {
    return { batches: this.entries.size, bytes: this.bytesHeld, hits: this.hitCount, misses: this.missCount };
  }

  dispose(): void {
    for (const t of this.entries.values()) t.dispose();
    this.entries.clear();
    this.bytesHeld = 0;
    this.disposed = true;
  }

  private id(o: object): number {
    let i = this.ids.get(o);
    if (i === undefined) this.ids.set(o, (i = this.nextId++));
    return i;
  }

  private keyOf(k: InputKey): string {
    const flags = Array.from(k.triggered).join('');
    const trigger = k.trigger && flags.includes('1') ? this.id(k.trigger) : 0;
    return `${this.id(k.pool)}|${k.imageSize}|${trigger}|${flags}|${Array.from(k.poolRows).join(',')}|${Array.from(k.sampleIds).join(',')}`;
  }
}
