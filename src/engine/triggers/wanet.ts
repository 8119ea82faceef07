/**
 * WaNet (Nguyen & Tran 2021), the standard construction as in CleanCLIP backdoor/utils.py
 * `apply_trigger(patch_type='warped')` (same in LiangSiyuan21/BadCLIP, Qi et al. backdoor-toolbox,
 * BackdoorBench), at model input S:
 *   ins        = rand(1, 2, k, k)·2 − 1;  ins = ins / mean(|ins|)
 *   noise_grid = F.upsample(ins, size=S, mode='bicubic', align_corners=True).permute(0, 2, 3, 1)
 *   identity   = stack((y, x), 2) of meshgrid(linspace(−1, 1, S))   (channel 0 = column coordinate)
 *   grid       = clamp((identity + s·noise_grid/S)·grid_rescale, −1, 1)
 *   x'         = F.grid_sample(x, grid, mode='bilinear', padding_mode='zeros', align_corners=True)
 * Constants: the TBAR paper follows CleanCLIP / Qi et al.: k = 224, s = 1, grid_rescale = 1 at
 * S = 224, no noise mode (BackdoorBench's CIFAR setting is k = 4, s = 0.5).
 *
 * k > S: k is clamped to S. With k = S the bicubic resize is the identity, so every pixel gets its own
 * random offset — exactly what k = 224 means at 224 px; downsampling a finer grid would only blur the
 * same i.i.d. noise. The offset in pixels is s·noise·(S−1)/(2S) ≈ s·noise/2, about half a pixel on
 * average at s = 1, at any S.
 *
 * Implementation: the grid is fixed per attack, so everything up to grid_sample runs once on the CPU
 * in float64 (PyTorch's bicubic kernel, A = −0.75, clamped taps) and grid_sample becomes a fixed sparse
 * bilinear map: 4 source pixels + weights per output pixel (out-of-image taps get weight 0 = zero
 * padding). apply() is then 4 gathers and a weighted sum on the GPU.
 */
import { tf } from '../tf';
import { Rng } from '../rng';
import { checkBatch, checkInt, checkNumber } from './common';
import { TriggerError, type Trigger, type TriggerConfigOf, type WanetParams } from './types';

export const WANET_DEFAULTS: WanetParams = { k: 224, s: 1, gridRescale: 1 };

/** The control-grid size actually used at model input S: min(k, S). */
export function wanetEffectiveK(k: number, imageSize: number): number {
  return Math.min(k, imageSize);
}

/** The raw control grid `rand(1, 2, k, k)·2 − 1` from the seed, [2, k, k] channel-major. */
export function wanetIns(seed: number, k: number): Float32Array {
  return new Rng(seed).fork('wanet/ins').uniformArray(2 * k * k, -1, 1);
}

/** PyTorch's cubic convolution weights for fraction t (A = −0.75), taps at −1, 0, 1, 2. */
function cubicWeights(t: number): [number, number, number, number] {
  const A = -0.75;
  const near = (x: number) => ((A + 2) * x - (A + 3)) * x * x + 1; // |x| ≤ 1
  const far = (x: number) => ((A * x - 5 * A) * x + 8 * A) * x - 4 * A; // 1 < |x| < 2
  return [far(t + 1), near(t), near(1 - t), far(2 - t)];
}

/**
 * F.interpolate(src [C, n, n], size=m, mode='bicubic', align_corners=True) → [C, m, m] (float64).
 * Source coordinate = dst·(n−1)/(m−1); taps clamped to [0, n−1] (aten upsample_bicubic2d).
 */
export function bicubicUpsampleAlignCorners(src: ArrayLike<number>, channels: number, n: number, m: number): Float64Array {
  const scale = m > 1 ? (n - 1) / (m - 1) : 0;
  const taps = Array.from({ length: m }, (_, d) => {
    const real = scale * d;
    const i0 = Math.floor(real);
    const w = cubicWeights(Math.min(Math.max(real - i0, 0), 1));
    const idx = [-1, 0, 1, 2].map((o) => Math.min(Math.max(i0 + o, 0), n - 1));
    return { idx, w };
  });
  const out = new Float64Array(channels * m * m);
  const rows = new Float64Array(n * m); // pass 1: along columns, [n, m]
  for (let c = 0; c < channels; c++) {
    const off = c * n * n;
    for (let r = 0; r < n; r++) {
      for (let x = 0; x < m; x++) {
        const { idx, w } = taps[x];
        let v = 0;
        for (let t = 0; t < 4; t++) v += w[t] * src[off + r * n + idx[t]];
        rows[r * m + x] = v;
      }
    }
    for (let y = 0; y < m; y++) {
      const { idx, w } = taps[y]; // pass 2: along rows
      for (let x = 0; x < m; x++) {
        let v = 0;
        for (let t = 0; t < 4; t++) v += w[t] * rows[idx[t] * m + x];
        out[c * m * m + y * m + x] = v;
      }
    }
  }
  return out;
}

/** The fixed sparse bilinear map of grid_sample: for output pixel q, Σ_t w[t][q]·x[idx[t][q]]. */
export interface WarpMap {
  idx: Int32Array[]; // 4 × [S·S] flat source pixel indices (row·S + col)
  w: Float32Array[]; // 4 × [S·S] weights
}

/** Build the warp map from the raw `ins` ([2, k, k], before the mean-|ins| normalisation). */
export function buildWarpMap(insRaw: ArrayLike<number>, k: number, size: number, s: number, gridRescale: number): WarpMap {
  let meanAbs = 0;
  for (let i = 0; i < insRaw.length; i++) meanAbs += Math.abs(insRaw[i]);
  meanAbs /= insRaw.length;
  const ins = Float64Array.from(insRaw, (v) => v / meanAbs);
  const noise = bicubicUpsampleAlignCorners(ins, 2, k, size); // [2, S, S]: 0 = column offset, 1 = row offset
  const lin = (i: number) => (size > 1 ? -1 + (2 * i) / (size - 1) : -1); // torch.linspace(−1, 1, S)
  const toPixel = (g: number) => {
    const p = ((Math.min(Math.max(g, -1), 1) + 1) / 2) * (size - 1); // clamp, then unnormalise (align_corners)
    const r = Math.round(p);
    return Math.abs(p - r) < 1e-9 ? r : p; // snap float64 round-off so s = 0 is an exact identity
  };
  const idx = [0, 1, 2, 3].map(() => new Int32Array(size * size));
  const w = [0, 1, 2, 3].map(() => new Float32Array(size * size));
  for (let i = 0; i < size; i++) {
    for (let j = 0; j < size; j++) {
      const q = i * size + j;
      const ix = toPixel((lin(j) + (s * noise[q]) / size) * gridRescale);
      const iy = toPixel((lin(i) + (s * noise[size * size + q]) / size) * gridRescale);
      const x0 = Math.floor(ix);
      const y0 = Math.floor(iy);
      const fx = ix - x0;
      const fy = iy - y0;
      const corners: [number, number, number][] = [
        [y0, x0, (1 - fy) * (1 - fx)],
        [y0, x0 + 1, (1 - fy) * fx],
        [y0 + 1, x0, fy * (1 - fx)],
        [y0 + 1, x0 + 1, fy * fx],
      ];
      corners.forEach(([y, x, wt], t) => {
        const inside = y >= 0 && y < size && x >= 0 && x < size; // zero padding outside
        idx[t][q] = inside ? y * size + x : 0;
        w[t][q] = inside ? wt : 0;
      });
    }
  }
  return { idx, w };
}

/** WaNet trigger. `insOverride` ([2, k', k'], k' = min(k, S)) replaces the seeded draw (golden tests). */
export function createWanet(config: TriggerConfigOf<'wanet'>, imageSize: number, insOverride?: ArrayLike<number>): Trigger {
  const params = { ...WANET_DEFAULTS, ...config.params };
  const k = wanetEffectiveK(checkInt('k', params.k, 1, 4096), imageSize);
  const s = checkNumber('s', params.s, -1000, 1000);
  const gridRescale = checkNumber('gridRescale', params.gridRescale, 0, 10);
  const ins = insOverride ?? wanetIns(config.seed, k);
  if (ins.length !== 2 * k * k) {
    throw new TriggerError('bad-config', `WaNet control grid must hold 2·${k}·${k} values, got ${ins.length}`);
  }
  const map = buildWarpMap(ins, k, imageSize, s, gridRescale);
  const n = imageSize * imageSize;
  let idx: tf.Tensor1D[] | null = map.idx.map((a) => tf.tensor1d(a, 'int32')); // 4 × [S·S]
  let w: tf.Tensor3D[] | null = map.w.map((a) => tf.tensor3d(a, [1, n, 1])); // 4 × [1, S·S, 1]
  return {
    config,
    imageSize,
    apply(raw, sampleIndices) {
      if (!idx || !w) throw new TriggerError('disposed', 'this WaNet trigger was disposed');
      checkBatch(raw, imageSize, sampleIndices);
      const [I, W] = [idx, w];
      return tf.tidy(() => {
        const flat = raw.reshape([raw.shape[0], n, 3]); // [B, S·S, 3]
        let out = tf.mul(tf.gather(flat, I[0], 1), W[0]);
        for (let t = 1; t < 4; t++) out = tf.add(out, tf.mul(tf.gather(flat, I[t], 1), W[t]));
        return out.reshape(raw.shape) as tf.Tensor4D;
      });
    },
    dispose() {
      tf.dispose([...(idx ?? []), ...(w ?? [])]);
      idx = null;
      w = null;
    },
  };
}
