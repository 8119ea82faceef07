/**
 * CLIP image preprocessing, matching Hugging Face `CLIPImageProcessor` (the PIL-based "slow" one):
 *
 *   convert RGB → resize shortest edge to `size` (PIL BICUBIC, resample=3) → center crop size×size
 *   → rescale 1/255 → normalise with CLIP mean/std.
 *
 * The lab needs the two halves apart: triggers act on RAW images in [0, 1] after resize/crop and
 * before `normalize()`. So: `resizeAndCrop()` → raw [0, 1]; `normalize()` → model input;
 * `preprocessForClip()` = both.
 *
 * The resize reproduces Pillow's `ImagingResample` (src/libImaging/Resample.c, Pillow 9.4):
 * - separable; coefficients per output pixel from `precompute_coeffs`: scale = in/out,
 *   filterscale = max(scale, 1) (so shrinking widens the kernel = antialiasing), support =
 *   2 · filterscale, center = (i + 0.5) · scale, taps x ∈ [trunc(center − support + 0.5),
 *   trunc(center + support + 0.5)) clipped to the image, weight = bicubic((x − center + 0.5) / filterscale)
 *   with a = −0.5, then divided by the row sum.
 * - `ImagingResampleInner`: horizontal pass first, then vertical; a pass is skipped when that axis
 *   keeps its size (need_horizontal / need_vertical).
 * - 8-bit images (what HF feeds PIL: `to_pil_image` gives a uint8 RGB image) use fixed point:
 *   `normalize_coeffs_8bpc` quantises each coefficient to round-half-away(k · 2^22)
 *   (PRECISION_BITS = 32 − 8 − 2 = 22); each pass computes Σ p·k + 2^21, shifts right by 22 (floor)
 *   and clips to 0..255 (`clip8`), i.e. out = clip(floor(Σ p·k/2^22 + 0.5), 0, 255).
 *
 * Here both passes are dense matMuls against precomputed per-axis coefficient matrices
 * (Wx [outW, inW], Wy [outH, inH]), batched over images of one size and over channels, so the whole
 * thing runs on the GPU. The center crop is folded into the matrices (only the rows of Wx/Wy that
 * survive the crop are used; cropping commutes with the per-pixel rounding) and input rows/columns
 * that no kept output touches are sliced away before the matMul.
 *
 * Mode 'pil-uint8' (default) uses the quantised coefficients and rounds/clips between the passes as
 * Pillow does, with the fixed-point sums computed exactly in float32 (hi/lo coefficient split, see
 * AxisPlan): the output is bit-identical to PIL's uint8 (tests/preprocess.test.ts goldens). Mode
 * 'float' uses the unquantised coefficients and no intermediate rounding (Pillow's mode 'F' path),
 * then clips to [0, 255] so raw images stay in [0, 1].
 *
 * Target size and crop follow transformers' image_transforms.py:
 * - get_resize_output_image_size(size, default_to_square=False): new_short = size,
 *   new_long = int(size · long / short) (Python int() truncates).
 * - center_crop: top = (h − crop_h) // 2, left = (w − crop_w) // 2 (floor: an odd difference puts
 *   the extra pixel at the bottom/right). With crop = shortest edge = size no padding ever happens.
 */
import { tf } from '../tf';

/** transformers.image_utils OPENAI_CLIP_MEAN. */
export const CLIP_MEAN: readonly [number, number, number] = [0.48145466, 0.4578275, 0.40821073];
/** transformers.image_utils OPENAI_CLIP_STD. */
export const CLIP_STD: readonly [number, number, number] = [0.26862954, 0.26130258, 0.27577711];

/** 'pil-uint8': Pillow's 8-bit fixed-point resampler (HF default); 'float': unquantised, no rounding. */
export type ResizeMode = 'pil-uint8' | 'float';

/** Pillow Resample.c: PRECISION_BITS = 32 - 8 - 2. */
export const PIL_PRECISION_BITS = 22;

export type PreprocessErrorCode = 'bad-shape' | 'bad-dtype' | 'bad-size' | 'bad-mode' | 'bad-image';

export class PreprocessError extends Error {
  constructor(
    readonly code: PreprocessErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'PreprocessError';
  }
}

/** A decoded RGB image on the CPU: `data` is [height, width, 3] uint8, row-major. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

// ---------------------------------------------------------------------------------------------
// Coefficients

/** Pillow's bicubic_filter (Keys kernel, a = -0.5), same operation order. */
function bicubic(x: number): number {
  const a = -0.5;
  if (x < 0) x = -x;
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
}

function checkMode(mode: unknown): asserts mode is ResizeMode {
  if (mode !== 'pil-uint8' && mode !== 'float') {
    throw new PreprocessError('bad-mode', `resize mode must be 'pil-uint8' or 'float', got ${String(mode)}`);
  }
}

function checkSize(what: string, n: unknown): asserts n is number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) {
    throw new PreprocessError('bad-size', `${what} must be a positive integer, got ${String(n)}`);
  }
}

/** Small LRU so folders of odd-sized images do not grow the caches without bound. */
class Lru<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly capacity: number) {}
  get(key: string, make: () => V): V {
    let v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
    } else {
      v = make();
      if (this.map.size >= this.capacity) this.map.delete(this.map.keys().next().value as string);
    }
    this.map.set(key, v);
    return v;
  }
}

const coeffCache = new Lru<Float32Array>(64);

/** Pillow precompute_coeffs (+ normalize_coeffs_8bpc in 'pil-uint8' mode), dense [outSize, inSize]. */
function computeCoefficients(inSize: number, outSize: number, mode: ResizeMode): Float32Array {
  const w = new Float32Array(outSize * inSize); // [out, in]
  const scale = inSize / outSize; // (in1 - in0) / outSize with box = (0, in)
  const filterscale = Math.max(scale, 1);
  const support = 2 * filterscale; // BICUBIC support 2.0, widened when shrinking
  const ss = 1 / filterscale;
  const one = 2 ** PIL_PRECISION_BITS;
  const k: number[] = [];
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    // (int)(center ± support + 0.5): C truncation toward zero, then clipped to the image.
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize);
    k.length = 0;
    let ww = 0;
    for (let x = xmin; x < xmax; x++) {
      const v = bicubic((x - center + 0.5) * ss);
      k.push(v);
      ww += v;
    }
    for (let i = 0; i < k.length; i++) {
      let v = ww !== 0 ? k[i] / ww : k[i];
      if (mode === 'pil-uint8') {
        // (int)(±0.5 + k * (1 << PRECISION_BITS)): round half away from zero; k_int/2^22 is exact in f32.
        v = Math.trunc(v < 0 ? -0.5 + v * one : 0.5 + v * one) / one;
      }
      w[xx * inSize + xmin + i] = v;
    }
  }
  return w;
}

/**
 * Per-axis resampling matrix, exactly Pillow's coefficients: row i holds the weights of input pixels
 * for output pixel i. 'pil-uint8' returns the 8-bit fixed-point coefficients (k_int / 2^22).
 * Returns a fresh copy [outSize, inSize] (row-major); cached internally by (in, out, mode).
 */
export function resizeCoefficients(inSize: number, outSize: number, mode: ResizeMode = 'pil-uint8'): Float32Array {
  checkSize('inSize', inSize);
  checkSize('outSize', outSize);
  checkMode(mode);
  return cachedCoefficients(inSize, outSize, mode).slice();
}

function cachedCoefficients(inSize: number, outSize: number, mode: ResizeMode): Float32Array {
  return coeffCache.get(`${inSize}:${outSize}:${mode}`, () => computeCoefficients(inSize, outSize, mode));
}

// ---------------------------------------------------------------------------------------------
// Geometry (transformers image_transforms.py)

/**
 * get_resize_output_image_size(size, default_to_square=False): the short edge becomes `size`, the
 * long edge int(size * long / short) (truncated). Returns [height, width].
 */
export function shortestEdgeResizeShape(height: number, width: number, size: number): [number, number] {
  checkSize('height', height);
  checkSize('width', width);
  checkSize('size', size);
  const short = Math.min(height, width);
  const long = Math.max(height, width);
  const newLong = Math.trunc((size * long) / short);
  return width <= height ? [newLong, size] : [size, newLong];
}

/** center_crop offsets: top = (h - crop) // 2, left = (w - crop) // 2. Returns [top, left]. */
export function centerCropOffsets(height: number, width: number, crop: number): [number, number] {
  checkSize('height', height);
  checkSize('width', width);
  checkSize('crop', crop);
  if (crop > height || crop > width) {
    throw new PreprocessError('bad-size', `center crop ${crop} does not fit a ${height}×${width} image`);
  }
  return [Math.floor((height - crop) / 2), Math.floor((width - crop) / 2)];
}

/**
 * How one axis goes from `inSize` input pixels to the `size` kept output pixels: either a plain
 * slice (axis not resized: Pillow skips the pass) or a matMul against the transposed coefficient
 * rows [offset, offset+size), restricted to the input range [start, end) those rows touch.
 *
 * Exact fixed point in float32 ('pil-uint8'): Pillow sums p·k_int in int32 (k_int = round(k·2^22)).
 * A float32 matMul against k_int/2^22 rounds the products (8 + 23 bits) and flips about 1 pixel in
 * 20,000 by one level (more on smooth upscaled images, which hit exact rounding ties). So each k_int
 * is split as hi·2^s + lo with |lo| ≤ 2^(s−1); `wHi` holds hi·2^(s−22) and `wLo` lo·2^−22 (power-of-
 * two scalings, exact). s is chosen per axis so that 255·Σ|hi| < 2^24 and 255·Σ|lo| < 2^23 for every
 * kept row: every product and partial sum of the two matMuls is then a float32 with < 24 significant
 * bits, so any summation order (WASM, WebGPU) is exact; `combineExact()` finishes exactly.
 * `wHi`/`wLo` are absent for the float coefficients (`w`): 'float' mode, or an absurd downscale
 * (> ~500×) where no s fits, where the sums are plain float32 (off by one level in rare pixels).
 */
type AxisPlan =
  | { kind: 'slice'; start: number }
  | {
      kind: 'matmul';
      start: number;
      end: number;
      // all [n, size] (n = end − start), multiplied from the right: x [M, n] · W → [M, size]
      w?: Float32Array; // coefficients (float path)
      wHi?: Float32Array; // hi·2^(s−22)
      wLo?: Float32Array; // lo·2^−22
      split?: number; // s
    };

const planCache = new Lru<AxisPlan>(64);

function axisPlan(inSize: number, resized: number, offset: number, size: number, mode: ResizeMode): AxisPlan {
  if (resized === inSize) return { kind: 'slice', start: offset };
  return planCache.get(`${inSize}:${resized}:${offset}:${size}:${mode}`, () => {
    const w = cachedCoefficients(inSize, resized, mode); // [resized, inSize]
    let start = inSize;
    let end = 0;
    for (let i = offset; i < offset + size; i++) {
      for (let x = 0; x < inSize; x++) {
        if (w[i * inSize + x] !== 0) {
          if (x < start) start = x;
          if (x + 1 > end) end = x + 1;
        }
      }
    }
    if (end <= start) {
      start = 0;
      end = 1;
    }
    const n = end - start;
    const split = mode === 'pil-uint8' ? chooseSplit(w, inSize, offset, size, start, end) : undefined;
    const one = 2 ** PIL_PRECISION_BITS;
    const wT = new Float32Array(n * size);
    const wLo = split === undefined ? undefined : new Float32Array(n * size);
    for (let i = 0; i < size; i++) {
      for (let x = 0; x < n; x++) {
        const k = w[(offset + i) * inSize + start + x];
        const at = x * size + i;
        if (split === undefined) {
          wT[at] = k;
        } else {
          const kInt = Math.round(k * one); // exact: k is already k_int / 2^22
          const hi = Math.round(kInt / 2 ** split);
          wT[at] = hi * 2 ** (split - PIL_PRECISION_BITS);
          wLo![at] = (kInt - hi * 2 ** split) / one;
        }
      }
    }
    return split === undefined
      ? { kind: 'matmul', start, end, w: wT }
      : { kind: 'matmul', start, end, wHi: wT, wLo, split };
  });
}

/** Largest s for which the hi/lo sums of every kept row are exact in float32, or undefined. */
function chooseSplit(w: Float32Array, inSize: number, offset: number, size: number, start: number, end: number): number | undefined {
  const one = 2 ** PIL_PRECISION_BITS;
  for (let s = 14; s >= 4; s--) {
    const base = 2 ** s;
    let ok = true;
    for (let i = offset; i < offset + size && ok; i++) {
      let sumHi = 0;
      let sumLo = 0;
      for (let x = start; x < end; x++) {
        const kInt = Math.round(w[i * inSize + x] * one);
        const hi = Math.round(kInt / base);
        sumHi += Math.abs(hi);
        sumLo += Math.abs(kInt - hi * base);
      }
      // (+ 2^(22−s): room for the + 0.5 in combineExact, in units of 2^(s−22))
      ok = 255 * sumHi + 2 ** (PIL_PRECISION_BITS - s) < 2 ** 24 && 255 * sumLo < 2 ** 23;
    }
    if (ok) return s;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// GPU part

function checkImages(images: tf.Tensor, what: string): void {
  if (!(images instanceof tf.Tensor)) {
    throw new PreprocessError('bad-shape', `${what} must be a tf.Tensor4D [B, H, W, 3]`);
  }
  const s = images.shape as number[];
  if (s.length !== 4 || s[3] !== 3) {
    throw new PreprocessError('bad-shape', `${what} must be [B, H, W, 3] (NHWC, RGB), got shape [${s.join(', ')}]`);
  }
  if (s[0] < 1 || s[1] < 1 || s[2] < 1) {
    throw new PreprocessError('bad-shape', `${what} is empty: shape [${s.join(', ')}]`);
  }
  if (images.dtype !== 'float32' && images.dtype !== 'int32') {
    throw new PreprocessError('bad-dtype', `${what} must be float32 or int32, got ${images.dtype}`);
  }
}

/** Pillow's clip8((Σ p·k_int + 2^21) >> 22) from a float sum Σ p·k_int/2^22 (inexact path). */
function roundClip8(x: tf.Tensor): tf.Tensor {
  return tf.clipByValue(tf.floor(tf.add(x, 0.5)), 0, 255);
}

/**
 * Pillow's clip8((S + 2^21) >> 22), S = Σ p·k_int, from u = Σ p·hi·2^(s−22) and v = Σ p·lo·2^−22
 * (u + v = S/2^22), every step exact in float32:
 * u' = u + 0.5 (a multiple of 2^(s−22) below 2^24 units), q = floor(u'), f = u' − q ∈ [0, 1),
 * f + v (a multiple of 2^−22, |f + v| < 3), result = q + floor(f + v) = floor(S/2^22 + 1/2).
 */
function combineExact(u: tf.Tensor, v: tf.Tensor): tf.Tensor {
  const u1 = tf.add(u, 0.5);
  const q = tf.floor(u1);
  return tf.clipByValue(tf.add(q, tf.floor(tf.add(tf.sub(u1, q), v))), 0, 255);
}

/**
 * One resampling pass x [M, n] → [M, size], rounded/clipped like Pillow in 'pil-uint8' (left as is
 * in 'float'). A plain 2-D matMul: on WASM it is ~3× faster than a batched one broadcasting the
 * weights (which would avoid the final NHWC transpose).
 */
function pass(x: tf.Tensor2D, plan: Extract<AxisPlan, { kind: 'matmul' }>, size: number, pil: boolean): tf.Tensor {
  const n = plan.end - plan.start;
  const mul = (w: Float32Array): tf.Tensor => tf.matMul(x, tf.tensor2d(w, [n, size]));
  if (plan.wHi && plan.wLo) return combineExact(mul(plan.wHi), mul(plan.wLo));
  const y = mul(plan.w!);
  return pil ? roundClip8(y) : y; // 'float': no clipping between passes (Pillow's mode 'F')
}

/**
 * Resize the shortest edge to `size` (Pillow bicubic) and center-crop size×size, like
 * CLIPImageProcessor, then rescale by 1/255.
 *
 * @param images [B, H, W, 3] RGB, values 0..255 (float32 or int32). In 'pil-uint8' mode they are
 *   treated as uint8 (rounded and clipped to 0..255 first), as PIL would hold them.
 * @returns [B, size, size, 3] raw images in [0, 1] (float32). The caller disposes it.
 */
export function resizeAndCrop(images: tf.Tensor4D, size: number, mode: ResizeMode = 'pil-uint8'): tf.Tensor4D {
  checkImages(images, 'images');
  checkSize('size', size);
  checkMode(mode);
  const [B, H, W] = images.shape;
  const [rh, rw] = shortestEdgeResizeShape(H, W, size);
  const [top, left] = centerCropOffsets(rh, rw, size);
  const py = axisPlan(H, rh, top, size, mode);
  const px = axisPlan(W, rw, left, size, mode);
  const pil = mode === 'pil-uint8';

  return tf.tidy(() => {
    let x: tf.Tensor = images.dtype === 'float32' ? images : tf.cast(images, 'float32'); // [B, H, W, 3]
    if (pil) x = tf.clipByValue(tf.round(x), 0, 255);

    // Rows the kept output rows depend on (PIL also runs the horizontal pass on those rows only).
    const rows = py.kind === 'slice' ? { start: py.start, n: size } : { start: py.start, n: py.end - py.start };
    if (rows.start !== 0 || rows.n !== H) x = tf.slice(x, [0, rows.start, 0, 0], [B, rows.n, W, 3]);
    const h = rows.n;

    // Horizontal pass (first, as in Pillow) → t: [B, h, 3, size] (channels before the resampled axis).
    let t: tf.Tensor;
    if (px.kind === 'slice') {
      t = tf.transpose(tf.slice(x, [0, 0, px.start, 0], [B, h, size, 3]), [0, 1, 3, 2]);
    } else {
      const n = px.end - px.start;
      if (px.start !== 0 || n !== W) x = tf.slice(x, [0, 0, px.start, 0], [B, h, n, 3]);
      const xt = tf.reshape(tf.transpose(x, [0, 1, 3, 2]), [B * h * 3, n]) as tf.Tensor2D; // [B·h·3, n]
      t = tf.reshape(pass(xt, px, size, pil), [B, h, 3, size]); // from [B·h·3, size]
    }

    // Vertical pass → [B, size, size, 3].
    let out: tf.Tensor;
    if (py.kind === 'slice') {
      out = tf.transpose(t, [0, 1, 3, 2]); // rows were already cropped
    } else {
      const v = tf.reshape(tf.transpose(t, [0, 2, 3, 1]), [B * 3 * size, h]) as tf.Tensor2D; // [B·3·size(x), h]
      const z = pass(v, py, size, pil); // [B·3·size(x), size(y)]
      out = tf.transpose(tf.reshape(z, [B, 3, size, size]), [0, 3, 2, 1]); // [B, size(y), size(x), 3]
    }
    if (!pil) out = tf.clipByValue(out, 0, 255); // keep raw images in [0, 1]
    // image_transforms.rescale(1/255)
    return tf.div(out, 255) as tf.Tensor4D;
  });
}

/** (raw − CLIP_MEAN) / CLIP_STD per channel (transformers image_transforms.normalize). [B,H,W,3] → same. */
export function normalize(raw: tf.Tensor4D): tf.Tensor4D {
  checkImages(raw, 'raw images');
  return tf.tidy(() => {
    const x = raw.dtype === 'float32' ? raw : tf.cast(raw, 'float32');
    return tf.div(tf.sub(x, tf.tensor1d(CLIP_MEAN as unknown as number[])), tf.tensor1d(CLIP_STD as unknown as number[])) as tf.Tensor4D;
  });
}

/** Full CLIPImageProcessor: resizeAndCrop then normalize. [B,H,W,3] 0..255 → [B,size,size,3]. */
export function preprocessForClip(images: tf.Tensor4D, size = 224, mode: ResizeMode = 'pil-uint8'): tf.Tensor4D {
  const raw = resizeAndCrop(images, size, mode);
  try {
    return normalize(raw);
  } finally {
    raw.dispose();
  }
}

/**
 * resizeAndCrop for CPU images of mixed sizes: images of one size are batched together, the results
 * come back in input order. Returns [N, size, size, 3] raw in [0, 1].
 */
export function resizeAndCropImages(images: readonly RgbImage[], size: number, mode: ResizeMode = 'pil-uint8'): tf.Tensor4D {
  checkSize('size', size);
  checkMode(mode);
  if (images.length === 0) throw new PreprocessError('bad-shape', 'no images to preprocess');
  const groups = new Map<string, number[]>();
  images.forEach((im, i) => {
    checkSize(`image ${i} width`, im.width);
    checkSize(`image ${i} height`, im.height);
    if (!(im.data instanceof Uint8Array) || im.data.length !== im.width * im.height * 3) {
      throw new PreprocessError(
        'bad-image',
        `image ${i}: data must be a Uint8Array of width·height·3 = ${im.width * im.height * 3} RGB bytes, got ${im.data?.length}`,
      );
    }
    const key = `${im.height}x${im.width}`;
    const g = groups.get(key);
    if (g) g.push(i);
    else groups.set(key, [i]);
  });
  const order: number[] = [];
  const parts: tf.Tensor4D[] = [];
  try {
    for (const idx of groups.values()) {
      const { width, height } = images[idx[0]];
      const per = width * height * 3;
      const buf = new Float32Array(idx.length * per);
      idx.forEach((i, j) => buf.set(images[i].data, j * per));
      const batch = tf.tensor4d(buf, [idx.length, height, width, 3]);
      try {
        parts.push(resizeAndCrop(batch, size, mode));
      } finally {
        batch.dispose();
      }
      order.push(...idx);
    }
    if (parts.length === 1) {
      const only = parts.pop()!;
      return only;
    }
    // position of image i in the concatenation
    const inverse = new Int32Array(images.length);
    order.forEach((i, pos) => (inverse[i] = pos));
    return tf.tidy(() => tf.gather(tf.concat(parts, 0), tf.tensor1d(inverse, 'int32')) as tf.Tensor4D);
  } finally {
    tf.dispose(parts);
  }
}
