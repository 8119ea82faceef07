/**
 * Splits (disjoint, seeded, capped by the data), poisoning (count, convention, labels) and batches
 * (resize when the data's size differs, trigger only on the marked rows, normalisation last).
 */
import { describe, expect, it } from 'vitest';
import { tf } from '../src/engine/tf';
import { DataSplitError, makeSplits, splitCounts, TEST_ID_OFFSET, VAL_ID_OFFSET, withoutClass, headOf, doubled, pick } from '../src/engine/data/splits';
import { poisonCount, poisonTrainingSplit, PoisonError } from '../src/engine/data/poison';
import { modelBatch, rawBatch, range, trainingSet } from '../src/engine/data/batches';
import { normalize, resizeAndCrop } from '../src/engine/clip/preprocess';
import { createTrigger, defaultTriggerConfig } from '../src/engine/triggers';
import type { LabelledImages } from '../src/engine/data/types';
import { generateShapes } from '../src/engine/data/shapes';

function pool(count: number, size = 4, classes = 5, salt = 0): LabelledImages {
  const images = new Uint8Array(count * size * size * 3);
  for (let i = 0; i < images.length; i++) images[i] = (i * 31 + salt * 7) % 256;
  return { images, labels: Int32Array.from({ length: count }, (_, i) => (i * 7 + salt) % classes), classNames: ['a', 'b', 'c', 'd', 'e'].slice(0, classes), imageSize: size, count };
}

describe('splits', () => {
  it('train, val, forget come from disjoint rows of the training pool; test from the test pool', () => {
    const pools = { train: pool(1000), test: pool(300, 4, 5, 1) };
    const s = makeSplits(pools, { train: 600, val: 100, test: 200, forget: 150 }, 7);
    expect([s.train.rows.length, s.val.rows.length, s.test.rows.length, s.forget.rows.length]).toEqual([600, 100, 200, 150]);
    const seen = new Set<number>();
    for (const sp of [s.train, s.val, s.forget]) {
      expect(sp.pool).toBe(pools.train);
      for (const r of sp.rows) {
        expect(seen.has(r)).toBe(false); // disjoint
        seen.add(r);
      }
    }
    expect(seen.size).toBe(850);
    expect(s.test.pool).toBe(pools.test);
    expect(new Set(s.test.rows).size).toBe(200);
    // labels and sample ids follow the rows
    s.forget.rows.forEach((r, i) => expect(s.forget.labels[i]).toBe(pools.train.labels[r]));
    s.test.rows.forEach((r, i) => expect(s.test.sampleIds[i]).toBe(TEST_ID_OFFSET + r));
    expect(s.capped).toBe(false);
  });

  it('are a function of the seed', () => {
    const pools = { train: pool(500), test: pool(100) };
    const req = { train: 300, val: 50, test: 80, forget: 60 };
    const a = makeSplits(pools, req, 1);
    const b = makeSplits(pools, req, 1);
    const c = makeSplits(pools, req, 2);
    expect(Array.from(a.forget.rows)).toEqual(Array.from(b.forget.rows));
    expect(Array.from(a.train.rows)).not.toEqual(Array.from(c.train.rows));
  });

  it('uses a separate val pool when there is one', () => {
    const pools = { train: pool(400), val: pool(90), test: pool(100) };
    const s = makeSplits(pools, { train: 300, val: 50, test: 80, forget: 60 }, 3);
    expect(s.val.pool).toBe(pools.val);
    expect(s.val.sampleIds[0]).toBeGreaterThanOrEqual(VAL_ID_OFFSET);
    expect(s.forget.rows.length + s.train.rows.length).toBe(360);
  });

  it('caps proportionally when the data is smaller than the request (floor), and says so', () => {
    const c = splitCounts({ train: 1000, test: 50 }, { train: 43_000, val: 5_000, test: 10_000, forget: 2_000 });
    // 50 000 requested from 1000: factor 1/50
    expect(c).toMatchObject({ train: 860, val: 100, forget: 40, test: 50, capped: true, valFromTrain: true });
    // a tiny pool: each part still gets one image (taken from the largest), until there are too few to go round
    expect(splitCounts({ train: 10, test: 5 }, { train: 43_000, val: 5_000, test: 10, forget: 2_000 })).toMatchObject({ val: 1, forget: 1, train: 7 });
    expect(() => splitCounts({ train: 2, test: 5 }, { train: 43_000, val: 5_000, test: 10, forget: 2_000 })).toThrow(DataSplitError);
  });

  it('withoutClass drops the target class; headOf takes a prefix; doubled repeats the split', () => {
    const s = makeSplits({ train: pool(200), test: pool(100) }, { train: 100, val: 20, test: 50, forget: 20 }, 0);
    const w = withoutClass(s.test, 2);
    expect(w.labels.every((l) => l !== 2)).toBe(true);
    expect(w.rows.length).toBe(s.test.labels.filter((l) => l !== 2).length);
    expect(Array.from(headOf(s.test, 5).rows)).toEqual(Array.from(s.test.rows.slice(0, 5)));
    const h = headOf(s.test, 3);
    const d = doubled(h);
    for (const k of ['rows', 'labels', 'sampleIds'] as const) expect(Array.from(d[k])).toEqual([...h[k], ...h[k]]);
    expect(d.pool).toBe(s.test.pool);
    const p = pick(s.test, [4, 0, 4]);
    for (const k of ['rows', 'labels', 'sampleIds'] as const) expect(Array.from(p[k])).toEqual([s.test[k][4], s.test[k][0], s.test[k][4]]);
    expect(p.pool).toBe(s.test.pool);
  });
});

describe('poisoning', () => {
  const labels = Int32Array.from({ length: 1000 }, (_, i) => i % 10);

  it('poisons round(rate·N) images, all outside the target class, relabelled to the target', () => {
    const p = poisonTrainingSplit(labels, 3, 0.03, 11, 10);
    expect(poisonCount(1000, 0.03)).toBe(30);
    expect(p.positions.length).toBe(30);
    expect(p.mask.reduce((a, b) => a + b, 0)).toBe(30);
    for (const i of p.positions) {
      expect(labels[i]).not.toBe(3);
      expect(p.labels[i]).toBe(3);
    }
    let changed = 0;
    for (let i = 0; i < 1000; i++) if (p.labels[i] !== labels[i]) changed++;
    expect(changed).toBe(30); // nothing else changes
    expect(Array.from(p.positions)).toEqual([...p.positions].sort((a, b) => a - b));
    expect(Array.from(poisonTrainingSplit(labels, 3, 0.03, 11, 10).positions)).toEqual(Array.from(p.positions));
    expect(Array.from(poisonTrainingSplit(labels, 3, 0.03, 12, 10).positions)).not.toEqual(Array.from(p.positions));
  });

  it('rounds half away from zero like Math.round, and refuses impossible requests', () => {
    expect(poisonCount(50, 0.03)).toBe(2); // 1.5 → 2
    expect(() => poisonTrainingSplit(labels, 10, 0.03, 0, 10)).toThrow(PoisonError);
    expect(() => poisonTrainingSplit(labels, 0, 0, 0, 10)).toThrow(/poisonRate/);
    expect(() => poisonTrainingSplit(labels, 0, 0.95, 0, 10)).toThrow(/outside the target class/);
  });
});

describe('batches', () => {
  it('raw batch = bytes/255 at the data size; normalisation last; labels follow', async () => {
    const d = generateShapes({ count: 8, seed: 3, imageSize: 32 });
    const s = makeSplits({ train: d, test: d }, { train: 4, val: 2, test: 8, forget: 2 }, 0);
    const idx = range(3);
    const raw = rawBatch(s.test, idx, { imageSize: 32 });
    const rows = Array.from(s.test.rows.slice(0, 3));
    const want = new Float32Array(3 * 32 * 32 * 3);
    rows.forEach((r, i) => want.set(Array.from(d.images.subarray(r * 3072, (r + 1) * 3072), (v) => v / 255), i * 3072));
    expect(Array.from(await raw.data())).toEqual(Array.from(want));
    const norm = modelBatch(s.test, idx, { imageSize: 32 });
    const ref = normalize(raw);
    expect(Array.from(await norm.data())).toEqual(Array.from(await ref.data()));
    const ts = trainingSet(s.test, Int32Array.from([9, 8, 7, 6, 5, 4, 3, 2]), { imageSize: 32 });
    const b = ts.batch(Int32Array.from([2, 0]));
    expect(Array.from(await b.labels.data())).toEqual([7, 9]);
    tf.dispose([raw, norm, ref, b.pixels, b.labels]);
  });

  it('resizes to the model resolution when the data differs (PIL bicubic via resizeAndCrop)', async () => {
    const d = generateShapes({ count: 3, seed: 4, imageSize: 32 });
    const s = makeSplits({ train: d, test: d }, { train: 1, val: 1, test: 3, forget: 1 }, 0);
    const raw = rawBatch(s.test, range(2), { imageSize: 48 });
    expect(raw.shape).toEqual([2, 48, 48, 3]);
    const bytes = tf.tensor4d(Float32Array.from([...d.images.subarray(s.test.rows[0] * 3072, (s.test.rows[0] + 1) * 3072), ...d.images.subarray(s.test.rows[1] * 3072, (s.test.rows[1] + 1) * 3072)]), [2, 32, 32, 3]);
    const ref = resizeAndCrop(bytes, 48);
    expect(Array.from(await raw.data())).toEqual(Array.from(await ref.data()));
    tf.dispose([raw, bytes, ref]);
  });

  it('triggers exactly the marked rows, with their global sample ids', async () => {
    const d = generateShapes({ count: 6, seed: 5, imageSize: 32 });
    const s = makeSplits({ train: d, test: d }, { train: 3, val: 1, test: 6, forget: 1 }, 0);
    const trigger = createTrigger(defaultTriggerConfig('badnet', 1), 32);
    const mask = Uint8Array.from([0, 1, 0, 1, 1, 0]);
    const idx = Int32Array.from([0, 1, 2, 3]);
    const mixed = await rawBatch(s.test, idx, { imageSize: 32, trigger, rows: mask }).data();
    const clean = await rawBatch(s.test, idx, { imageSize: 32 }).data();
    const all = await rawBatch(s.test, idx, { imageSize: 32, trigger, rows: 'all' }).data();
    const per = 32 * 32 * 3;
    for (let i = 0; i < 4; i++) {
      const got = Array.from(mixed.subarray(i * per, (i + 1) * per));
      const want = Array.from((mask[i] ? all : clean).subarray(i * per, (i + 1) * per));
      expect(got).toEqual(want);
    }
    // triggered ≠ clean (the patch is there), and the position follows the sample id, not the batch slot
    expect(Array.from(all.subarray(0, per))).not.toEqual(Array.from(clean.subarray(0, per)));
    const alone = await rawBatch(s.test, Int32Array.from([3]), { imageSize: 32, trigger, rows: 'all' }).data();
    expect(Array.from(alone)).toEqual(Array.from(all.subarray(3 * per, 4 * per)));
    trigger.dispose();
  });
});
