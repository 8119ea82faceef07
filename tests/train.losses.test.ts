import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { tf } from '../src/engine/tf';
import { LossError, clipContrastiveLoss, crossEntropy } from '../src/engine/train/losses';

/** torch F.cross_entropy / CLIP symmetric loss values and input gradients (scripts/golden/adamw_golden.py). */
interface TJ { shape: number[]; data: number[] }
const golden = JSON.parse(readFileSync(new URL('./fixtures/adamw/losses.json', import.meta.url), 'utf8')) as {
  crossEntropy: { logits: TJ; labels: number[]; loss: number; grad: number[] }[];
  clipContrastive: { logits: TJ; loss: number; grad: number[] }[];
};

async function valueAndGrad(f: (x: tf.Tensor2D) => tf.Scalar, t: TJ) {
  const x = tf.tensor2d(t.data, t.shape as [number, number]);
  const { value, grad } = tf.valueAndGrad((z: tf.Tensor) => f(z as tf.Tensor2D))(x);
  const out = { loss: (await value.data())[0], grad: Array.from(await grad.data()) };
  tf.dispose([x, value, grad]);
  return out;
}

function expectClose(a: number[], b: number[], tol: number) {
  expect(a.length).toBe(b.length);
  a.forEach((v, i) => expect(Math.abs(v - b[i])).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(b[i]))));
}

describe('crossEntropy', () => {
  it('matches torch F.cross_entropy (value and gradient), including huge logits', async () => {
    for (const c of golden.crossEntropy) {
      for (const labels of [Int32Array.from(c.labels), tf.tensor1d(c.labels, 'int32')]) {
        const r = await valueAndGrad((x) => crossEntropy(x, labels), c.logits);
        expect(Number.isFinite(r.loss)).toBe(true);
        expect(Math.abs(r.loss - c.loss)).toBeLessThanOrEqual(2e-6 * Math.max(1, Math.abs(c.loss)));
        expectClose(r.grad, c.grad, 1e-6);
        if (labels instanceof tf.Tensor) labels.dispose();
      }
    }
  });

  it('uniform logits give ln C', async () => {
    const x = tf.zeros([3, 10]) as tf.Tensor2D;
    const l = crossEntropy(x, Int32Array.from([9, 0, 4]));
    expect((await l.data())[0]).toBeCloseTo(Math.log(10), 6);
    tf.dispose([x, l]);
  });

  it('rejects bad inputs with LossError', () => {
    const x = tf.zeros([2, 3]) as tf.Tensor2D;
    expect(() => crossEntropy(x, Int32Array.from([0, 3]))).toThrow(LossError);
    expect(() => crossEntropy(x, Int32Array.from([0]))).toThrow(LossError);
    const f = tf.tensor1d([0, 1], 'float32');
    expect(() => crossEntropy(x, f)).toThrow(LossError);
    tf.dispose([x, f]);
  });
});

describe('clipContrastiveLoss', () => {
  it("matches torch's (CE(L, arange) + CE(Lᵀ, arange)) / 2 (value and gradient)", async () => {
    for (const c of golden.clipContrastive) {
      const r = await valueAndGrad(clipContrastiveLoss, c.logits);
      expect(Math.abs(r.loss - c.loss)).toBeLessThanOrEqual(2e-6 * Math.max(1, Math.abs(c.loss)));
      expectClose(r.grad, c.grad, 1e-6);
    }
  });

  it('is not symmetric-blind: differs from the row-only CE on a non-symmetric matrix', async () => {
    const c = golden.clipContrastive[0];
    const x = tf.tensor2d(c.logits.data, c.logits.shape as [number, number]);
    const n = c.logits.shape[0];
    const rowOnly = crossEntropy(x, Int32Array.from({ length: n }, (_, i) => i));
    const both = clipContrastiveLoss(x);
    expect(Math.abs((await rowOnly.data())[0] - (await both.data())[0])).toBeGreaterThan(1e-3);
    tf.dispose([x, rowOnly, both]);
  });

  it('rejects a non-square matrix', () => {
    const x = tf.zeros([2, 3]) as tf.Tensor2D;
    expect(() => clipContrastiveLoss(x)).toThrow(LossError);
    x.dispose();
  });

  it('frees its intermediates', () => {
    const x = tf.randomNormal([5, 5], 0, 1, 'float32', 3) as tf.Tensor2D;
    const before = tf.memory().numTensors;
    const l = clipContrastiveLoss(x);
    const l2 = crossEntropy(x, Int32Array.from([0, 1, 2, 3, 4]));
    expect(tf.memory().numTensors).toBe(before + 2);
    tf.dispose([x, l, l2]);
  });
});
