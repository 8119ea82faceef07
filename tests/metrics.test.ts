import { describe, expect, it } from 'vitest';
import { tf } from '../src/engine/tf';
import {
  MetricsError,
  accuracy,
  attackSuccessRate,
  confusionMatrix,
  perClassAccuracy,
  predict,
} from '../src/engine/eval/metrics';

describe('predict', () => {
  // Logits built so that example i is predicted as class (i·7) mod 5: known answer.
  const n = 23;
  const c = 5;
  const expected = Int32Array.from({ length: n }, (_, i) => (i * 7) % c);
  const logitsFor = (indices: Int32Array) =>
    tf.tidy(() => {
      const rows = Array.from(indices, (i) => Array.from({ length: c }, (_, k) => (k === (i * 7) % c ? 3 : -1) + 0.01 * k));
      return tf.tensor2d(rows);
    });

  it('returns argmax per example over batches (partial last batch), one read per batch', async () => {
    for (const bs of [1, 4, 10, 23, 64]) {
      const calls: number[][] = [];
      const before = tf.memory().numTensors;
      const pred = await predict(n, bs, (idx) => {
        calls.push(Array.from(idx));
        return logitsFor(idx);
      });
      expect(Array.from(pred)).toEqual(Array.from(expected));
      expect(calls.length).toBe(Math.ceil(n / bs));
      expect(calls.flat()).toEqual(Array.from({ length: n }, (_, i) => i));
      expect(tf.memory().numTensors).toBe(before); // forward's intermediates and the results are freed
    }
  });

  it('breaks ties toward the lowest class index (like torch.argmax)', async () => {
    const pred = await predict(2, 2, () => tf.tensor2d([[1, 5, 5], [0, 0, 0]]));
    expect(Array.from(pred)).toEqual([1, 0]);
  });

  it('handles zero examples', async () => {
    expect((await predict(0, 8, () => tf.zeros([0, 3]) as tf.Tensor2D)).length).toBe(0);
  });

  it('throws a typed error on NaN/Inf logits or a wrong shape, and frees everything', async () => {
    const before = tf.memory().numTensors;
    const bad = (idx: Int32Array) =>
      tf.tidy(() => (idx[0] >= 8 ? tf.fill([idx.length, 3], Number.NaN) : tf.ones([idx.length, 3])) as tf.Tensor2D);
    await expect(predict(20, 4, bad)).rejects.toMatchObject({ code: 'METRICS_NONFINITE_LOGITS' });
    await expect(predict(20, 4, () => tf.ones([3, 3]) as tf.Tensor2D)).rejects.toBeInstanceOf(MetricsError);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('accuracy / ASR / per-class / confusion', () => {
  //                 0  1  2  3  4  5  6  7  8  9
  const labels = [0, 0, 1, 1, 1, 2, 2, 2, 2, 0];
  const pred = [0, 1, 1, 1, 2, 2, 2, 0, 2, 0];

  it('accuracy', () => {
    expect(accuracy(pred, labels)).toBeCloseTo(7 / 10, 15);
    expect(accuracy(Int32Array.from([3]), Int32Array.from([3]))).toBe(1);
    expect(() => accuracy([], [])).toThrow(MetricsError);
    expect(() => accuracy([1, 2], [1])).toThrow(MetricsError);
  });

  it('ASR excludes images whose true class is the target from the denominator', () => {
    // target 2: images 5..8 are of class 2 and do not count; of the other 6, image 4 is predicted 2.
    expect(attackSuccessRate(pred, labels, 2)).toEqual({ rate: 1 / 6, hits: 1, count: 6 });
    // target 0: non-target images 2..8 (7 of them); image 7 → 0.
    expect(attackSuccessRate(pred, labels, 0)).toEqual({ rate: 1 / 7, hits: 1, count: 7 });
    // All triggered images of the target class: no denominator → rate 0 with count 0, never NaN.
    expect(attackSuccessRate([2, 2], [2, 2], 2)).toEqual({ rate: 0, hits: 0, count: 0 });
    // Full attack.
    expect(attackSuccessRate([4, 4, 4], [0, 1, 2], 4)).toEqual({ rate: 1, hits: 3, count: 3 });
    expect(() => attackSuccessRate([1], [1, 2], 0)).toThrow(MetricsError);
  });

  it('per-class accuracy (null for an absent class)', () => {
    const r = perClassAccuracy(pred, labels, 4);
    expect(Array.from(r.total)).toEqual([3, 3, 4, 0]);
    expect(Array.from(r.correct)).toEqual([2, 2, 3, 0]);
    expect(r.accuracy).toEqual([2 / 3, 2 / 3, 3 / 4, null]);
    expect(() => perClassAccuracy([5], [0], 4)).toThrow(MetricsError);
  });

  it('confusion matrix [true][pred]', () => {
    const m = confusionMatrix(pred, labels, 3).map((r) => Array.from(r));
    expect(m).toEqual([
      [2, 1, 0],
      [0, 2, 1],
      [1, 0, 3],
    ]);
    // rows sum to class counts, the trace is the number correct
    expect(m[0][0] + m[1][1] + m[2][2]).toBe(7);
    expect(() => confusionMatrix([0], [-1], 3)).toThrow(MetricsError);
  });
});
