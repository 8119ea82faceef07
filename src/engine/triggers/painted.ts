/**
 * A trigger painted in the lab: an RGB pattern p and an alpha mask m (both in [0, 1]) stamped as
 *   x' = (1 − m)·x + m·p
 * at a fixed or per-image random position (the same compositing DECREE / Neural Cleanse use).
 *
 * Storage: the config keeps the pattern (uint8 RGB, [h, w, 3]) and mask (uint8, [h, w]) as base64, at
 * most 64×64 when painted, so it stays small and JSON-serialisable (a whole-image stamp inverted by
 * DECREE, inversion/stamp.ts, may be as large as the model input). Size: the longer side is resized to `size` model
 * pixels (aspect kept; null → max(1, round(16·S/224)), BadNet's patch size). Resizing is done once on the
 * GPU with tf.image.resizeBilinear / resizeNearestNeighbor (half-pixel centres, no corner alignment) on
 * premultiplied colour (m·p, m), then p = (m·p)/m where m > 0, so a transparent pixel's colour cannot
 * bleed into its neighbours. At the pattern's own size either method is the exact identity.
 */
import { tf } from '../tf';
import { checkBatch, checkInt, checkOneOf, checkPosition, pasteAt, resolvePositions } from './common';
import { TriggerError, type PaintedParams, type PatchPosition, type Trigger, type TriggerConfigOf } from './types';

export const PAINTED_MAX_SIDE = 64;

export function encodeBytes(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
  return btoa(s);
}

export function decodeBytes(b64: string, what: string): Uint8Array {
  let s: string;
  try {
    s = atob(b64);
  } catch {
    throw new TriggerError('bad-config', `painted ${what} is not valid base64`);
  }
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

/**
 * Params from a canvas: pattern [h, w, 3] and mask [h, w], row-major, values in [0, 1] (rounded to
 * 1/255). Throws TriggerError('bad-config') on sizes over 64 or values outside [0, 1].
 */
export function paintedParams(
  pattern: ArrayLike<number>,
  mask: ArrayLike<number>,
  width: number,
  height: number,
  opts: { size?: number | null; position?: PatchPosition; resize?: 'bilinear' | 'nearest' } = {},
): PaintedParams {
  checkInt('painted width', width, 1, PAINTED_MAX_SIDE);
  checkInt('painted height', height, 1, PAINTED_MAX_SIDE);
  const toBytes = (a: ArrayLike<number>, n: number, what: string) => {
    if (a.length !== n) throw new TriggerError('bad-config', `painted ${what} needs ${n} values, got ${a.length}`);
    return Uint8Array.from({ length: n }, (_, i) => {
      const v = a[i];
      if (!(v >= 0 && v <= 1)) throw new TriggerError('bad-config', `painted ${what} value ${v} at ${i} is outside [0, 1]`);
      return Math.round(v * 255);
    });
  };
  return {
    width,
    height,
    pattern: encodeBytes(toBytes(pattern, width * height * 3, 'pattern')),
    mask: encodeBytes(toBytes(mask, width * height, 'mask')),
    size: opts.size ?? null,
    position: opts.position ?? 'random',
    resize: opts.resize ?? 'bilinear',
  };
}

/** Stamp size in model pixels [ph, pw]: longer side = size, aspect kept. */
export function paintedStampSize(params: PaintedParams, imageSize: number): [number, number] {
  const size = params.size ?? Math.max(1, Math.round((16 * imageSize) / 224));
  const long = Math.max(params.width, params.height);
  const scale = (side: number) => Math.max(1, Math.round((size * side) / long));
  return [scale(params.height), scale(params.width)];
}

export function createPainted(config: TriggerConfigOf<'painted'>, imageSize: number): Trigger {
  const params = config.params;
  const maxSide = Math.max(PAINTED_MAX_SIDE, imageSize);
  const w = checkInt('painted width', params.width, 1, maxSide);
  const h = checkInt('painted height', params.height, 1, maxSide);
  if (params.size !== null) checkInt('painted size', params.size, 1, imageSize);
  const resize = checkOneOf('resize', params.resize, ['bilinear', 'nearest'] as const);
  const rgb = decodeBytes(params.pattern, 'pattern');
  const alpha = decodeBytes(params.mask, 'mask');
  if (rgb.length !== h * w * 3) {
    throw new TriggerError('bad-config', `painted pattern holds ${rgb.length} bytes, expected ${h}·${w}·3`);
  }
  if (alpha.length !== h * w) {
    throw new TriggerError('bad-config', `painted mask holds ${alpha.length} bytes, expected ${h}·${w}`);
  }
  const [ph, pw] = paintedStampSize(params, imageSize);
  const position = checkPosition(params.position, imageSize, ph, pw);

  // Premultiplied RGBA [1, h, w, 4] → resized [1, ph, pw, 4] → values [1, ph·pw, 3], alpha [1, ph·pw, 1].
  const premul = new Float32Array(h * w * 4);
  for (let i = 0; i < h * w; i++) {
    const m = alpha[i] / 255;
    for (let c = 0; c < 3; c++) premul[i * 4 + c] = m * (rgb[i * 3 + c] / 255);
    premul[i * 4 + 3] = m;
  }
  let [values, mask] = tf.tidy(() => {
    const img = tf.tensor4d(premul, [1, h, w, 4]);
    const r =
      resize === 'bilinear'
        ? tf.image.resizeBilinear(img, [ph, pw], false, true)
        : tf.image.resizeNearestNeighbor(img, [ph, pw], false, true);
    const flat = r.reshape([1, ph * pw, 4]);
    const a = flat.slice([0, 0, 3], [1, ph * pw, 1]); // [1, ph·pw, 1]
    const premulRgb = flat.slice([0, 0, 0], [1, ph * pw, 3]);
    const opaque = tf.greater(a, 0).tile([1, 1, 3]);
    const p = tf.where(opaque, tf.div(premulRgb, tf.maximum(a, 1e-12)), tf.zeros([1, ph * pw, 3])); // un-premultiply
    return [p as tf.Tensor3D, a as tf.Tensor3D];
  }) as [tf.Tensor3D | null, tf.Tensor3D | null];

  return {
    config,
    imageSize,
    apply(raw, sampleIndices) {
      if (!values || !mask) throw new TriggerError('disposed', 'this painted trigger was disposed');
      const idx = checkBatch(raw, imageSize, sampleIndices);
      const { ys, xs } = resolvePositions(position, imageSize, ph, pw, config.seed, 'painted', idx);
      const [v, m] = [values, mask];
      return tf.tidy(() => pasteAt(raw, v, m, ph, pw, ys, xs));
    },
    dispose() {
      tf.dispose([values!, mask!].filter(Boolean));
      values = null;
      mask = null;
    },
  };
}
