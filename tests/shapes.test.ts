import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Fnv1a64, fnv1a64 } from '../src/engine/data/fingerprint';
import { Rasterizer, polygon, regularPolygon } from '../src/engine/data/raster';
import {
  SHAPE_CLASSES,
  SHAPE_COLOURS,
  ShapesError,
  fingerprintLabelledImages,
  generateShapes,
  shapesFingerprint,
  shapesVocabulary,
  type ShapesOptions,
} from '../src/engine/data/shapes';

/**
 * Committed fingerprints (pixels + labels + captions) of dataset slices; the first is the first 64
 * train images of seed 0 at 32 px, 10 classes. Any change to the generator changes them: if the change
 * is intended, update the fixture (and say so in the commit), because the micro CLIP and the e2e
 * Node/browser comparison (e2e/webgpu.spec.mjs) depend on them.
 */
const FINGERPRINTS = JSON.parse(
  readFileSync(new URL('./fixtures/shapes/fingerprints.json', import.meta.url), 'utf8'),
) as { slices: { options: ShapesOptions; fingerprint: string }[] };
const FINGERPRINT_TRAIN_SEED0_64 = 'cc3065d90324c580';

/** Index of the first differing element, or -1 (toEqual on 100k-element typed arrays is too slow to fail). */
function firstDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

/** FNV-1a 64 with BigInt, an independent reference for the limb arithmetic. */
function fnvRef(bytes: Uint8Array): string {
  let h = 0xcbf29ce484222325n;
  for (const b of bytes) h = ((h ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return h.toString(16).padStart(16, '0');
}

describe('FNV-1a 64', () => {
  it('matches the published test vectors', () => {
    const enc = (s: string) => new TextEncoder().encode(s);
    expect(fnv1a64(enc(''))).toBe('cbf29ce484222325');
    expect(fnv1a64(enc('a'))).toBe('af63dc4c8601ec8c');
    expect(fnv1a64(enc('foobar'))).toBe('85944171f73967e8');
  });
  it('matches a BigInt reference on random bytes, also when fed in pieces', () => {
    const bytes = new Uint8Array(5000);
    let x = 12345;
    for (let i = 0; i < bytes.length; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      bytes[i] = x >>> 24;
    }
    expect(fnv1a64(bytes)).toBe(fnvRef(bytes));
    expect(new Fnv1a64().update(bytes.subarray(0, 1234)).update(bytes.subarray(1234)).hex()).toBe(fnvRef(bytes));
  });
});

describe('Rasterizer (supersampled coverage)', () => {
  /** Coverage per pixel of one white polygon composited over black, [S·S]. */
  function coverage(S: number, fill: (r: Rasterizer) => void): Float32Array {
    const r = new Rasterizer(S, 4);
    const img = new Float32Array(S * S * 3);
    fill(r);
    r.composite(img, 1, 1, 1);
    return Float32Array.from({ length: S * S }, (_, i) => img[3 * i]);
  }

  it('covers pixel-aligned squares exactly and half-pixel edges by half', () => {
    const c = coverage(8, (r) => r.fill(polygon([2, 2, 5, 2, 5, 4, 2, 4]), 1));
    for (let y = 0; y < 8; y++)
      for (let x = 0; x < 8; x++) expect(c[y * 8 + x]).toBe(x >= 2 && x < 5 && y >= 2 && y < 4 ? 1 : 0);
    const h = coverage(8, (r) => r.fill(polygon([1.5, 1, 3, 1, 3, 2, 1.5, 2]), 1));
    expect([h[8 + 0], h[8 + 1], h[8 + 2], h[8 + 3]]).toEqual([0, 0.5, 1, 0]);
  });

  it('gives a disc area close to πr² and a ring area close to π(R² − r²)', () => {
    const S = 32;
    const sum = (c: Float32Array) => c.reduce((a, v) => a + v, 0);
    const disc = coverage(S, (r) => r.fill(regularPolygon(96, 10, 0, 16.3, 15.8), 1));
    expect(sum(disc)).toBeCloseTo(Math.PI * 100, -0.5); // within ~1.6 px² of 314
    expect(Math.abs(sum(disc) - Math.PI * 100) / (Math.PI * 100)).toBeLessThan(0.01);
    const ring = coverage(S, (r) => {
      r.fill(regularPolygon(96, 10, 0, 16.3, 15.8), 1);
      r.fill(regularPolygon(96, 6, 0, 16.3, 15.8), 0);
    });
    expect(Math.abs(sum(ring) - Math.PI * 64) / (Math.PI * 64)).toBeLessThan(0.015);
    // edge pixels are partially covered (anti-aliasing), the centre of the ring is empty
    expect(disc.some((v) => v > 0.1 && v < 0.9)).toBe(true);
    expect(ring[16 * S + 16]).toBe(0);
  });

  it('leaves its mask clean between shapes', () => {
    const r = new Rasterizer(16, 4);
    const img = new Float32Array(16 * 16 * 3);
    r.fill(polygon([1, 1, 9, 1, 9, 9, 1, 9]), 1);
    r.composite(img, 255, 255, 255);
    const img2 = new Float32Array(16 * 16 * 3);
    r.fill(polygon([12, 12, 14, 12, 14, 14, 12, 14]), 1);
    expect(r.composite(img2, 255, 255, 255)).toBe(4);
    expect(img2.filter((v) => v > 0).length).toBe(4 * 3);
  });
});

describe('generateShapes', () => {
  it('regenerates a slice bit-identically, equal to the same indices of a larger generation', () => {
    const big = generateShapes({ split: 'train', seed: 7, count: 300 });
    const a = generateShapes({ split: 'train', seed: 7, start: 123, count: 50 });
    const b = generateShapes({ split: 'train', seed: 7, start: 123, count: 50 });
    const per = 32 * 32 * 3;
    expect(firstDiff(a.images, b.images)).toBe(-1);
    expect(firstDiff(a.images, big.images.subarray(123 * per, 173 * per))).toBe(-1);
    expect(firstDiff(a.labels, big.labels.subarray(123, 173))).toBe(-1);
    expect(a.captions).toEqual(big.captions.slice(123, 173));
    expect(a.attributes).toEqual(big.attributes.slice(123, 173));
    expect(fingerprintLabelledImages(a)).toBe(fingerprintLabelledImages(b));
  });

  it('has the committed fingerprint for the first 64 train images of seed 0', () => {
    expect(shapesFingerprint({ split: 'train', seed: 0, count: 64 })).toBe(FINGERPRINT_TRAIN_SEED0_64);
    expect(FINGERPRINTS.slices[0]).toEqual({ options: { split: 'train', seed: 0, count: 64 }, fingerprint: FINGERPRINT_TRAIN_SEED0_64 });
  });

  it('has the committed fingerprints of the slices the browser test regenerates', () => {
    for (const { options, fingerprint } of FINGERPRINTS.slices) expect(shapesFingerprint(options), JSON.stringify(options)).toBe(fingerprint);
  });

  it('changes with the seed and the split', () => {
    const fp = (o: object) => shapesFingerprint({ count: 16, ...o });
    const base = fp({});
    expect(fp({ seed: 1 })).not.toBe(base);
    expect(fp({ split: 'val' })).not.toBe(base);
    expect(fp({ split: 'test' })).not.toBe(fp({ split: 'val' }));
  });

  it('writes captions that name the class (and use only the published vocabulary)', () => {
    const d = generateShapes({ split: 'val', seed: 3, count: 500, numClasses: SHAPE_CLASSES.length });
    const vocab = new Set(shapesVocabulary());
    for (let i = 0; i < d.count; i++) {
      const words = d.captions[i].split(' ');
      expect(words).toContain(d.classNames[d.labels[i]]);
      expect(d.attributes[i].shape).toBe(d.classNames[d.labels[i]]);
      for (const w of words) expect(vocab.has(w), `'${w}' in '${d.captions[i]}'`).toBe(true);
    }
    // every template, colour, class and background occurs
    expect(new Set(d.attributes.map((a) => a.template)).size).toBe(6);
    expect(new Set(d.attributes.map((a) => a.colour)).size).toBe(SHAPE_COLOURS.length);
    expect(new Set(d.labels).size).toBe(SHAPE_CLASSES.length);
    expect(new Set(d.attributes.map((a) => a.background)).size).toBe(6);
    expect(d.captions.some((c) => /\ban (orange|arrow)\b/.test(c))).toBe(true);
    expect(d.captions.some((c) => /\ba (orange|arrow)\b/.test(c))).toBe(false);
  });

  it('draws roughly balanced labels', () => {
    const d = generateShapes({ split: 'train', seed: 0, count: 2000 });
    const counts = new Array(10).fill(0);
    for (const l of d.labels) counts[l]++;
    expect(d.classNames).toEqual(SHAPE_CLASSES.slice(0, 10));
    // expected 200 each, binomial sd ≈ 13.4: ±50 is > 3.7 sd
    for (const c of counts) {
      expect(c).toBeGreaterThan(150);
      expect(c).toBeLessThan(250);
    }
  });

  it('keeps the splits disjoint (no identical image across train / val / test)', () => {
    const n = 2000;
    const per = 32 * 32 * 3;
    const seen = new Map<string, string>();
    for (const split of ['train', 'val', 'test'] as const) {
      const d = generateShapes({ split, seed: 0, count: n });
      for (let i = 0; i < n; i++) {
        const h = fnv1a64(d.images.subarray(i * per, (i + 1) * per));
        const prev = seen.get(h);
        expect(prev === undefined || prev === split, `${split} image ${i} also in ${prev}`).toBe(true);
        seen.set(h, split);
      }
    }
    expect(seen.size).toBeGreaterThan(3 * n - 5); // and essentially no duplicates within a split
  });

  it('works at 48 and 64 px, drawing the shape in its colour where it says it is', () => {
    for (const S of [48, 64]) {
      const d = generateShapes({ split: 'test', seed: 5, count: 40, imageSize: S });
      expect(d.images.length).toBe(40 * S * S * 3);
      expect(d.imageSize).toBe(S);
      for (let i = 0; i < d.count; i++) {
        const a = d.attributes[i];
        expect(a.x - a.radius).toBeGreaterThanOrEqual(0);
        expect(a.x + a.radius).toBeLessThanOrEqual(S);
        if (['ring', 'moon', 'semicircle', 'triangle', 'heart'].includes(a.shape)) continue; // centre may be empty
        const o = ((i * S + Math.floor(a.y)) * S + Math.floor(a.x)) * 3;
        const px = [d.images[o], d.images[o + 1], d.images[o + 2]];
        for (let c = 0; c < 3; c++) expect(Math.abs(px[c] - a.rgb[c])).toBeLessThanOrEqual(16); // noise ≤ 14
      }
    }
  });

  it('rejects bad options with a ShapesError', () => {
    expect(() => generateShapes({ count: -1 })).toThrow(ShapesError);
    expect(() => generateShapes({ count: 1, imageSize: 8 })).toThrow(/imageSize/);
    expect(() => generateShapes({ count: 1, numClasses: 13 })).toThrow(/numClasses/);
    expect(() => generateShapes({ count: 1, split: 'dev' as 'val' })).toThrow(/split/);
    expect(generateShapes({ count: 0 }).images.length).toBe(0);
  });
});
