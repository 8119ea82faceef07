import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tf } from '../src/engine/tf';
import { Rng } from '../src/engine/rng';
import {
  bicubicUpsampleAlignCorners,
  createTrigger,
  createWanet,
  defaultTriggerConfig,
  describeTrigger,
  paintedParams,
  TRIGGER_KINDS,
  TriggerError,
  wrapUint8,
  type Trigger,
  type TriggerConfig,
} from '../src/engine/triggers';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'wanet');
const f32 = Math.fround;

/** A [B, S, S, 3] batch of U(0.1, 0.9) values (never a multiple of 1/255 by accident in practice). */
function randomBatch(b: number, s: number, seed = 7): tf.Tensor4D {
  return tf.tensor4d(new Rng(seed).uniformArray(b * s * s * 3, 0.1, 0.9), [b, s, s, 3]);
}

async function run(trigger: Trigger, x: tf.Tensor4D, idx?: Int32Array): Promise<Float32Array> {
  const y = trigger.apply(x, idx);
  const d = (await y.data()) as Float32Array;
  y.dispose();
  return d;
}

/** Changed pixels (any channel) of image b: list of [row, col]. */
function changedPixels(a: Float32Array, b: Float32Array, img: number, s: number): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < s; i++) {
    for (let j = 0; j < s; j++) {
      const o = ((img * s + i) * s + j) * 3;
      if (a[o] !== b[o] || a[o + 1] !== b[o + 1] || a[o + 2] !== b[o + 2]) out.push([i, j]);
    }
  }
  return out;
}

/** Top-left of a changed region and a check that it is exactly a p×p square. */
function squareAt(px: [number, number][], p: number): { y: number; x: number } {
  expect(px.length).toBe(p * p);
  const y = Math.min(...px.map((q) => q[0]));
  const x = Math.min(...px.map((q) => q[1]));
  for (const [i, j] of px) expect(i - y < p && j - x < p).toBe(true);
  return { y, x };
}

function patchOf(d: Float32Array, img: number, s: number, y: number, x: number, p: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) for (let c = 0; c < 3; c++) out.push(d[((img * s + y + i) * s + x + j) * 3 + c]);
  return out;
}

describe('SIG', () => {
  const S = 32;
  const delta = 60 / 255;
  const expected = (j: number) => delta * Math.sin((2 * Math.PI * 6 * j) / S);

  it('on a zero image equals max(0, Δ·sin(2π·f·j/S)) exactly, for every row and channel', async () => {
    const t = createTrigger(defaultTriggerConfig('sig', 0), S);
    const x = tf.zeros([2, S, S, 3]) as tf.Tensor4D;
    const d = await run(t, x);
    for (let q = 0; q < d.length; q++) expect(d[q]).toBe(f32(Math.max(0, f32(expected(Math.floor(q / 3) % S)))));
    tf.dispose([x]);
    t.dispose();
  });

  it('on a constant 0.5 image equals 0.5 + Δ·sin(2π·f·j/S)', async () => {
    const t = createTrigger(defaultTriggerConfig('sig', 0), S);
    const x = tf.fill([1, S, S, 3], 0.5) as tf.Tensor4D;
    const d = await run(t, x);
    for (let q = 0; q < d.length; q++) expect(d[q]).toBe(f32(0.5 + f32(expected(Math.floor(q / 3) % S))));
    expect(Math.max(...d)).toBeCloseTo(0.5 + delta, 6);
    tf.dispose(x);
    t.dispose();
  });

  it('exposes Δ and f and clips to [0, 1]', async () => {
    const t = createTrigger({ kind: 'sig', seed: 0, params: { delta: 0.3, frequency: 2 } }, S);
    const x = tf.fill([1, S, S, 3], 0.9) as tf.Tensor4D;
    const d = await run(t, x);
    for (let j = 0; j < S; j++) expect(d[j * 3]).toBe(f32(Math.min(1, f32(f32(0.9) + f32(0.3 * Math.sin((2 * Math.PI * 2 * j) / S))))));
    expect(Math.max(...d)).toBe(1);
    tf.dispose(x);
    t.dispose();
  });
});

describe('Blended', () => {
  const S = 64;

  it('Blended(0) = 0.2·N with N ∈ [0, 1), mean ≈ 1/2, variance ≈ 1/12, the same N for every image and call', async () => {
    const t = createTrigger(defaultTriggerConfig('blended', 3), S);
    const x = tf.zeros([2, S, S, 3]) as tf.Tensor4D;
    const d = await run(t, x);
    const n = S * S * 3;
    const N = Array.from(d.subarray(0, n), (v) => v / 0.2);
    expect(Math.min(...N)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...N)).toBeLessThan(1);
    const mean = N.reduce((a, v) => a + v, 0) / n;
    const variance = N.reduce((a, v) => a + (v - mean) ** 2, 0) / n;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.01); // σ_mean ≈ 0.0026
    expect(Math.abs(variance - 1 / 12)).toBeLessThan(0.003);
    expect(Array.from(d.subarray(n))).toEqual(Array.from(d.subarray(0, n))); // image 2 = image 1
    expect(Array.from(await run(t, x, new Int32Array([40, 41])))).toEqual(Array.from(d)); // another call
    const other = createTrigger(defaultTriggerConfig('blended', 4), S);
    const d2 = await run(other, x);
    expect(d2.some((v, i) => v !== d[i])).toBe(true); // another seed, another N
    tf.dispose(x);
    t.dispose();
    other.dispose();
  });

  it('Blended(c) = 0.8·c + 0.2·N and the ratio is a parameter', async () => {
    const t = createTrigger(defaultTriggerConfig('blended', 3), S);
    const zeros = tf.zeros([1, S, S, 3]) as tf.Tensor4D;
    const N = Array.from(await run(t, zeros), (v) => v / 0.2);
    const c = tf.fill([1, S, S, 3], 0.3) as tf.Tensor4D;
    const d = await run(t, c);
    let err = 0;
    for (let q = 0; q < d.length; q++) err = Math.max(err, Math.abs(d[q] - (0.8 * 0.3 + 0.2 * N[q])));
    expect(err).toBeLessThan(1e-6);
    const half = createTrigger({ kind: 'blended', seed: 3, params: { ratio: 0.5, noise: 'fixed' } }, S);
    const h = await run(half, c);
    err = 0;
    for (let q = 0; q < h.length; q++) err = Math.max(err, Math.abs(h[q] - (0.5 * 0.3 + 0.5 * N[q])));
    expect(err).toBeLessThan(1e-6);
    tf.dispose([zeros, c]);
    t.dispose();
    half.dispose();
  });

  it("noise 'per-image' (CleanCLIP) differs across images and reproduces per (seed, index)", async () => {
    const t = createTrigger({ kind: 'blended', seed: 3, params: { ratio: 0.2, noise: 'per-image' } }, 16);
    const x = tf.zeros([2, 16, 16, 3]) as tf.Tensor4D;
    const n = 16 * 16 * 3;
    const a = await run(t, x, new Int32Array([5, 9]));
    const b = await run(t, x, new Int32Array([9, 5]));
    expect(Array.from(a.subarray(0, n))).not.toEqual(Array.from(a.subarray(n)));
    expect(Array.from(a.subarray(0, n))).toEqual(Array.from(b.subarray(n)));
    tf.dispose(x);
    t.dispose();
  });
});

/** A BadNet config with CleanCLIP's mean offset and wrap switched off (offset 'none', range 'clip'). */
function plainBadNet(seed: number, patchSize: number): TriggerConfig {
  return { kind: 'badnet', seed, params: { patchSize, position: 'random', offset: 'none', range: 'clip', noise: 'fixed' } };
}

describe('BadNet', () => {
  it('scales the 16×16-at-224 patch with the model input', async () => {
    for (const [s, p] of [
      [224, 16],
      [64, 5],
      [32, 2],
      [8, 1],
    ]) {
      const t = createTrigger(defaultTriggerConfig('badnet', 1), s);
      const x = randomBatch(1, s);
      const before = await x.data();
      squareAt(changedPixels(before as Float32Array, await run(t, x), 0, s), p);
      x.dispose();
      t.dispose();
    }
  });

  it('changes exactly p×p pixels per image, in bounds, at random positions reproducible per (seed, index)', async () => {
    const S = 64;
    const p = 5;
    const t = createTrigger(defaultTriggerConfig('badnet', 11), S);
    const x = randomBatch(8, S);
    const before = (await x.data()) as Float32Array;
    const idx = new Int32Array([0, 1, 2, 3, 100, 101, 102, 103]);
    const out = await run(t, x, idx);
    const pos = idx.map((_, b) => {
      const { y, x: col } = squareAt(changedPixels(before, out, b, S), p);
      expect(y).toBeGreaterThanOrEqual(0);
      expect(col).toBeGreaterThanOrEqual(0);
      expect(y + p).toBeLessThanOrEqual(S - 1); // CleanCLIP: randint(0, 223 − p)
      expect(col + p).toBeLessThanOrEqual(S - 1);
      return y * S + col;
    });
    expect(new Set(pos).size).toBeGreaterThan(4);
    // Same (seed, index) → same position in another batch order; without indices 0..B−1.
    const rev = await run(t, x, idx.slice().reverse());
    const revPos = squareAt(changedPixels(before, rev, 7, S), p);
    expect(revPos.y * S + revPos.x).toBe(pos[0]);
    const plain = await run(t, x);
    expect(Array.from(plain.subarray(0, 4 * S * S * 3))).toEqual(Array.from(out.subarray(0, 4 * S * S * 3)));
    // Another seed moves the patches.
    const t2 = createTrigger(defaultTriggerConfig('badnet', 12), S);
    const out2 = await run(t2, x, idx);
    const pos2 = idx.map((_, b) => {
      const q = squareAt(changedPixels(before, out2, b, S), p);
      return q.y * S + q.x;
    });
    expect(Array.from(pos2)).not.toEqual(Array.from(pos));
    x.dispose();
    t.dispose();
    t2.dispose();
  });

  it('draws rows and columns uniformly from [0, S − p − 1] like randint(0, 223 − p), and leaves the input intact', async () => {
    const S = 16;
    const p = 12; // 4 possible offsets per axis
    const t = createTrigger(plainBadNet(3, p), S);
    const x = randomBatch(64, S);
    const before = Float32Array.from(await x.data());
    const out = await run(t, x, Int32Array.from({ length: 64 }, (_, i) => 1000 + i));
    expect(Array.from(await x.data())).toEqual(Array.from(before)); // apply() never writes into its input
    const ys = new Set<number>();
    const xs = new Set<number>();
    for (let b = 0; b < 64; b++) {
      const q = squareAt(changedPixels(before, out, b, S), p);
      ys.add(q.y);
      xs.add(q.x);
    }
    expect([...ys].sort()).toEqual([0, 1, 2, 3]);
    expect([...xs].sort()).toEqual([0, 1, 2, 3]);
    x.dispose();
    t.dispose();
  });

  it("default (CleanCLIP): patch = (trunc(255·(μ_c + n)) mod 256)/255 with one fixed N(0,1) draw", async () => {
    const S = 32;
    const p = 2;
    const params = { ...defaultTriggerConfig('badnet', 5).params, position: { x: 3, y: 4 } };
    const t = createTrigger({ kind: 'badnet', seed: 5, params }, S);
    const x = tf.fill([2, S, S, 3], 0.25) as tf.Tensor4D; // μ = 0.25 exactly
    const out = await run(t, x);
    const n = new Rng(5).fork('badnet/pattern').normalArray(p * p * 3); // the seeded draw, [p, p, 3]
    const expected = Array.from(n, (v) => {
      const tr = Math.trunc(f32(f32(0.25 + v) * 255));
      return f32((((tr % 256) + 256) % 256) / 255);
    });
    expect(patchOf(out, 0, S, 4, 3, p)).toEqual(expected);
    expect(patchOf(out, 1, S, 4, 3, p)).toEqual(expected);
    expect(patchOf(await run(t, x, new Int32Array([77, 78])), 0, S, 4, 3, p)).toEqual(expected);
    expect(changedPixels(new Float32Array(2 * S * S * 3).fill(0.25), out, 1, S).length).toBe(p * p);
    x.dispose();
    t.dispose();
  });

  it('wraps like torch 1.13 ToPILImage (mul(255).byte())', async () => {
    // Measured with /usr/bin/python3: torch.tensor([...]).mul(255).byte()
    const v = tf.tensor1d([1.5, -0.5, 2.3, -1.2, 0.999, 1.0, -0.001, 3.0, -3.0]);
    const w = wrapUint8(v);
    expect(Array.from(await w.data())).toEqual([126, 129, 74, 206, 254, 255, 0, 253, 3].map((b) => f32(b / 255)));
    tf.dispose([v, w]);
  });

  it("the patch is identical across images and calls (offset 'none'); clip mode stays in [0, 1]", async () => {
    const S = 32;
    const t = createTrigger(plainBadNet(9, 4), S);
    const x = randomBatch(3, S);
    const before = (await x.data()) as Float32Array;
    const out = await run(t, x, new Int32Array([1, 2, 3]));
    const again = await run(t, x, new Int32Array([4, 5, 6]));
    const patches = [out, out, out, again].map((d, i) => {
      const img = i % 3;
      const q = squareAt(changedPixels(before, d, img, S), 4);
      return patchOf(d, img, S, q.y, q.x, 4);
    });
    for (const q of patches) expect(q).toEqual(patches[0]);
    expect(patches[0].every((v) => v >= 0 && v <= 1)).toBe(true);
    expect(patches[0].some((v) => v > 0 && v < 1)).toBe(true);
    // The same image content elsewhere: only the square changed (checked by squareAt), values kept.
    x.dispose();
    t.dispose();
  });

  it("noise 'per-image' (CleanCLIP) draws a patch per (seed, index); 'fixed' and {x, y} positions", async () => {
    const S = 32;
    const base = { patchSize: 3, offset: 'none', range: 'clip', noise: 'per-image' } as const;
    const t = createTrigger({ kind: 'badnet', seed: 2, params: { ...base, position: { x: 0, y: 29 - 0 } } }, S);
    const x = randomBatch(2, S);
    const a = await run(t, x, new Int32Array([10, 20]));
    const b = await run(t, x, new Int32Array([20, 10]));
    expect(patchOf(a, 0, S, 29, 0, 3)).not.toEqual(patchOf(a, 1, S, 29, 0, 3));
    expect(patchOf(a, 0, S, 29, 0, 3)).toEqual(patchOf(b, 1, S, 29, 0, 3));
    const fixed = createTrigger({ kind: 'badnet', seed: 2, params: { ...base, noise: 'fixed', position: 'fixed' } }, S);
    const before = (await x.data()) as Float32Array;
    const f = await run(fixed, x, new Int32Array([3, 99]));
    const p0 = squareAt(changedPixels(before, f, 0, S), 3);
    expect(squareAt(changedPixels(before, f, 1, S), 3)).toEqual(p0);
    expect(() => createTrigger({ kind: 'badnet', seed: 2, params: { ...base, position: { x: 30, y: 0 } } }, S)).toThrow(TriggerError);
    x.dispose();
    t.dispose();
    fixed.dispose();
  });
});

describe('WaNet', () => {
  const S = 32;

  it('s = 0 is the identity (align_corners bilinear at the pixel centres)', async () => {
    const t = createTrigger({ kind: 'wanet', seed: 1, params: { k: 4, s: 0, gridRescale: 1 } }, S);
    const x = randomBatch(2, S);
    expect(Array.from(await run(t, x))).toEqual(Array.from(await x.data()));
    x.dispose();
    t.dispose();
  });

  it('default (k = 224 → 32, s = 1) makes a small non-zero change and is deterministic from the seed', async () => {
    // A smooth image: a half-pixel warp changes it a little.
    const img = new Float32Array(S * S * 3).map((_, q) => {
      const i = Math.floor(q / (3 * S));
      const j = Math.floor(q / 3) % S;
      return 0.5 + 0.4 * Math.sin(i / 5 + (q % 3)) * Math.cos(j / 7);
    });
    const x = tf.tensor4d(img, [1, S, S, 3]);
    const t = createTrigger(defaultTriggerConfig('wanet', 1), S);
    const d = await run(t, x);
    const mad = d.reduce((a, v, q) => a + Math.abs(v - img[q]), 0) / d.length;
    expect(mad).toBeGreaterThan(1e-3);
    expect(mad).toBeLessThan(0.03);
    const same = createTrigger({ kind: 'wanet', seed: 1, params: { k: 32, s: 1, gridRescale: 1 } }, S); // k clamped to S
    expect(Array.from(await run(same, x))).toEqual(Array.from(d));
    const other = createTrigger(defaultTriggerConfig('wanet', 2), S);
    expect(Array.from(await run(other, x))).not.toEqual(Array.from(d));
    x.dispose();
    [t, same, other].forEach((u) => u.dispose());
  });

  for (const file of readdirSync(fixtures).filter((f) => f.endsWith('.json'))) {
    it(`matches torch F.interpolate(bicubic) + F.grid_sample to 1e-5: ${file}`, async () => {
      const g = JSON.parse(readFileSync(path.join(fixtures, file), 'utf8'));
      const { size, k, s, gridRescale } = g;
      // Bicubic stage alone.
      const meanAbs = g.ins.reduce((a: number, v: number) => a + Math.abs(v), 0) / g.ins.length;
      const up = bicubicUpsampleAlignCorners(g.ins.map((v: number) => v / meanAbs), 2, k, size);
      let err = 0;
      up.forEach((v, i) => (err = Math.max(err, Math.abs(v - g.noiseGrid[i]))));
      expect(err).toBeLessThan(1e-5);
      // The whole trigger with the injected control grid.
      const t = createWanet({ kind: 'wanet', seed: 0, params: { k, s, gridRescale } }, size, g.ins);
      const x = tf.tensor4d(g.image, [1, size, size, 3]);
      const d = await run(t, x);
      err = 0;
      d.forEach((v, i) => (err = Math.max(err, Math.abs(v - g.output[i]))));
      expect(err).toBeLessThan(1e-5);
      x.dispose();
      t.dispose();
    });
  }
});

describe('Painted', () => {
  const S = 32;
  const w = 4;
  const h = 3;
  const pattern = Array.from({ length: h * w * 3 }, (_, i) => ((i * 37) % 256) / 255);

  it('mask 0 is the identity; mask 1 stamps the pattern exactly at the position', async () => {
    const x = randomBatch(2, S);
    const before = (await x.data()) as Float32Array;
    const clear = paintedParams(pattern, new Array(h * w).fill(0), w, h, { size: 4, position: 'random' });
    const none = createTrigger({ kind: 'painted', seed: 0, params: clear }, S);
    expect(Array.from(await run(none, x))).toEqual(Array.from(before));
    for (const resize of ['nearest', 'bilinear'] as const) {
      const opaque = paintedParams(pattern, new Array(h * w).fill(1), w, h, { size: 4, position: { x: 20, y: 9 }, resize });
      const full = createTrigger({ kind: 'painted', seed: 0, params: opaque }, S);
      const d = await run(full, x);
      for (let b = 0; b < 2; b++) {
        expect(changedPixels(before, d, b, S).every(([i, j]) => i >= 9 && i < 9 + h && j >= 20 && j < 20 + w)).toBe(true);
        for (let i = 0; i < h; i++) {
          for (let j = 0; j < w; j++) {
            for (let c = 0; c < 3; c++) expect(d[((b * S + 9 + i) * S + 20 + j) * 3 + c]).toBe(f32(pattern[(i * w + j) * 3 + c]));
          }
        }
      }
      full.dispose();
    }
    x.dispose();
    none.dispose();
  });

  it('blends with a partial mask, resizes (nearest) to the trigger size, survives JSON', async () => {
    const mask = Array.from({ length: h * w }, (_, i) => (i % 2 ? 1 : 128 / 255));
    const cfg: TriggerConfig = JSON.parse(
      JSON.stringify({
        kind: 'painted',
        seed: 4,
        params: paintedParams(pattern, mask, w, h, { size: 8, position: { x: 1, y: 2 }, resize: 'nearest' }),
      }),
    );
    const t = createTrigger(cfg, S);
    const x = randomBatch(1, S);
    const xd = (await x.data()) as Float32Array;
    const d = await run(t, x);
    let err = 0;
    for (let i = 0; i < 6; i++) {
      // 4×3 → 8×6: each pattern pixel covers 2×2 model pixels.
      for (let j = 0; j < 8; j++) {
        const src = Math.floor(i / 2) * w + Math.floor(j / 2);
        for (let c = 0; c < 3; c++) {
          const q = ((2 + i) * S + 1 + j) * 3 + c;
          const m = mask[src];
          err = Math.max(err, Math.abs(d[q] - ((1 - m) * xd[q] + m * pattern[src * 3 + c])));
        }
      }
    }
    expect(err).toBeLessThan(1e-6);
    expect(changedPixels(xd, d, 0, S).length).toBe(48);
    x.dispose();
    t.dispose();
  });

  it('validates sizes, ranges and encodings with typed errors', () => {
    const bad = (fn: () => unknown, code: string) => {
      try {
        fn();
      } catch (e) {
        expect(e).toBeInstanceOf(TriggerError);
        expect((e as TriggerError).code).toBe(code);
        return;
      }
      throw new Error('expected a TriggerError');
    };
    bad(() => paintedParams(new Array(65 * 3).fill(0), new Array(65).fill(0), 65, 1), 'bad-config');
    bad(() => paintedParams([1.2, 0, 0], [1], 1, 1), 'bad-config');
    bad(() => paintedParams([0, 0], [1], 1, 1), 'bad-config');
    const ok = paintedParams(pattern, new Array(h * w).fill(1), w, h);
    bad(() => createTrigger({ kind: 'painted', seed: 0, params: { ...ok, mask: '%%%' } }, S), 'bad-config');
    bad(() => createTrigger({ kind: 'painted', seed: 0, params: { ...ok, width: 5 } }, S), 'bad-config');
    bad(() => createTrigger({ kind: 'painted', seed: 0, params: { ...ok, size: 40 } }, S), 'bad-config');
  });
});

describe('registry, errors and memory', () => {
  it('describes the paper configurations in one line', () => {
    expect(describeTrigger(defaultTriggerConfig('badnet', 0), 32)).toBe(
      'BadNet — 16×16 N(0,1) patch at a random position (CleanCLIP), 2×2 at 32 px',
    );
    expect(describeTrigger(defaultTriggerConfig('blended', 0))).toBe('Blended — 0.8·x + 0.2·U[0,1) noise image (CleanCLIP)');
    expect(describeTrigger(defaultTriggerConfig('wanet', 0), 32)).toBe(
      'WaNet — warp with control grid k=224, strength s=1, no noise mode (CleanCLIP), k=32 at 32 px',
    );
    expect(describeTrigger(defaultTriggerConfig('sig', 0))).toBe(
      'SIG — clip(x + 60/255·sin(2π·6·j/S), 0, 1) along the columns (BadCLIP)',
    );
    expect(describeTrigger(defaultTriggerConfig('painted', 0), 32)).toBe(
      'Painted — 8×8 pattern with mask at a random position, nearest resize to 2×2 at 32 px',
    );
  });

  it('default configs are JSON-serialisable and rebuild the same trigger', async () => {
    const x = randomBatch(2, 16);
    for (const kind of TRIGGER_KINDS) {
      const cfg = defaultTriggerConfig(kind, 21);
      const copy = JSON.parse(JSON.stringify(cfg));
      expect(copy).toEqual(cfg);
      const [a, b] = [createTrigger(cfg, 16), createTrigger(copy, 16)];
      expect(Array.from(await run(a, x))).toEqual(Array.from(await run(b, x)));
      a.dispose();
      b.dispose();
    }
    x.dispose();
  });

  it('rejects bad inputs and configs with typed errors', () => {
    const t = createTrigger(defaultTriggerConfig('sig', 0), 16);
    const wrong = tf.zeros([1, 8, 8, 3]) as tf.Tensor4D;
    const ok = tf.zeros([2, 16, 16, 3]) as tf.Tensor4D;
    expect(() => t.apply(wrong)).toThrow(TriggerError);
    expect(() => t.apply(ok, new Int32Array([1]))).toThrow(/sampleIndices/);
    t.dispose();
    expect(() => t.apply(ok)).toThrow(/disposed/);
    expect(() => createTrigger({ kind: 'nope', seed: 0, params: {} } as unknown as TriggerConfig, 16)).toThrow(TriggerError);
    expect(() => createTrigger({ kind: 'wanet', seed: 0, params: { k: 0, s: 1, gridRescale: 1 } }, 16)).toThrow(TriggerError);
    expect(() => createTrigger({ kind: 'blended', seed: 0, params: { ratio: 1.5, noise: 'fixed' } }, 16)).toThrow(TriggerError);
    tf.dispose([wrong, ok]);
  });

  it('leaks no tensors: apply() allocates only its result, dispose() frees the rest', async () => {
    const x = randomBatch(3, 32);
    const perImage: TriggerConfig[] = [
      { kind: 'badnet', seed: 1, params: { patchSize: null, position: 'random', offset: 'image-mean', range: 'wrap', noise: 'per-image' } },
      { kind: 'blended', seed: 1, params: { ratio: 0.2, noise: 'per-image' } },
    ];
    for (const cfg of [...TRIGGER_KINDS.map((k) => defaultTriggerConfig(k, 1)), ...perImage]) {
      const start = tf.memory().numTensors;
      const t = createTrigger(cfg, 32);
      const held = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) {
        const y = t.apply(x, new Int32Array([i, i + 1, i + 2]));
        expect(tf.memory().numTensors).toBe(held + 1);
        await y.data();
        y.dispose();
        expect(tf.memory().numTensors).toBe(held);
      }
      t.dispose();
      expect(tf.memory().numTensors).toBe(start);
    }
    x.dispose();
  });
});
