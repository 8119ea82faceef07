/**
 * Blended (Chen et al. 2017) as in the TBAR paper, appendix A.1 (after Bansal et al. 2023):
 *   x' = 0.8·x + 0.2·N,  N ~ U[0, 1) of the image's size,
 * generalised to x' = clip((1 − r)·x + r·N, 0, 1) with ratio r = 0.2.
 *
 * CleanCLIP (backdoor/utils.py `apply_trigger`, patch_type/location 'blended'):
 *   noise = torch.rand((3, 224, 224)); image = 0.2·noise + 0.8·image; image = torch.clip(image, 0, 1)
 * The noise there is NOT a fixed image: it is drawn anew on every call (every poisoned image, and every
 * evaluation). The lab's SPEC fixes patterns per attack, so noise 'fixed' (default) draws one S×S×3
 * U[0,1) image from the seed, built once; 'per-image' draws one per (seed, sample index), i.e.
 * CleanCLIP's behaviour made reproducible. The clip is a no-op for inputs in [0, 1]; it is kept as
 * CleanCLIP has it. (CleanCLIP then saves a uint8 image; the lab keeps float32.)
 */
import { tf } from '../tf';
import { Rng } from '../rng';
import { checkBatch, checkNumber, checkOneOf, imageRng } from './common';
import { TriggerError, type BlendedParams, type Trigger, type TriggerConfigOf } from './types';

export const BLENDED_DEFAULTS: BlendedParams = { ratio: 0.2, noise: 'fixed' };

export function createBlended(config: TriggerConfigOf<'blended'>, imageSize: number): Trigger {
  const params = { ...BLENDED_DEFAULTS, ...config.params };
  const ratio = checkNumber('ratio', params.ratio, 0, 1);
  const mode = checkOneOf('noise', params.noise, ['fixed', 'per-image'] as const);
  const n = imageSize * imageSize * 3;
  // The fixed noise image N, [1, S, S, 3], U[0, 1).
  let noise: tf.Tensor4D | null =
    mode === 'fixed'
      ? tf.tensor4d(new Rng(config.seed).fork('blended/noise').uniformArray(n), [1, imageSize, imageSize, 3])
      : null;
  let disposed = false;

  return {
    config,
    imageSize,
    apply(raw, sampleIndices) {
      if (disposed) throw new TriggerError('disposed', 'this Blended trigger was disposed');
      const idx = checkBatch(raw, imageSize, sampleIndices);
      let perImage: Float32Array | null = null;
      if (mode === 'per-image') {
        perImage = new Float32Array(idx.length * n);
        idx.forEach((g, i) => perImage!.set(imageRng(config.seed, 'blended/noise', g).uniformArray(n), i * n));
      }
      return tf.tidy(() => {
        const N = noise ?? tf.tensor4d(perImage!, [idx.length, imageSize, imageSize, 3]); // [1 or B, S, S, 3]
        return tf.clipByValue(tf.add(tf.mul(N, ratio), tf.mul(raw, 1 - ratio)), 0, 1) as tf.Tensor4D;
      });
    },
    dispose() {
      disposed = true;
      noise?.dispose();
      noise = null;
    },
  };
}
