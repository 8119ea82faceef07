/**
 * BadNet (Gu et al. 2017) as the TBAR paper runs it (appendix A.1, "following Bansal et al. 2023"):
 * a 16×16 patch of N(0,1) noise at a random position, at 224 px.
 *
 * What CleanCLIP's code does (nishadsinghi/CleanCLIP backdoor/utils.py `apply_trigger`, patch_type
 * 'random', patch_location 'random'; identical in LiangSiyuan21/BadCLIP):
 *   image = ToTensor(image.resize((224, 224)))            # [3, 224, 224] in [0, 1] — RAW space
 *   noise = image.mean((1, 2), keepdim=True) + torch.randn((3, p, p))   # per-image channel mean + N(0,1)
 *   image[:, h:h+p, w:w+p] = noise                        # h, w = random.randint(0, 223 − p), no clipping
 *   return ToPILImage(image)                              # = image.mul(255).byte(): NO clamp
 * So the noise lives in the raw [0, 1] image (not the normalised one), offset by the image's mean,
 * and is not clipped: torchvision's to_pil_image casts `mul(255)` to uint8, which truncates toward
 * zero and wraps modulo 256 (torch 1.13 here: 1.5 → 126, −0.5 → 129, 3.0 → 253; pytorch/vision
 * #8235 and PR #119 describe the same wrap). The poisoned images CleanCLIP writes to disk, and those
 * its eval loader feeds the model, therefore hold ((trunc(255·(μ_c + n)) mod 256) / 255): a
 * near-uniform colour noise patch. Defaults here reproduce that (offset 'image-mean', range 'wrap');
 * range 'clip' clamps to [0, 1] instead, offset 'none' drops the mean.
 *
 * One deliberate difference, from the lab's SPEC ("patterns are fixed per attack (seeded)"): CleanCLIP
 * draws a fresh torch.randn for every image; here noise 'fixed' (default) draws N once from the seed,
 * noise 'per-image' draws it per (seed, sample index), which is CleanCLIP's behaviour made reproducible.
 * Position 'random' is per (seed, sample index); the patch side scales with the model input:
 * p = max(1, round(16·S/224)) unless set.
 */
import { tf } from '../tf';
import { Rng } from '../rng';
import { checkBatch, checkInt, checkOneOf, checkPosition, imageRng, pasteAt, resolvePositions } from './common';
import { TriggerError, type BadNetParams, type Trigger, type TriggerConfigOf } from './types';

export const BADNET_DEFAULTS: BadNetParams = {
  patchSize: null,
  position: 'random',
  offset: 'image-mean',
  range: 'wrap',
  noise: 'fixed',
};

/** Paper's patch side 16 at 224 px, scaled to the model input S. */
export function badnetPatchSize(params: BadNetParams, imageSize: number): number {
  return params.patchSize ?? Math.max(1, Math.round((16 * imageSize) / 224));
}

/** ToPILImage's float → uint8 → ToTensor round trip: (trunc(255·v) mod 256) / 255 (see header). */
export function wrapUint8(v: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const t = tf.mul(tf.sign(v), tf.floor(tf.abs(tf.mul(v, 255)))); // trunc toward zero, exact integers
    const m = tf.sub(t, tf.mul(tf.floor(tf.div(t, 256)), 256)); // mod 256 in [0, 255]
    return tf.div(m, 255);
  });
}

export function createBadNet(config: TriggerConfigOf<'badnet'>, imageSize: number): Trigger {
  const params = { ...BADNET_DEFAULTS, ...config.params };
  const p =
    params.patchSize === null ? badnetPatchSize(params, imageSize) : checkInt('patchSize', params.patchSize, 1, imageSize);
  const position = checkPosition(params.position, imageSize, p, p);
  const offset = checkOneOf('offset', params.offset, ['image-mean', 'none'] as const);
  const range = checkOneOf('range', params.range, ['wrap', 'clip'] as const);
  const noise = checkOneOf('noise', params.noise, ['fixed', 'per-image'] as const);
  const seed = config.seed;

  // The fixed pattern N ~ N(0,1), [1, p·p, 3] (row-major p×p, RGB), drawn once from the seed.
  let pattern: tf.Tensor3D | null =
    noise === 'fixed' ? tf.tensor3d(new Rng(seed).fork('badnet/pattern').normalArray(p * p * 3), [1, p * p, 3]) : null;
  let disposed = false;

  return {
    config,
    imageSize,
    apply(raw, sampleIndices) {
      if (disposed) throw new TriggerError('disposed', 'this BadNet trigger was disposed');
      const idx = checkBatch(raw, imageSize, sampleIndices);
      const { ys, xs } = resolvePositions(position, imageSize, p, p, seed, 'badnet', idx);
      let perImage: Float32Array | null = null;
      if (noise === 'per-image') {
        perImage = new Float32Array(idx.length * p * p * 3);
        idx.forEach((g, i) => perImage!.set(imageRng(seed, 'badnet/pattern', g).normalArray(p * p * 3), i * p * p * 3));
      }
      return tf.tidy(() => {
        let values: tf.Tensor3D = pattern ?? tf.tensor3d(perImage!, [idx.length, p * p, 3]); // [n, p·p, 3]
        if (offset === 'image-mean') values = tf.add(values, tf.mean(raw, [1, 2]).reshape([-1, 1, 3])); // μ_c + N
        values = (range === 'wrap' ? wrapUint8(values) : tf.clipByValue(values, 0, 1)) as tf.Tensor3D;
        return pasteAt(raw, values, null, p, p, ys, xs);
      });
    },
    dispose() {
      disposed = true;
      pattern?.dispose();
      pattern = null;
    },
  };
}
